"""The rectification notice as a PDF: how long it takes to render, how big it is, and what page
one looks like.

Builds a fresh demo database in a temporary directory, submits an enterprise inspection that
fails `--failures` of its 12 measures, each with a real phone photo (../shared/photos, else a
made-up JPEG), and asks the app for `/inspections/{uuid}/notice.pdf` `--repeat` times in
process (WeasyPrint in the app's bounded pool, as a server renders it). Prints the render time
(first and median of the rest), the size in KB, the page count, and where page one was saved as
a PNG (pdftoppm, 100 dpi) to look at.

    .venv/bin/python benchmarks/notice_pdf.py [--failures 12] [--repeat 5] [--png FILE]
"""

from __future__ import annotations

import argparse
import io
import logging
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from litestar.testing import TestClient
from PIL import Image
from pypdf import PdfReader
from sqlmodel import select

from inspect_app import migrate
from inspect_app.app import create_app
from inspect_app.db import Database
from inspect_app.demo import DEMO_PASSWORD, load_demo
from inspect_app.models import Site, SiteKind, TeamMember, User
from inspect_app.settings import Settings
from inspect_app.timezone import today_in

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = sorted((ROOT.parent / "shared" / "photos" / "jpg" / "mobile").glob("*.jp*g"))
CODES = [f"E{n:02d}" for n in range(1, 13)]


def photo(n: int) -> bytes:
    """A real phone photo when the shared set is there, else a coloured JPEG of phone size."""
    if PHOTOS:
        return PHOTOS[n % len(PHOTOS)].read_bytes()
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (40 + 15 * n, 120, 200 - 10 * n)).save(out, "JPEG")
    return out.getvalue()


def first_enterprise(db: Database) -> tuple[int, str]:
    """A site and an inspector of its team."""
    with db.session() as s:
        enterprises = select(Site).where(Site.kind == SiteKind.enterprise).order_by(Site.id)
        site = s.exec(enterprises).first()
        assert site is not None and site.id is not None
        member = s.exec(select(TeamMember.user_id).where(TeamMember.team_id == site.team_id))
        user = s.get_one(User, member.first())
        return site.id, user.username


def submit(
    client: TestClient, settings: Settings, site_id: int, user: str, failures: int
) -> tuple[str, dict[str, str]]:
    """An enterprise inspection failing the first `failures` measures, one photo each; its
    uuid and the inspector's bearer headers."""
    r = client.post("/api/v1/auth/token", json={"username": user, "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    key = str(uuid.uuid4())
    deadline = (today_in(settings.time_zone) + timedelta(days=7)).isoformat()
    failed = CODES[:failures]
    body = {
        "site_id": site_id,
        "template_code": "enterprise-12",
        "template_version": 1,
        "started_at": f"{today_in(settings.time_zone).isoformat()}T09:00:00+08:00",
        "answers": [
            {
                "item_code": code,
                "result": "fail" if code in failed else "pass",
                "note": f"现场发现问题 {code}：需在期限内整改。" if code in failed else "",
                "deadline": deadline if code in failed else None,
            }
            for code in CODES
        ],
    }
    assert client.put(f"/api/v1/inspections/{key}", headers=headers, json=body).is_success
    for n, code in enumerate(failed):
        r = client.put(
            f"/api/v1/inspections/{key}/photos/{uuid.uuid4()}",
            headers=headers,
            files={"file": ("p.jpg", io.BytesIO(photo(n)), "image/jpeg")},
            data={"item_code": code},
        )
        assert r.is_success, r.text
    r = client.put(f"/api/v1/inspections/{key}", headers=headers, json={**body, "submit": True})
    assert r.is_success, r.text
    return key, headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", type=int, default=12, choices=range(1, 13))
    parser.add_argument("--repeat", type=int, default=5)
    default_png = Path(tempfile.gettempdir()) / "notice-page1.png"
    parser.add_argument("--png", type=Path, default=default_png)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the app logs every request; only the figures matter here
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        settings = Settings(var_dir=var, database_url=f"sqlite:///{var / 'inspect.db'}")
        db = Database(settings)
        migrate.upgrade(db.engine)
        with db.session(write=True) as session:
            load_demo(session=session, settings=settings)
        site_id, inspector = first_enterprise(db)
        with TestClient(create_app(settings)) as client:
            key, headers = submit(client, settings, site_id, inspector, args.failures)
            times, body = [], b""
            for _ in range(args.repeat):
                start = time.perf_counter()
                r = client.get(f"/inspections/{key}/notice.pdf", headers=headers)
                times.append(time.perf_counter() - start)
                assert r.status_code == 200, r.text
                body = r.content
        db.dispose()
        pages = len(PdfReader(io.BytesIO(body)).pages)
        print(f"notice PDF, {args.failures} failed items with a photo each:")
        print(f"  size {len(body) / 1024:.0f} KB, {pages} pages")
        rest = times[1:] or times
        print(f"  render: first {times[0] * 1000:.0f} ms, median of the rest "
              f"{statistics.median(rest) * 1000:.0f} ms (n={len(rest)})")  # fmt: skip
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm:
            pdf = var / "notice.pdf"
            pdf.write_bytes(body)
            stem = args.png.with_suffix("")
            subprocess.run(  # noqa: S603
                [pdftoppm, "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", pdf, stem],
                check=True,
            )
            print(f"  page one: {stem}.png")


if __name__ == "__main__":
    main()
