"""50 inspectors, 10 inspections with 2 photos each, against `inspect-app serve --workers 4` on
SQLite and PostgreSQL: once undisturbed, once with the whole server killed -9 and restarted in the
middle, and (on the restarted server) with three copies of every request arriving at once. Each
time nothing may be refused, nothing fail with a 5xx or a lock error, and every inspection and
photo must be stored exactly once (counted in the database and read back through the API);
`inspect-app check` must agree that records and files match, and report a lost or orphaned file."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from sqlmodel import col, select
from tests.reliability.load import (
    FAILED,
    ITEMS,
    Figures,
    Inspector,
    make_plan,
    read_back,
    run_inspectors,
    sign_in_all,
)
from tests.reliability.stack import WORKERS, CrashRun, Stack, count_rows, run_with_kill

from inspect_app.demo import DEMO_PASSWORD
from inspect_app.models import Answer, Inspection, InspectionStatus, Photo, PhotoBlob, Rectification
from inspect_app.photos.storage import photo_keys

PER_INSPECTOR = 10
PHOTOS = 2
KILL_AT = 0.4  # share of the inspections submitted when the server is killed
DOWN_S = 1.0  # how long the server stays dead


def row_counts(stack: Stack) -> dict[str, int]:
    """Row counts of everything the load writes."""
    db = stack.database()
    try:
        return {
            "inspections": count_rows(db, Inspection),
            "submitted": count_rows(
                db, Inspection, Inspection.status == InspectionStatus.submitted
            ),
            "answers": count_rows(db, Answer),
            "rectifications": count_rows(db, Rectification),
            "photos": count_rows(db, Photo),
            "photo contents": count_rows(db, PhotoBlob),
        }
    finally:
        db.dispose()


def added(stack: Stack, before: dict[str, int]) -> dict[str, int]:
    return {name: count - before[name] for name, count in row_counts(stack).items()}


def expected(stack: Stack) -> dict[str, int]:
    n = sum(len(i.plan) for i in stack.inspectors)
    return {
        "inspections": n,
        "submitted": n,
        "answers": n * len(ITEMS),
        "rectifications": n * len(FAILED),
        "photos": n * PHOTOS,
        "photo contents": n * PHOTOS,
    }


def stored_photos(stack: Stack) -> set[tuple[str, str, str, str]]:
    """(inspection uuid, photo uuid, item, sha256) of every photo row of the planned inspections."""
    ours = [planned.uuid for inspector in stack.inspectors for planned in inspector.plan]
    db = stack.database()
    try:
        with db.session() as s:
            rows = s.exec(
                select(Inspection.uuid, Photo.uuid, Photo.item_code, Photo.sha256)
                .join(Inspection, Inspection.id == Photo.inspection_id)
                .where(col(Inspection.uuid).in_(ours))
            )
            return set(rows)
    finally:
        db.dispose()


def sent_photos(stack: Stack) -> set[tuple[str, str, str, str]]:
    return {
        (planned.uuid, photo.uuid, photo.item_code, photo.sha256)
        for inspector in stack.inspectors
        for planned in inspector.plan
        for photo in planned.photos
    }


def assert_everything_once(stack: Stack, figures: Figures) -> None:
    assert figures.server_errors == []
    assert figures.refused == []
    assert stack.server.trouble() == []
    assert added(stack, stack.before) == expected(stack)
    assert stored_photos(stack) == sent_photos(stack)
    assert read_back(stack.server.url, stack.inspectors) == {}
    check = stack.cli("check")
    blobs = row_counts(stack)["photo contents"]
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.splitlines() == [
        f"{blobs} photos in the database, {3 * blobs} files in storage",
        "ok",
    ]


def prepared(stack: Stack) -> Stack:
    """Tokens for every inspector, their plans, and the row counts before any of it is sent."""
    sign_in_all(stack.server.url, stack.inspectors, DEMO_PASSWORD)
    make_plan(stack.inspectors, PER_INSPECTOR, PHOTOS)
    stack.before = row_counts(stack)
    return stack


def test_fifty_inspectors_on_several_workers(stack_factory, record_figures):
    stack = prepared(stack_factory())
    figures = run_inspectors(stack.server.url, stack.inspectors)
    record_figures(figures.line(f"{stack.engine}, {WORKERS} workers, no fault"))
    assert_everything_once(stack, figures)
    assert (figures.connection_errors, figures.retries) == (0, 0)


@pytest.fixture(scope="module")
def crash_run(stack_factory, record_figures) -> CrashRun:
    """The same load, with the server's whole process group killed -9 part-way and restarted."""
    crash = run_with_kill(prepared(stack_factory()), kill_at=KILL_AT, down_s=DOWN_S)
    record_figures(crash.line())
    return crash


def test_kill_9_during_load_loses_and_doubles_nothing(crash_run):
    assert crash_run.stack.server.starts == 2
    assert crash_run.figures.connection_errors > 0  # the clients did see the server die
    assert_everything_once(crash_run.stack, crash_run.figures)


def test_check_reports_a_lost_file_and_an_orphan_after_the_crash(crash_run, tmp_path):
    """On a copy of the photo store: one file gone and one file nobody recorded."""
    stack = crash_run.stack
    photos = tmp_path / "photos"
    shutil.copytree(stack.var_dir / "photos", photos, ignore=shutil.ignore_patterns(".tmp-*"))
    lost = photo_keys(stack.inspectors[7].plan[3].photos[1].sha256)["display"]
    (photos / lost).unlink()
    orphan = photo_keys("0" * 64)["original"]
    (photos / orphan).parent.mkdir(parents=True, exist_ok=True)
    (photos / orphan).write_bytes(b"not in the database")

    check = stack.cli("check", PHOTO_DIR=str(photos))

    assert check.returncode == 1
    assert f"missing file: {lost}" in check.stdout.splitlines()
    assert f"file without a record: {orphan}" in check.stdout.splitlines()
    assert check.stdout.splitlines()[-1] == "1 missing, 1 orphaned"


def test_overlapping_copies_of_every_request_store_it_once(crash_run, record_figures):
    """Ten inspectors whose every request arrives three times at once (a phone that gave up
    waiting and sent it again): each copy is answered 200, and everything is stored once."""
    inspectors = [Inspector(i.username, i.site_ids, i.token) for i in crash_run.stack.inspectors]
    stack = dataclasses.replace(crash_run.stack, inspectors=inspectors[:10])
    make_plan(stack.inspectors, 3, PHOTOS, seed=2)
    stack.before = row_counts(stack)
    figures = run_inspectors(stack.server.url, stack.inspectors, copies=3)
    record_figures(figures.line(f"{stack.engine}, {WORKERS} workers, 3 copies of each request"))
    assert figures.statuses == {200: figures.requests}
    assert_everything_once(stack, figures)
