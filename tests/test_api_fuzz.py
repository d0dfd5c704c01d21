"""Property-based tests over every API operation of /schema/openapi.json, as each role and signed
out, on each engine (the `database_url` fixture): no request may answer 5xx.

- conformance: schemathesis's schema-valid cases, and every response keeps to the schema
  (status codes, content types, bodies);
- schema-invalid cases (schemathesis's negative mode): refused with a 4xx, never a 5xx;
- hostile values: one path, query or JSON field of a valid case replaced by an edge integer or odd
  Unicode, and JSON bodies nested 1,000 deep. These found issue 10's 500s (64-bit overflows,
  "²", NUL bytes, deep JSON) that schema-valid cases never reach."""

from __future__ import annotations

import json
from contextlib import suppress
from urllib.parse import quote, urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, positive_data_acceptance

from inspect_app.app import create_app
from inspect_app.demo import DEMO_PASSWORD
from tests.helpers.app import make_settings

ROLES = ("admin", "supervisor", "inspector1", "owner1", "anonymous")
EDGE_INTEGERS = (0, -1, 2**63, 2**64, 10**30)
ODD_TEXT = (
    "\x00",
    "a\x00b",
    "²",
    "١٢٣",
    "\u202eمرحبا\u202c",  # right-to-left override around Arabic
    "\ud800",  # a lone surrogate: JSON sends it as \ud800
    "x" * 10_000,
)
HOSTILE = st.sampled_from(EDGE_INTEGERS + ODD_TEXT)
DEEP_JSON = "[" * 1000 + "]" * 1000
# Budgets per operation and role: the whole file stays well under two minutes per engine.
VALID_EXAMPLES, INVALID_EXAMPLES, HOSTILE_EXAMPLES = 8, 5, 20


def _settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: a failure reproduces
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def fuzz_app(database_url, tmp_path):
    app = create_app(make_settings(tmp_path, database_url))
    yield app
    app.state.db.dispose()


def _headers(app, role: str) -> dict[str, str]:
    if role == "anonymous":
        return {}
    response = TestClient(app).post(
        "/api/v1/auth/token", json={"username": role, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _operations(app, headers):
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/")]
    assert len(operations) > 20
    return operations


def _places(case) -> list[tuple[str, str]]:
    """Where a hostile value can go: each path and query parameter, each top-level JSON field."""
    places = [("path", name) for name in case.path_parameters or {}]
    places += [("query", p.name) for p in case.operation.query]
    if case.media_type == "application/json" and isinstance(case.body, dict):
        places += [("body", name) for name in case.body]
    return places


def _hostile_request(case, place: tuple[str, str], value) -> dict:
    """The case as a request, with `value` at `place`; JSON is encoded here, so that lone
    surrogates and integers beyond 64 bits reach the server exactly as a hostile client sends."""
    kind, name = place
    path_params = {k: str(v) for k, v in (case.path_parameters or {}).items()}
    query = dict(case.query or {})
    body = case.body if case.media_type == "application/json" else None
    if kind == "path":
        path_params[name] = str(value)
    elif kind == "query":
        query[name] = str(value)
    else:
        body = {**body, name: value}
    # Lone surrogates go out as the bytes a hostile client would send (%ED%A0%80).
    path = case.operation.path.format(
        **{k: quote(v, safe="", errors="surrogatepass") for k, v in path_params.items()}
    )
    qs = urlencode(query, doseq=True, errors="surrogatepass")
    request = {"method": case.method, "url": f"{path}?{qs}" if qs else path}
    if body is not None:
        request["content"] = json.dumps(body)
        request["headers"] = {"content-type": "application/json"}
    return request


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_survives_valid_invalid_and_hostile_input(fuzz_app, role):
    # No lifespan: schemathesis calls the same app through its own transport meanwhile.
    client = TestClient(fuzz_app, raise_server_exceptions=False)
    signed_in = role != "anonymous"
    # The schema itself is for signed-in readers; the calls go out with `headers` only.
    operations = _operations(fuzz_app, _headers(fuzz_app, "admin"))
    # A token for each operation, all made first: fuzzing DELETE /auth/tokens/{id} may revoke
    # the one in use, and fuzzing the password change may lock the account's sign-in.
    tokens = [_headers(fuzz_app, role) for _ in operations]
    for operation, headers in zip(operations, tokens, strict=True):
        _conformance(operation, headers)
        _invalid(operation, headers)
        _hostile(operation, headers, client)
        if signed_in and "/auth/tokens/" not in operation.path:
            # Still signed in, so every case above ran as this role, not as a stranger.
            assert client.get("/api/v1/me", headers=headers).status_code == 200, operation.path


def _conformance(operation, headers) -> None:
    @given(case=operation.as_strategy())
    @_settings(VALID_EXAMPLES)
    def run(case):
        # A schema-valid body may still break a business rule (a wrong current password):
        # that 4xx is right, so only "accepts what it documents" is not checked.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()


def _invalid(operation, headers) -> None:
    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    @_settings(INVALID_EXAMPLES)
    def run(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    # Where every value is valid (no parameters, or free text only) nothing can be made invalid.
    with suppress(Unsatisfiable):
        run()


def _hostile(operation, headers, client) -> None:
    @given(case=operation.as_strategy(), value=HOSTILE, data=st.data())
    @_settings(HOSTILE_EXAMPLES)
    def run(case, value, data):
        places = _places(case)
        if case.media_type == "application/json":
            deep = client.request(
                case.method,
                case.formatted_path,
                content=DEEP_JSON,
                headers={**headers, "content-type": "application/json"},
            )
            assert deep.status_code < 500, (case.method, case.path, "deep JSON", deep.text)
        if not places:
            return
        request = _hostile_request(case, data.draw(st.sampled_from(places)), value)
        request["headers"] = {**headers, **request.get("headers", {})}
        response = client.request(**request)
        assert response.status_code < 500, (request["method"], request["url"], response.text)

    run()
