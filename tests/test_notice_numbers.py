"""Notice numbers under concurrent submissions: each submission in its own thread and its own
database session (as server workers are), on both engines; the numbers come out exactly 1..N,
and a submission rolled back gives its number back (no gap)."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from sqlmodel import select

from inspect_app.auth.service import load_current_user
from inspect_app.inspections import service as inspections
from inspect_app.models import BusinessLink, Inspection, Notice, Site, User
from inspect_app.notices import service as notices  # registers the submit handler
from tests.helpers.app import office_today
from tests.helpers.data import jpeg, team_site, upload

N = 8
TZ = "Asia/Shanghai"


def drafts(client, api_token, world, n: int) -> list[str]:
    """n drafts by inspector1, each failing F01 with a photo, ready to submit."""
    headers = api_token("inspector1")
    site = team_site(world, "inspector1")
    deadline = (office_today() + timedelta(days=5)).isoformat()
    keys = []
    for _ in range(n):
        key = str(uuid.uuid4())
        answers = [
            {
                "item_code": f"F{i:02d}",
                "result": "fail" if i == 1 else "pass",
                "note": "消防通道堵塞" if i == 1 else "",
                "deadline": deadline if i == 1 else None,
            }
            for i in range(1, 9)
        ]
        body = {
            "site_id": site.id,
            "template_code": "fire-safety",
            "template_version": 1,
            "started_at": "2026-11-28T09:00:00+08:00",
            "answers": answers,
        }
        assert (
            client.put(f"/api/v1/inspections/{key}", headers=headers, json=body).status_code == 200
        )
        assert upload(client, headers, key, jpeg(), item="F01").status_code == 200
        keys.append(key)
    return keys


class Undone(Exception):
    """Raised inside a submission's transaction: it is rolled back, notice and all."""


def submit_all(db, keys: list[str], undo: set[str]) -> list[BaseException]:
    barrier = threading.Barrier(len(keys))
    errors: list[BaseException] = []

    def submit(key: str) -> None:
        try:
            barrier.wait(timeout=30)
            with db.session(write=True) as session:
                inspection = session.exec(select(Inspection).where(Inspection.uuid == key)).one()
                user = load_current_user(
                    session=session, user=session.get(User, inspection.inspector_id)
                )
                inspections.submit(session=session, user=user, inspection=inspection, time_zone=TZ)
                if key in undo:
                    raise Undone(key)
        except Undone:
            pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_submissions_get_numbers_one_to_n(client, api_token, world, db):
    assert notices.issue_on_submit in inspections._findings_handlers
    keys = drafts(client, api_token, world, N + 1)
    undone = keys[3]
    assert submit_all(db, keys, {undone}) == []
    site = team_site(world, "inspector1")
    with world.session() as s:
        rows = s.exec(
            select(Notice)
            .join(Site, Site.id == Notice.site_id)
            .where(Site.subdistrict_id == site.subdistrict_id)
        ).all()
        assert s.exec(select(Inspection.status).where(Inspection.uuid == undone)).one() == "draft"
    assert sorted(n.seq for n in rows) == list(range(1, N + 1))
    assert len({n.number for n in rows}) == N
    year = office_today().year
    assert {n.number for n in rows} == {f"梧桐〔{year}〕第{i:04d}号" for i in range(1, N + 1)}
    # each notice replaced the site's business link: one works, made by one link account
    with world.session() as s:
        links = s.exec(select(BusinessLink).where(BusinessLink.site_id == site.id)).all()
        accounts = s.exec(select(User.id).where(User.link_site_id == site.id)).all()
    assert len(links) == N and sum(link.revoked_at is None for link in links) == 1
    assert len(accounts) == 1 and {link.user_id for link in links} == set(accounts)
