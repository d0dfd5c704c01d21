"""JSON checklist templates: the current published version of each, with its items."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath, FromQuery

from inspect_app.apidocs import ERRORS
from inspect_app.auth.guards import require_login
from inspect_app.bounds import OptionalVersion
from inspect_app.checklists import service
from inspect_app.checklists.schemas import TemplateItemOut, TemplateOut, TemplateSummaryOut
from inspect_app.deps import DbSession


def template_out(view: service.TemplateView) -> TemplateOut:
    return TemplateOut(
        code=view.template.code,
        title_zh=view.template.title_zh,
        title_en=view.template.title_en,
        version=view.version.version,
        items=[TemplateItemOut.model_validate(i, from_attributes=True) for i in view.items],
    )


class TemplatesApiController(Controller):
    path = "/api/v1/templates"
    guards = [require_login]
    tags = ["checklists"]

    @get("/", responses=ERRORS, sync_to_thread=True)
    def list_templates(self, db: DbSession) -> list[TemplateSummaryOut]:
        """Every checklist with its current published version number."""
        return [
            TemplateSummaryOut(
                code=v.template.code,
                title_zh=v.template.title_zh,
                title_en=v.template.title_en,
                version=v.version.version,
            )
            for v in service.list_published(session=db)
        ]

    @get("/{code:str}", responses=ERRORS, sync_to_thread=True)
    def get_template(
        self, db: DbSession, code: FromPath[str], version: FromQuery[OptionalVersion] = None
    ) -> TemplateOut:
        """The current published version with its items (or an older published `version`)."""
        return template_out(service.published(session=db, code=code, version=version))
