"""Admin pages: accounts, teams and team membership."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import select

from inspect_app.accounts import service
from inspect_app.accounts.schemas import AccountFields, TeamFields
from inspect_app.auth.guards import admin_only
from inspect_app.bounds import Id
from inspect_app.deps import AppSettings, DbSession
from inspect_app.errors import Invalid
from inspect_app.i18n import gettext as _
from inspect_app.i18n import localized
from inspect_app.models import Role, Subdistrict, utcnow
from inspect_app.web import done, render, with_checkbox


def _subdistricts(db: DbSession, request: Request) -> list[Subdistrict]:
    rows = list(db.exec(select(Subdistrict).order_by(Subdistrict.id)))
    if request.user.city_wide:
        return rows
    return [s for s in rows if s.id == request.user.subdistrict_id]


class AdminUsersController(Controller):
    include_in_schema = False  # a page, not part of the API
    path = "/admin/users"
    guards = [admin_only]

    def _form(self, request, db, *, account, values, errors, status=200) -> Template:
        return render(
            request,
            "accounts/user_form.html",
            account=account,
            values=values,
            errors=errors,
            roles=list(Role),
            subdistricts=_subdistricts(db, request),
            status_code=status,
        )

    @get("/", sync_to_thread=True)
    def list_users(self, request: Request, db: DbSession) -> Template:
        return render(
            request, "accounts/users.html", users=service.list_users(session=db, actor=request.user)
        )

    @get("/locks", sync_to_thread=True)
    def login_locks(self, request: Request, db: DbSession) -> Template:
        """Current sign-in locks of the accounts this admin manages."""
        return render(
            request,
            "accounts/locks.html",
            locks=service.list_login_locks(session=db, actor=request.user),
            now=utcnow(),
        )

    @post("/locks/{lock_id:int}/lift", sync_to_thread=True, status_code=303)
    def lift_login_lock(self, request: Request, db: DbSession, lock_id: FromPath[Id]) -> Redirect:
        service.lift_login_lock(session=db, actor=request.user, lock_id=lock_id)
        return done(request, "/admin/users/locks", _("Lock lifted: the account may sign in again."))

    @get("/new", sync_to_thread=True)
    def new_user(self, request: Request, db: DbSession) -> Template:
        return self._form(request, db, account=None, values={"role": "inspector"}, errors={})

    @post("/new", sync_to_thread=True)
    def create_user(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        try:
            user = service.create_user(
                session=db,
                settings=settings,
                actor=request.user,
                data=AccountFields.from_form(data),
            )
        except Invalid as exc:
            return self._form(request, db, account=None, values=data, errors=exc.fields, status=422)
        return done(request, "/admin/users", _("Account %(name)s created.", name=user.username))

    @get("/{user_id:int}", sync_to_thread=True)
    def edit_user(self, request: Request, db: DbSession, user_id: FromPath[Id]) -> Template:
        account = service.get_user(session=db, actor=request.user, user_id=user_id)
        return self._form(request, db, account=account, values=account.model_dump(), errors={})

    @post("/{user_id:int}", sync_to_thread=True)
    def update_user(
        self,
        request: Request,
        db: DbSession,
        settings: AppSettings,
        user_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        account = service.get_user(session=db, actor=request.user, user_id=user_id)
        was_active = account.active
        try:
            service.update_user(
                session=db,
                settings=settings,
                actor=request.user,
                user_id=user_id,
                data=AccountFields.from_form(data),
            )
        except Invalid as exc:
            return self._form(
                request, db, account=account, values=data, errors=exc.fields, status=422
            )
        if was_active and not account.active:
            message = _(
                "Account %(name)s deactivated: it can no longer sign in, and its sessions and "
                "API tokens have ended.",
                name=account.username,
            )
        else:
            message = _("Account %(name)s saved.", name=account.username)
        return done(request, "/admin/users", message)


class AdminTeamsController(Controller):
    include_in_schema = False  # a page, not part of the API
    path = "/admin/teams"
    guards = [admin_only]

    def _form(self, request, db, *, team, values, errors, status=200) -> Template:
        members = service.team_members(session=db, team_id=team.id) if team else []
        return render(
            request,
            "accounts/team_form.html",
            team=team,
            values=values,
            errors=errors,
            members=members,
            subdistricts=_subdistricts(db, request),
            status_code=status,
        )

    @get("/", sync_to_thread=True)
    def list_teams(self, request: Request, db: DbSession) -> Template:
        return render(
            request, "accounts/teams.html", teams=service.list_teams(session=db, actor=request.user)
        )

    @get("/new", sync_to_thread=True)
    def new_team(self, request: Request, db: DbSession) -> Template:
        return self._form(request, db, team=None, values={"active": True}, errors={})

    @post("/new", sync_to_thread=True)
    def create_team(
        self, request: Request, db: DbSession, data: URLEncodedBody[dict[str, str]]
    ) -> Template | Redirect:
        data = with_checkbox(data, "active")
        try:
            team = service.save_team(
                session=db, actor=request.user, data=TeamFields.from_form(data)
            )
        except Invalid as exc:
            return self._form(request, db, team=None, values=data, errors=exc.fields, status=422)
        return done(
            request,
            f"/admin/teams/{team.id}",
            _("Team %(name)s created.", name=localized(team, "name")),
        )

    @get("/{team_id:int}", sync_to_thread=True)
    def edit_team(self, request: Request, db: DbSession, team_id: FromPath[Id]) -> Template:
        team = service.get_team(session=db, actor=request.user, team_id=team_id)
        return self._form(request, db, team=team, values=team.model_dump(), errors={})

    @post("/{team_id:int}", sync_to_thread=True)
    def update_team(
        self,
        request: Request,
        db: DbSession,
        team_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        data = with_checkbox(data, "active")
        team = service.get_team(session=db, actor=request.user, team_id=team_id)
        was_active = team.active
        try:
            service.save_team(
                session=db, actor=request.user, data=TeamFields.from_form(data), team_id=team_id
            )
        except Invalid as exc:
            return self._form(request, db, team=team, values=data, errors=exc.fields, status=422)
        name = localized(team, "name")
        if was_active and not team.active:
            message = _(
                "Team %(name)s deactivated: its inspectors no longer see its sites.", name=name
            )
        else:
            message = _("Team %(name)s saved.", name=name)
        return done(request, f"/admin/teams/{team_id}", message)

    @post("/{team_id:int}/members", sync_to_thread=True)
    def add_member(
        self,
        request: Request,
        db: DbSession,
        team_id: FromPath[Id],
        data: URLEncodedBody[dict[str, str]],
    ) -> Template | Redirect:
        try:
            member = service.add_team_member(
                session=db, actor=request.user, team_id=team_id, username=data.get("username", "")
            )
        except Invalid as exc:
            team = service.get_team(session=db, actor=request.user, team_id=team_id)
            return self._form(
                request, db, team=team, values=team.model_dump(), errors=exc.fields, status=422
            )
        return done(
            request,
            f"/admin/teams/{team_id}",
            _("%(name)s added to the team.", name=member.username),
        )

    @post("/{team_id:int}/members/{user_id:int}/remove", sync_to_thread=True)
    def remove_member(
        self, request: Request, db: DbSession, team_id: FromPath[Id], user_id: FromPath[Id]
    ) -> Redirect:
        service.remove_team_member(session=db, actor=request.user, team_id=team_id, user_id=user_id)
        return done(request, f"/admin/teams/{team_id}", _("Removed from the team."))
