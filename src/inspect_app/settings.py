"""One Settings object, read from the environment. Every field is documented in README.md."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _default_secret(var_dir: Path) -> str:
    """A development secret kept in var/ so restarts keep sessions; production sets SECRET_KEY."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    """Runtime configuration. Build with `Settings.from_env()` or directly in tests."""

    database_url: str = ""
    var_dir: Path = PROJECT_ROOT / "var"
    secret_key: str = ""
    time_zone: str = "Asia/Shanghai"
    default_locale: str = "zh_CN"
    session_idle_hours: float = 12.0
    session_max_days: float = 7.0  # a session ends this long after sign-in, however active
    api_token_days: int = 90  # an API token stops working this long after it was made
    cookie_secure: str = "auto"  # auto | true | false
    # Login limits (README "Security"): unknown devices get this many failures per account...
    login_max_failures_per_account: int = 5
    # ...then wait login_delay_minutes, doubling with each failure up to login_delay_max_minutes;
    login_delay_minutes: int = 1
    login_delay_max_minutes: int = 60
    # one address's unknown devices get this many per account before that address is shut out
    # of that account until its failures age out (login_memory_hours);
    login_max_failures_per_address: int = 20
    login_memory_hours: int = 24
    # a device that signed in to the account before gets its own allowance per window.
    login_max_failures_per_device: int = 10
    login_window_minutes: int = 15
    login_device_days: int = 365  # how long a device cookie is kept
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    allowed_hosts: tuple[str, ...] = ("*",)
    debug: bool = False
    log_level: str = "INFO"
    photo_dir: Path | None = None  # default: var_dir / "photos"
    photo_max_bytes: int = 20 * 1024 * 1024
    photo_max_pixels: int = 50_000_000
    photo_workers: int = 2  # photos processed at once per server process (threads)
    photo_queue_seconds: float = 10.0  # an upload waits this long for a free worker, then 503
    photo_budget_seconds: float = 20.0  # a photo taking longer to process is refused (422)
    deadline_horizon_days: int = 730  # deadlines from the office's today to this many days on
    # The business's link (README "The business's link"): the base of the short link and QR code
    # ("" = the request's own), how long it lives after the site's last item closes, and how
    # many requests a minute one link and one address may make (counted by each process).
    public_url: str = ""
    business_link_days: int = 30
    link_rate_per_token: int = 60
    link_rate_per_address: int = 120
    recheck_working_days: int = 3  # a re-check applied for is due this many working days on
    # The reminder rules (README "Reminders") run this often in each `serve` process; 0 leaves
    # them to `inspect-app worker`.
    reminders_every_minutes: float = 5.0
    templates_dir: Path = PROJECT_ROOT / "templates"
    static_dir: Path = PROJECT_ROOT / "static"

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.var_dir / 'inspect.db'}")
        if self.photo_dir is None:
            object.__setattr__(self, "photo_dir", self.var_dir / "photos")
        if not self.secret_key:
            object.__setattr__(self, "secret_key", _default_secret(self.var_dir))
        if self.deadline_horizon_days < 1:
            raise ValueError("DEADLINE_HORIZON_DAYS must be at least 1")
        if not 0 <= self.reminders_every_minutes <= 1440:  # NaN fails too
            raise ValueError("REMINDERS_EVERY_MINUTES must be between 0 (off) and 1440")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls) -> Settings:
        """Read every INSPECT_* / documented variable; unset ones keep their defaults."""
        d: dict[str, Any] = {f.name: f.default for f in fields(cls)}
        var_dir = Path(_env("VAR_DIR", str(d["var_dir"])))
        return cls(
            database_url=_env("DATABASE_URL", ""),
            var_dir=var_dir,
            secret_key=_env("SECRET_KEY", ""),
            time_zone=_env("TIME_ZONE", d["time_zone"]),
            default_locale=_env("DEFAULT_LOCALE", d["default_locale"]),
            session_idle_hours=float(_env("SESSION_IDLE_HOURS", str(d["session_idle_hours"]))),
            session_max_days=float(_env("SESSION_MAX_DAYS", str(d["session_max_days"]))),
            api_token_days=int(_env("API_TOKEN_DAYS", str(d["api_token_days"]))),
            cookie_secure=_env("COOKIE_SECURE", d["cookie_secure"]).lower(),
            login_max_failures_per_account=int(
                _env("LOGIN_MAX_FAILURES_PER_ACCOUNT", str(d["login_max_failures_per_account"]))
            ),
            login_max_failures_per_address=int(
                _env("LOGIN_MAX_FAILURES_PER_ADDRESS", str(d["login_max_failures_per_address"]))
            ),
            login_window_minutes=int(_env("LOGIN_WINDOW_MINUTES", str(d["login_window_minutes"]))),
            **{  # type: ignore[arg-type]  # mypy checks these ints against every other field too
                name: int(_env(name.upper(), str(d[name])))
                for name in (
                    "login_delay_minutes",
                    "login_delay_max_minutes",
                    "login_memory_hours",
                    "login_max_failures_per_device",
                    "login_device_days",
                )
            },
            argon2_time_cost=int(_env("ARGON2_TIME_COST", str(d["argon2_time_cost"]))),
            argon2_memory_kib=int(_env("ARGON2_MEMORY_KIB", str(d["argon2_memory_kib"]))),
            allowed_hosts=tuple(
                h.strip() for h in _env("ALLOWED_HOSTS", "*").split(",") if h.strip()
            ),
            debug=_env("DEBUG", "false").lower() in ("1", "true", "yes"),
            log_level=_env("LOG_LEVEL", d["log_level"]).upper(),
            photo_dir=Path(os.environ["PHOTO_DIR"]) if os.environ.get("PHOTO_DIR") else None,
            photo_max_bytes=int(_env("PHOTO_MAX_BYTES", str(d["photo_max_bytes"]))),
            photo_max_pixels=int(_env("PHOTO_MAX_PIXELS", str(d["photo_max_pixels"]))),
            photo_workers=int(_env("PHOTO_WORKERS", str(d["photo_workers"]))),
            photo_queue_seconds=float(_env("PHOTO_QUEUE_SECONDS", str(d["photo_queue_seconds"]))),
            photo_budget_seconds=float(
                _env("PHOTO_BUDGET_SECONDS", str(d["photo_budget_seconds"]))
            ),
            deadline_horizon_days=int(
                _env("DEADLINE_HORIZON_DAYS", str(d["deadline_horizon_days"]))
            ),
            public_url=_env("PUBLIC_URL", "").strip().rstrip("/"),
            business_link_days=int(_env("BUSINESS_LINK_DAYS", str(d["business_link_days"]))),
            link_rate_per_token=int(_env("LINK_RATE_PER_TOKEN", str(d["link_rate_per_token"]))),
            link_rate_per_address=int(
                _env("LINK_RATE_PER_ADDRESS", str(d["link_rate_per_address"]))
            ),
            recheck_working_days=int(_env("RECHECK_WORKING_DAYS", str(d["recheck_working_days"]))),
            reminders_every_minutes=float(
                _env("REMINDERS_EVERY_MINUTES", str(d["reminders_every_minutes"]))
            ),
        )
