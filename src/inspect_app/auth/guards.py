"""Route guards: who must be signed in, and which roles a controller admits."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from inspect_app.auth.service import OFFICE_ROLES, STAFF_ROLES
from inspect_app.models import Role


def require_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException()


def require_roles(*roles: Role):
    """A guard admitting signed-in users of the given roles; others get 403."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        require_login(connection, handler)
        if connection.scope["user"].role not in allowed:
            raise PermissionDeniedException()

    guard.__qualname__ = f"require_roles({', '.join(sorted(role.value for role in allowed))})"
    return guard


staff_only = require_roles(*STAFF_ROLES)
office_only = require_roles(*OFFICE_ROLES)
admin_only = require_roles(Role.admin)
