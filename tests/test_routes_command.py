"""`inspect-app routes`: every route the app serves, with its full path, handler and guards; and
each controller declares its routes' full prefix, so a route can be found by searching for it."""

from __future__ import annotations

import inspect
import re

from litestar import Controller

from inspect_app.app import create_app


def table(cli) -> dict[tuple[str, str], tuple[str, str]]:
    code, out, err = cli("routes")
    assert code == 0, err
    rows = {}
    for line in out.splitlines():
        methods, path, handler, *guards = line.split(None, 3)
        rows[(methods, path)] = (handler, " ".join(guards))
    return rows


def test_routes_lists_each_route_with_its_handler_and_guards(cli):
    rows = table(cli)
    upload = rows[("PUT", "/api/v1/inspections/{uuid:str}/photos/{photo_uuid:str}")]
    assert upload == (
        "inspect_app.inspections.api.InspectionsApiController.upload_finding",
        "require_login",
    )
    evidence = rows[("PUT", "/api/v1/rectifications/{item_id:int}/photos/{photo_uuid:str}")]
    assert (
        evidence[0] == "inspect_app.rectifications.api.RectificationsApiController.upload_evidence"
    )
    assert rows[("GET", "/dashboard")][1] == "require_roles(admin, supervisor)"
    assert rows[("GET", "/api/v1/dashboard/overdue")][1] == "require_roles(admin, supervisor)"
    assert rows[("GET", "/inspections/{uuid:str}/notice")][0].startswith("inspect_app.notices.")
    assert rows[("GET", "/sites/{site_id:int}")][0].startswith("inspect_app.overview.site_page.")
    assert rows[("POST", "/api/v1/auth/token")][1] == "public"
    assert rows[("GET", "/healthz")][1] == "public"
    assert not any(methods == "OPTIONS" for methods, _path in rows)


def test_every_route_of_the_app_is_listed(cli):
    listed = {path for _methods, path in table(cli)}
    served = {route.path for route in create_app().routes}
    assert served <= listed


def test_only_sign_in_pages_and_public_files_are_unguarded(cli):
    public = {path for (_m, path), (_h, guards) in table(cli).items() if guards == "public"}
    assert public == {
        "/api/v1/auth/token",
        "/healthz",
        "/locale",
        "/login",
        "/manifest.webmanifest",
        "/offline",
        "/static/{file_path:path}",
        "/sw.js",
        # the business's link: the token in the path is the capability (README, "The
        # business's link"); each handler looks it up before anything else
        "/n/{token:str}",
        "/n/{token:str}/recheck",
        "/n/{token:str}/items/{item_id:int}/fixed",
        "/n/{token:str}/items/{item_id:int}/photos/{photo_uuid:str}",
        "/n/{token:str}/photos/{uuid:str}/{size:str}",
    }


def test_each_controller_names_the_full_prefix_of_its_routes():
    """No two domains share a bare prefix such as /api/v1: the controller's path is the start of
    every route it serves, down to the resource."""
    create_app()
    controllers = [c for c in Controller.__subclasses__() if c.__module__.startswith("inspect_app")]
    assert len(controllers) >= 15
    for controller in controllers:
        assert re.fullmatch(r"/(api/v1/)?[a-z]+(/.+)?", controller.path), controller
        assert controller.path not in ("/api", "/api/v1"), inspect.getsourcefile(controller)
