"""Inspections: start, answer item by item (saved as given), submit, summarise, history."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete
from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser
from inspect_app.bounds import column_length
from inspect_app.checklists import service as checklists
from inspect_app.errors import Conflict, Forbidden, Invalid, NotFound
from inspect_app.i18n import gettext as _
from inspect_app.models import (
    Answer,
    ChecklistTemplate,
    Inspection,
    InspectionStatus,
    Photo,
    Result,
    Role,
    Severity,
    Site,
    TemplateItem,
    TemplateVersion,
    utcnow,
)
from inspect_app.photos.service import Slot
from inspect_app.settings import Settings
from inspect_app.sites.service import get_site, site_scope
from inspect_app.sites.visibility import readable_clause
from inspect_app.timezone import add_days, check_client_time, deadline_window, today_in

HORIZON_DAYS = Settings.deadline_horizon_days  # callers pass the configured one

NOTE_MAX = column_length(Answer, "note")


def get_inspection(*, session: Session, user: CurrentUser, uuid: str) -> Inspection:
    """The inspection if this user may see it (its site, and a draft only if it is theirs or
    they are the office); 404 otherwise, so nobody learns of someone else's draft."""
    found = session.exec(
        select(Inspection)
        .join(Site, Site.id == Inspection.site_id)
        .where(Inspection.uuid == uuid, *site_scope(user), readable_clause(user))
    ).first()
    if found is None:
        raise NotFound(_("This inspection does not exist or is not visible to you."))
    return found


def _require_inspector(user: CurrentUser) -> None:
    if user.role != Role.inspector:
        raise Forbidden(_("Only inspectors carry out inspections."))


def require_editable(inspection: Inspection, user: CurrentUser) -> None:
    if inspection.inspector_id != user.id:
        raise Forbidden(_("Only the inspector who started this inspection may change it."))
    if inspection.status == InspectionStatus.submitted:
        raise Conflict(_("This inspection has been submitted and can no longer be changed."))


def start_inspection(
    *,
    session: Session,
    user: CurrentUser,
    site_id: int,
    template_code: str,
    uuid: str,
    started_at: datetime | None = None,
    version: int | None = None,
    round_id: int | None = None,
    time_zone: str = "",
) -> Inspection:
    """A new draft with the current published version (or the one the phone had cached),
    linked to the campaign round it was started from, if any (checked by `on_round_link`;
    `time_zone`, the office's, is needed then)."""
    _require_inspector(user)
    site = get_site(session=session, user=user, site_id=site_id)
    view = checklists.published(session=session, code=template_code, version=version)
    assert site.id is not None and view.version.id is not None
    if round_id is not None:
        _check_round_link(session, user, site, template_code, round_id, time_zone)
    inspection = Inspection(
        uuid=uuid,
        site_id=site.id,
        version_id=view.version.id,
        inspector_id=user.id,
        started_at=check_client_time(started_at, "started_at") if started_at else utcnow(),
        round_id=round_id,
    )
    session.add(inspection)
    session.flush()
    return inspection


def open_draft(
    *, session: Session, user: CurrentUser, site_id: int, template_code: str
) -> Inspection | None:
    """The inspector's unsubmitted inspection of this site with this checklist, if any (the
    newest): starting again continues it rather than making a second draft."""
    return session.exec(
        select(Inspection)
        .join(TemplateVersion, TemplateVersion.id == Inspection.version_id)
        .join(ChecklistTemplate, ChecklistTemplate.id == TemplateVersion.template_id)
        .where(
            Inspection.inspector_id == user.id,
            Inspection.site_id == site_id,
            Inspection.status == InspectionStatus.draft,
            ChecklistTemplate.code == template_code,
        )
        .order_by(Inspection.started_at.desc(), Inspection.id.desc())
    ).first()


def discard_draft(*, session: Session, user: CurrentUser, inspection: Inspection) -> int:
    """Throw away a draft on purpose (its inspector only): answers, photos and the draft itself.
    Returns the site's id. Photo files stay while other records use them."""
    require_editable(inspection, user)
    for model in (Photo, Answer):
        session.execute(delete(model).where(model.inspection_id == inspection.id))
    site_id = inspection.site_id
    session.delete(inspection)
    session.flush()
    return site_id


