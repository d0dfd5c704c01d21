"""JSON auth API: exchange a password for a bearer token, who am I, list and revoke tokens."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody

from inspect_app.apidocs import ERRORS
from inspect_app.auth import service
from inspect_app.auth.guards import require_login
from inspect_app.auth.schemas import (
    PasswordChange,
    TokenCreated,
    TokenPublic,
    TokenRequest,
    UserPublic,
)
from inspect_app.bounds import Id
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import AppError, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.middleware import client_ip
from inspect_app.models import utcnow


class Unauthorized(AppError):
    status_code, code = 401, "invalid_credentials"


def user_public(user: service.CurrentUser) -> UserPublic:
    return UserPublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        subdistrict_id=user.subdistrict_id,
        city_wide=user.city_wide,
        team_ids=list(user.team_ids),
        site_ids=list(user.site_ids),
    )


class AuthApiController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/token", responses=ERRORS, sync_to_thread=True, status_code=201)
    def create_token(
        self, request: Request, db: DbSession, settings: AppSettings, data: JSONBody[TokenRequest]
    ) -> TokenCreated:
        """Sign in with username and password; returns a bearer token (shown once) that expires
        after API_TOKEN_DAYS. API clients count as unknown devices for the login limits."""
        try:
            user = service.authenticate(
                session=db,
                settings=settings,
                username=data.username,
                password=data.password,
                ip=client_ip(request.scope),
            )
        except service.LoginRefused as refused:
            if refused.reason == "locked":
                raise refused.as_error() from None
            raise Unauthorized(refused.message, keeps_changes=True) from None
        token, raw = service.create_api_token(
            session=db, settings=settings, user=user, name=data.name or "API"
        )
        assert token.id is not None
        current = service.load_current_user(session=db, user=user, token_id=token.id)
        return TokenCreated(token=raw, token_id=token.id, user=user_public(current))

    @get("/tokens", responses=ERRORS, guards=[require_login], sync_to_thread=True)
    def list_tokens(self, request: Request, db: DbSession) -> list[TokenPublic]:
        """The caller's API tokens that are not revoked, expired ones included."""
        now = utcnow()
        return [
            TokenPublic(
                id=t.id,  # type: ignore[arg-type]  # a stored token has its id
                name=t.name,
                created_at=t.created_at,
                last_used_at=t.last_used_at,
                expires_at=t.expires_at,
                expired=t.expires_at <= now,
                current=t.id == request.user.token_id,
            )
            for t in service.list_api_tokens(session=db, user_id=request.user.id)
        ]

    @post(
        "/password",
        responses=ERRORS,
        guards=[require_login],
        sync_to_thread=True,
        status_code=204,
    )
    def change_password(
        self, request: Request, db: DbSession, settings: AppSettings, data: JSONBody[PasswordChange]
    ) -> None:
        """Change the caller's own password. Every other session and token of the caller ends;
        the one making the request stays. A wrong current password counts as a failed sign-in."""
        try:
            service.change_password(
                session=db,
                settings=settings,
                user=request.user,
                current=data.current_password,
                new=data.new_password,
                ip=client_ip(request.scope),
            )
        except service.LoginRefused as refused:
            raise refused.as_error() from None

    @delete("/tokens/{token_id:int}", responses=ERRORS, guards=[require_login], sync_to_thread=True)
    def revoke_token(self, request: Request, db: DbSession, token_id: FromPath[Id]) -> None:
        """Revoke one of the caller's tokens (the one in use, too)."""
        if not service.revoke_api_token(session=db, user_id=request.user.id, token_id=token_id):
            raise NotFound(_("This token does not exist or has already been revoked."))


class MeApiController(Controller):
    path = "/api/v1/me"
    tags = ["auth"]

    @get("/", responses=ERRORS, guards=[require_login], sync_to_thread=False)
    def me(self, request: Request) -> UserPublic:
        """The signed-in user, with their teams and owned sites."""
        return user_public(request.user)
