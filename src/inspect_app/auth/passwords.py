"""Argon2 password hashing with cost taken from settings (cheap in tests, strong in production)."""

from __future__ import annotations

import threading
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inspect_app.errors import Busy
from inspect_app.i18n import gettext as _
from inspect_app.settings import Settings

MIN_PASSWORD = 8
MAX_PASSWORD = 200  # bounds the hashing work one request can ask for
# Each hash takes ARGON2_MEMORY_KIB (64 MiB) and ~0.1 s of a core: a flood of sign-ins (made-up
# names cost a hash too) queues here instead of exhausting memory, and waits at most this long.
HASHES_AT_ONCE = 4
HASH_WAIT_SECONDS = 10
_hashing = threading.BoundedSemaphore(HASHES_AT_ONCE)


def _one_at_a_time(work):
    """Run one hash within the process's allowance, or refuse with 503 after a short wait."""
    if not _hashing.acquire(timeout=HASH_WAIT_SECONDS):
        raise Busy(
            _("Too many sign-ins at this moment. Please try again in a few seconds."),
            headers={"Retry-After": "5"},
        )
    try:
        return work()
    finally:
        _hashing.release()


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher_for(settings: Settings) -> PasswordHasher:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


def hash_password(password: str, *, settings: Settings) -> str:
    return _one_at_a_time(lambda: hasher_for(settings).hash(password))


def verify_password(password_hash: str, password: str, *, settings: Settings) -> bool:
    try:
        return _one_at_a_time(lambda: hasher_for(settings).verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


# Verified when the username does not exist, so a miss costs as much time as a wrong password.
_DUMMY_HASH: dict[tuple[int, int], str] = {}


def burn_time(password: str, *, settings: Settings) -> None:
    key = (settings.argon2_time_cost, settings.argon2_memory_kib)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not-a-real-password", settings=settings)
    verify_password(_DUMMY_HASH[key], password, settings=settings)
