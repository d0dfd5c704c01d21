"""Sign in and out, the language switch, and the account page (sessions and API tokens)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from inspect_app import i18n
from inspect_app.auth import limits, service
from inspect_app.auth.guards import require_login
from inspect_app.auth.middleware import SESSION_COOKIE
from inspect_app.bounds import Id, bounded
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.middleware import client_ip
from inspect_app.models import User, utcnow
from inspect_app.settings import Settings
from inspect_app.web import render, safe_next


def session_cookie(raw: str, settings: Settings) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=raw,
        httponly=True,
        samesite="lax",
        path="/",
        # the server's idle timeout and absolute lifetime decide validity
        max_age=int(settings.session_max_days * 86400),
    )


def device_cookie(user: User, settings: Settings) -> Cookie:
    """Marks this browser as one that signed in to the account (OWASP "device cookies"); it is
    only ever sent to the login form."""
    name, value = limits.new_device_cookie(user.username, settings.secret_key, user.password_hash)
    return Cookie(
        key=name,
        value=value,
        httponly=True,
        samesite="strict",
        path="/login",
        max_age=settings.login_device_days * 86400,
    )


class LoginController(Controller):
    path = "/login"
    include_in_schema = False  # a page, not part of the API

    @get("/", sync_to_thread=False)
    def login_form(self, request: Request, next: FromQuery[str] = "/") -> Template | Redirect:
        if request.user is not None:
            return Redirect(safe_next(next))
        return render(request, "auth/login.html", next=safe_next(next), username="", error="")

    @post("/", sync_to_thread=True, status_code=200)
    def login(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        username = (data.get("username") or "").strip().lower()
        target = safe_next(data.get("next"))
        try:
            user = service.authenticate(
                session=db,
                settings=settings,
                username=username,  # as sent: a name cleaned for storage matches nobody
                password=(data.get("password") or "")[: service.MAX_PASSWORD],
                ip=client_ip(request.scope),
                cookies=request.cookies,
            )
        except service.LoginRefused as refused:
            # Answered with a page, not raised: the failed attempt recorded stays.
            page = render(
                request,
                "auth/login.html",
                next=target,
                username=bounded(username, limits.USERNAME_MAX),
                error=refused.message,
                status_code=401,
            )
            if refused.reason == "locked":
                page.status_code = 429
                page.headers.update(refused.as_error().headers)
            return page
        raw = service.create_session(
            session=db,
            user=user,
            ip=client_ip(request.scope),
            user_agent=request.headers.get("user-agent", ""),
        )
        return Redirect(
            target,
            cookies=[session_cookie(raw, settings), device_cookie(user, settings)],
            status_code=303,
        )


@post(
    "/logout",
    sync_to_thread=True,
    guards=[require_login],
    status_code=303,
    include_in_schema=False,
)
def logout(request: Request, db: DbSession) -> Redirect:
    if request.user.session_id:
        service.revoke_session(
            session=db, user_id=request.user.id, session_id=request.user.session_id
        )
    return Redirect(
        "/login",
        cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")],
        headers={"Clear-Site-Data": '"cache"'},  # the HTTP cache; the outbox stays
        status_code=303,
    )


@post("/locale", sync_to_thread=False, status_code=303, include_in_schema=False)
def set_locale(request: Request, data: URLEncodedBody[dict[str, str]]) -> Redirect:
    """The language switch; the choice lives in a cookie, so it works before sign-in too."""
    chosen = i18n.normalize(data.get("locale")) or "zh_CN"
    referer_path = safe_next(data.get("next"))
    return Redirect(
        referer_path,
        cookies=[
            Cookie(
                key=i18n.LOCALE_COOKIE, value=chosen, max_age=365 * 86400, path="/", samesite="lax"
            )
        ],
        status_code=303,
    )


class AccountController(Controller):
    """A signed-in user's own sessions and API tokens."""

    include_in_schema = False  # a page, not part of the API
    path = "/account"
    guards = [require_login]

    def _page(
        self,
        request: Request,
        db: DbSession,
        *,
        new_token: str = "",
        status: int = 200,
        password_errors: dict[str, str] | None = None,
        password_notice: str = "",
    ) -> Template:
        return render(
            request,
            "auth/account.html",
            sessions=service.list_sessions(session=db, user_id=request.user.id),
            tokens=service.list_api_tokens(session=db, user_id=request.user.id),
            now=utcnow(),
            new_token=new_token,
            password_errors=password_errors or {},
            password_notice=password_notice,
            min_password=service.MIN_PASSWORD,
            status_code=status,
        )

    @get("/", sync_to_thread=True)
    def account(self, request: Request, db: DbSession) -> Template:
        return self._page(request, db)

    @post("/sessions/{session_id:int}/revoke", sync_to_thread=True, status_code=303)
    def revoke_session(self, request: Request, db: DbSession, session_id: FromPath[Id]) -> Redirect:
        if not service.revoke_session(session=db, user_id=request.user.id, session_id=session_id):
            raise NotFound(_("This session does not exist or has already ended."))
        if session_id == request.user.session_id:
            return Redirect("/login", status_code=303)
        return Redirect("/account", status_code=303)

    @post("/password", sync_to_thread=True, status_code=200)
    def change_password(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template:
        """The user's own new password; other sessions and all API tokens end."""
        new = data.get("new_password") or ""
        try:
            if new != (data.get("new_password_again") or ""):
                raise Invalid(
                    _("Some fields need attention."),
                    fields={"new_password_again": _("The two new passwords differ.")},
                )
            service.change_password(
                session=db,
                settings=settings,
                user=request.user,
                current=data.get("current_password") or "",
                new=new,
                ip=client_ip(request.scope),
            )
        except Invalid as exc:  # the answer commits: a wrong current password counts
            return self._page(request, db, password_errors=exc.fields, status=422)
        except service.LoginRefused as refused:
            return self._page(
                request, db, password_errors={"current_password": refused.message}, status=429
            )
        notice = _(
            "Your password has been changed. Your other devices were signed out and your API "
            "tokens were revoked."
        )
        return self._page(request, db, password_notice=notice)

    @post("/tokens", sync_to_thread=True, status_code=201)
    def create_token(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template:
        user = db.get_one(User, request.user.id)
        name = (data.get("name") or "").strip() or _("API token")
        _token, raw = service.create_api_token(session=db, settings=settings, user=user, name=name)
        return self._page(request, db, new_token=raw, status=201)

    @post("/tokens/{token_id:int}/revoke", sync_to_thread=True, status_code=303)
    def revoke_token(self, request: Request, db: DbSession, token_id: FromPath[Id]) -> Redirect:
        if not service.revoke_api_token(session=db, user_id=request.user.id, token_id=token_id):
            raise NotFound(_("This token does not exist or has already been revoked."))
        return Redirect("/account", status_code=303)
