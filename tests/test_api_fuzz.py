"""Schemathesis against /schema/openapi.json, signed in as each role: no 5xx, and every response
matches the schema (status codes, content types, bodies)."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from litestar.testing import TestClient

from inspect_app.app import create_app
from tests.conftest import make_settings

ROLES = ("admin", "supervisor", "inspector1", "owner1")
EXAMPLES = 25


@pytest.mark.parametrize("role", ROLES)
def test_api_never_fails_and_keeps_to_its_schema(role, tmp_path, sqlite_template):
    db = tmp_path / "fuzz.db"
    shutil.copyfile(sqlite_template, db)
    app = create_app(make_settings(tmp_path, f"sqlite:///{db}"))
    try:
        with TestClient(app) as client:
            token = client.post(
                "/api/v1/auth/token", json={"username": role, "password": "demo1234"}
            ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, headers=headers)
        operations = [result.ok() for result in schema.get_all_operations()]
        operations = [op for op in operations if op.path.startswith("/api/")]
        assert len(operations) > 20
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case):
                case.call_and_validate(headers=headers)

            exercise()
    finally:
        app.state.db.dispose()