def record_location(
    *,
    session: Session,
    user: CurrentUser,
    inspection: Inspection,
    latitude: float,
    longitude: float,
    accuracy_m: float | None,
) -> None:
    require_editable(inspection, user)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Invalid(_("The position is not valid."))
    inspection.latitude, inspection.longitude, inspection.accuracy_m = (
        latitude,
        longitude,
        accuracy_m,
    )
    session.add(inspection)
    session.flush()


def _items_by_code(session: Session, inspection: Inspection) -> dict[str, TemplateItem]:
    return {
        i.code: i
        for i in checklists.version_items(session=session, version_id=inspection.version_id)
    }


def _item(session: Session, inspection: Inspection, item_code: str) -> TemplateItem | None:
    """One item of the inspection's version (a sync saves a dozen answers: one row each, not
    every item each time)."""
    return session.exec(
        select(TemplateItem).where(
            TemplateItem.version_id == inspection.version_id,
            TemplateItem.code == item_code,
            TemplateItem.retired.is_(False),
        )
    ).first()


def default_deadline(
    item: TemplateItem, *, time_zone: str, horizon_days: int = HORIZON_DAYS
) -> date:
    """The item's rectification period from today, within the deadline window."""
    today = today_in(time_zone)
    return deadline_window(today, horizon_days).clamp(add_days(today, item.period_days))


class DeadlineRefused(Invalid):
    """The answer was saved (result, note) but not the deadline sent with it: what was saved
    stays, and the message is shown at the deadline field."""

    keeps_changes = True


def _answer(session: Session, inspection: Inspection, item_code: str) -> Answer | None:
    return session.exec(
        select(Answer).where(Answer.inspection_id == inspection.id, Answer.item_code == item_code)
    ).first()


def save_answer(
    *,
    session: Session,
    user: CurrentUser,
    inspection: Inspection,
    item_code: str,
    result: str,
    note: str = "",
    deadline: str | date | None = None,
    time_zone: str,
    horizon_days: int = HORIZON_DAYS,
) -> Answer:
    """Store one answer as it is given; a failed item gets its deadline prefilled. A deadline
    outside the window (or not a date) is refused alone: DeadlineRefused once the rest is saved."""
    require_editable(inspection, user)
    item = _item(session, inspection, item_code)
    if item is None:
        raise NotFound(_("This checklist has no item %(code)s.", code=item_code))
    if result not in {r.value for r in Result}:
        raise Invalid(
            _("Answer pass, fail or not applicable."), fields={item_code: _("Choose an answer.")}
        )
    if len(note) > NOTE_MAX:
        raise Invalid(
            _("The note is too long."),
            fields={item_code: _("At most %(n)s characters.", n=NOTE_MAX)},
        )
    parsed, refused = None, None
    if result == Result.failed:  # only a failed item keeps a deadline
        try:
            parsed = parse_deadline(deadline, item_code)
            if parsed is not None:
                deadline_window(today_in(time_zone), horizon_days).check(parsed, item_code)
        except Invalid as exc:
            parsed, refused = None, exc
    assert inspection.id is not None
    answer = _answer(session, inspection, item_code) or Answer(
        inspection_id=inspection.id, item_code=item_code, result=Result(result)
    )
    answer.result = Result(result)
    answer.note = note.strip()
    if answer.result == Result.failed:
        answer.deadline = (
            parsed
            or answer.deadline
            or default_deadline(item, time_zone=time_zone, horizon_days=horizon_days)
        )
    else:
        answer.deadline = None
    answer.updated_at = utcnow()
    inspection.updated_at = answer.updated_at
    session.add_all([answer, inspection])
    session.flush()
    if refused is not None:
        raise DeadlineRefused(refused.message, fields=refused.fields)
    return answer


def save_fields(
    *,
    session: Session,
    user: CurrentUser,
    inspection: Inspection,
    item_code: str,
    note: str | None = None,
    deadline: str | None = None,
    time_zone: str,
    horizon_days: int = HORIZON_DAYS,
) -> Answer:
    """Change the note or the deadline of an answer already given, as they are typed; what is
    not sent stays. A refused deadline is refused alone (DeadlineRefused once the note is saved)."""
    require_editable(inspection, user)
    answer = _answer(session, inspection, item_code)
    if answer is None:
        if item_code not in _items_by_code(session, inspection):
            raise NotFound(_("This checklist has no item %(code)s.", code=item_code))
        raise Invalid(
            _("Answer this item before its note or deadline."),
            fields={item_code: _("Choose an answer.")},
        )
    return save_answer(
        session=session,
        user=user,
        inspection=inspection,
        item_code=item_code,
        result=answer.result.value,
        note=answer.note if note is None else note,
        deadline=deadline or None,
        time_zone=time_zone,
        horizon_days=horizon_days,
    )


