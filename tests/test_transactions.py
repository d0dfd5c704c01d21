"""A request's writes end in one place (`db.end_transaction`): kept on success or when the
refusal says the work before it stands, undone otherwise; `attempt` undoes a refused change
alone. Handlers and services never commit or roll back on their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from inspect_app.db import Database, attempt
from inspect_app.errors import Invalid
from inspect_app.models import Subdistrict
from tests.helpers.app import make_settings

SRC = Path(__file__).resolve().parents[1] / "src" / "inspect_app"


@pytest.fixture
def database(tmp_path):
    db = Database(make_settings(tmp_path, f"sqlite:///{tmp_path / 'tx.db'}"))
    SQLModel.metadata.create_all(db.engine, tables=[Subdistrict.__table__])
    yield db
    db.dispose()


def codes(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(session.exec(select(Subdistrict.code)).all())


def add(session, code: str) -> None:
    session.add(Subdistrict(code=code, name_zh=code, name_en=code))
    session.flush()


def test_a_refusal_undoes_the_requests_writes(database):
    with pytest.raises(Invalid), database.session(write=True) as session:
        add(session, "a")
        raise Invalid("no")
    assert codes(database) == []


def test_a_refusal_that_keeps_changes_keeps_what_was_written_before_it(database):
    with pytest.raises(Invalid), database.session(write=True) as session:
        add(session, "a")
        raise Invalid("the note stays, the deadline is refused", keeps_changes=True)
    assert codes(database) == ["a"]


def test_an_attempt_undoes_only_the_refused_change(database):
    with database.session(write=True) as session:
        add(session, "before")
        with pytest.raises(Invalid), attempt(session):
            add(session, "refused")
            raise Invalid("no")
        with pytest.raises(Invalid), attempt(session):
            add(session, "kept")
            raise Invalid("partly", keeps_changes=True)
        add(session, "after")
    assert codes(database) == ["after", "before", "kept"]


def test_no_module_but_db_commits_or_rolls_back():
    ending = re.compile(r"\.(commit|rollback)\(\)")
    offenders = [
        f"{path.relative_to(SRC)}:{n}"
        for path in SRC.rglob("*.py")
        if path.name != "db.py" and "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if ending.search(line)
    ]
    assert offenders == []


def test_an_attempt_undoes_a_change_the_database_refuses_when_it_is_written(database):
    """A duplicate key found only when the change is flushed is undone with its attempt, and the
    transaction goes on (the retry of an overlapping replay depends on it)."""
    with database.session(write=True) as session:
        add(session, "a")
        with pytest.raises(IntegrityError), attempt(session):
            session.add(Subdistrict(code="a", name_zh="dup", name_en="dup"))
        add(session, "b")
    assert codes(database) == ["a", "b"]