def parse_deadline(value: str | date | None, item_code: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            _("The deadline is not a date."), fields={item_code: _("Enter a date.")}
        ) from None


def answers_by_code(*, session: Session, inspection: Inspection) -> dict[str, Answer]:
    rows = session.exec(select(Answer).where(Answer.inspection_id == inspection.id))
    return {a.item_code: a for a in rows}


def photos_by_code(*, session: Session, inspection: Inspection) -> dict[str, list[Photo]]:
    out: dict[str, list[Photo]] = {}
    for photo in session.exec(
        select(Photo)
        .where(Photo.inspection_id == inspection.id)
        .order_by(Photo.created_at, Photo.id)
    ):
        out.setdefault(photo.item_code or "", []).append(photo)
    return out


def submit_problems(
    *, session: Session, inspection: Inspection, time_zone: str, horizon_days: int = HORIZON_DAYS
) -> dict[str, str]:
    """What stops this inspection from being submitted, by item code."""
    answers = answers_by_code(session=session, inspection=inspection)
    photos = photos_by_code(session=session, inspection=inspection)
    window = deadline_window(today_in(time_zone), horizon_days)
    problems: dict[str, str] = {}
    for code, item in _items_by_code(session, inspection).items():
        answer = answers.get(code)
        if answer is None:
            problems[code] = _("Not answered yet.")
        elif answer.result == Result.failed:
            if answer.deadline is None:
                problems[code] = _("A failed item needs a deadline.")
            elif answer.deadline not in window:
                problems[code] = window.message()
            elif item.photo_required and not photos.get(code):
                problems[code] = _("A failed item needs at least one photo.")
    return problems


@dataclass(frozen=True)
class Finding:
    """A failed item of an inspection being submitted: what a rectification item is opened for."""

    answer: Answer
    severity: Severity


# (session, user, inspection, its findings, the office's time zone)
FindingsHandler = Callable[[Session, CurrentUser, Inspection, list[Finding], str], None]
_findings_handlers: list[FindingsHandler] = []
# (session, user, site, template code, round id, time zone): raises if it may not be named
RoundCheck = Callable[[Session, CurrentUser, Site, str, int, str], None]
_round_checks: list[RoundCheck] = []


def on_round_link(check: RoundCheck) -> RoundCheck:
    """Register the check of a round named when an inspection starts (campaigns does: the
    round must be running, include the site and use this checklist)."""
    if check not in _round_checks:
        _round_checks.append(check)
    return check


def _check_round_link(
    session: Session,
    user: CurrentUser,
    site: Site,
    template_code: str,
    round_id: int,
    time_zone: str,
) -> None:
    if not time_zone:
        raise TypeError("a round is checked in the office's time zone: pass time_zone")
    if not _round_checks:
        raise RuntimeError("nothing checks campaign rounds: import inspect_app.campaigns.service")
    for check in _round_checks:
        check(session, user, site, template_code, round_id, time_zone)


def on_submitted(handler: FindingsHandler) -> FindingsHandler:
    """Register what becomes of a submitted inspection's findings, in its transaction.

    Rectifications registers itself here (it opens one item per finding): the layers run one
    way, so inspections may not import it, and calls it through this instead."""
    if handler not in _findings_handlers:
        _findings_handlers.append(handler)
    return handler


def _announce_submitted(
    session: Session,
    user: CurrentUser,
    inspection: Inspection,
    findings: list[Finding],
    time_zone: str,
) -> None:
    if findings and not _findings_handlers:
        raise RuntimeError(
            "nothing opens rectification items: import inspect_app.rectifications.service"
        )
    for handler in _findings_handlers:
        handler(session, user, inspection, findings, time_zone)


def submit(
    *,
    session: Session,
    user: CurrentUser,
    inspection: Inspection,
    time_zone: str,
    horizon_days: int = HORIZON_DAYS,
) -> Inspection:
    """Check every item, then seal the inspection and open one rectification item per failure."""
    require_editable(inspection, user)
    problems = submit_problems(
        session=session, inspection=inspection, time_zone=time_zone, horizon_days=horizon_days
    )
    if problems:
        raise Invalid(_("Some items need attention before you can submit."), fields=problems)
    items = _items_by_code(session, inspection)
    findings = [
        Finding(answer=answer, severity=items[answer.item_code].severity)
        for answer in answers_by_code(session=session, inspection=inspection).values()
        if answer.result == Result.failed and answer.item_code in items
    ]
    inspection.status = InspectionStatus.submitted
    inspection.submitted_at = utcnow()
    inspection.updated_at = inspection.submitted_at
    session.add(inspection)
    session.flush()
    _announce_submitted(session, user, inspection, findings, time_zone)
    return inspection


# --- summaries and history ----------------------------------------------------------------


@dataclass
class Summary:
    inspection: Inspection
    site: Site
    view: checklists.TemplateView
    answers: dict[str, Answer]
    photos: dict[str, list[Photo]]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def score(self) -> int | None:
        """Share of applicable items that passed, in percent (None when nothing applied)."""
        applicable = self.counts.get("pass", 0) + self.counts.get("fail", 0)
        return round(100 * self.counts.get("pass", 0) / applicable) if applicable else None

    @property
    def failed_items(self) -> list[TemplateItem]:
        return [
            i
            for i in self.view.items
            if (a := self.answers.get(i.code)) and a.result == Result.failed
        ]

    @property
    def distance_m(self) -> float | None:
        """How far from the site's registered position the phone was when the inspection began."""
        i, s = self.inspection, self.site
        if i.latitude is None or i.longitude is None or s.latitude is None or s.longitude is None:
            return None
        return haversine_m(i.latitude, i.longitude, s.latitude, s.longitude)

    @property
    def answered(self) -> int:
        return sum(1 for i in self.view.items if i.code in self.answers)


def summarise(*, session: Session, inspection: Inspection) -> Summary:
    answers = answers_by_code(session=session, inspection=inspection)
    view = checklists.version_view(session=session, version_id=inspection.version_id)
    counts: dict[str, int] = {}
    for item in view.items:
        if item.code in answers:
            key = answers[item.code].result.value
            counts[key] = counts.get(key, 0) + 1
    return Summary(
        inspection=inspection,
        site=session.get_one(Site, inspection.site_id),
        view=view,
        answers=answers,
        photos=photos_by_code(session=session, inspection=inspection),
        counts=counts,
    )


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def site_history(
    *, session: Session, user: CurrentUser, site_id: int, limit: int = 50
) -> list[Inspection]:
    """A site's inspections, newest first (drafts only for the inspector who owns them and the
    office: the rule is applied in SQL, before the limit)."""
    site = get_site(session=session, user=user, site_id=site_id)
    return list(
        session.exec(
            select(Inspection)
            .where(Inspection.site_id == site.id, readable_clause(user))
            .order_by(Inspection.started_at.desc(), Inspection.id.desc())
            .limit(limit)
        )
    )


def require_photo_slot(
    *, session: Session, user: CurrentUser, inspection: Inspection, item_code: str
) -> None:
    """A new photo belongs to an item of this draft, added by its inspector."""
    require_editable(inspection, user)
    if item_code not in _items_by_code(session, inspection):
        raise Invalid(
            _("This checklist has no item %(code)s.", code=item_code),
            fields={"item_code": _("Unknown item.")},
        )


@dataclass(frozen=True)
class FindingPhotos:
    """Where a photo of a finding goes (a `photos.intake.PhotoTarget`): an item of a draft
    that this user may edit."""

    user: CurrentUser
    uuid: str

    def locate(self, session: Session) -> Slot:
        found = get_inspection(session=session, user=self.user, uuid=self.uuid)
        return Slot(item_code="", inspection_id=found.id)

    def admit(self, session: Session, item_code: str) -> Slot:
        found = get_inspection(session=session, user=self.user, uuid=self.uuid)
        require_photo_slot(session=session, user=self.user, inspection=found, item_code=item_code)
        return Slot(item_code=item_code, inspection_id=found.id)


def templates_by_version(
    *, session: Session
) -> dict[int | None, tuple[ChecklistTemplate, TemplateVersion]]:
    """version id -> (template, version), to title a list of inspections without a query each."""
    rows = session.exec(
        select(TemplateVersion, ChecklistTemplate).join(
            ChecklistTemplate, ChecklistTemplate.id == TemplateVersion.template_id
        )
    )
    return {version.id: (template, version) for version, template in rows}
