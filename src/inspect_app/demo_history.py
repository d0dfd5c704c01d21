"""Demo history: about 60 days of an office's work on top of the demo people and sites.

Inspections with both checklists, findings with photos, and rectification items in every state,
made through the real services acting as the demo users (so every rule holds), then moved into
the past with plain UPDATEs where the services stamp "now". Deterministic: a fixed seed, and every
date counted back from today in the office's time zone, so the data has the same shape any day.
What happens is in `demo_stories`, the pictures come from `demo_photos`; the campaigns of the
same weeks (rounds, coverage, outcomes on the spot) are played on top by `demo_campaigns`."""

from __future__ import annotations

import hashlib
import random
import tempfile
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import Session, select

from inspect_app.auth.service import CurrentUser, load_current_user
from inspect_app.checklists.service import version_items
from inspect_app.demo_campaigns import load_campaigns
from inspect_app.demo_photos import draw_photo
from inspect_app.demo_stories import (
    CANCELLED,
    CLOSED,
    DAYS,
    EXTENDED,
    EXTENDED_DEFAULT,
    FINDINGS,
    FIX_DEFAULT,
    FIXES,
    NOT_FIXED,
    Plan,
    make_plans,
)
from inspect_app.inspections import service as inspections
from inspect_app.models import (
    ChecklistTemplate,
    FollowUpVisit,
    Inspection,
    Photo,
    PhotoBlob,
    Rectification,
    RectificationStatus,
    Site,
    SiteKind,
    SiteOwner,
    TeamMember,
    TemplateVersion,
    User,
    utcnow,
)
from inspect_app.photos import service as photos
from inspect_app.photos.pipeline import process_photo
from inspect_app.photos.storage import DirectoryStorage
from inspect_app.rectifications import service as rect
from inspect_app.settings import Settings
from inspect_app.timezone import today_in


class History:
    """Plays the plans oldest first, each as the people who did it, and dates what they did."""

    def __init__(
        self, session: Session, settings: Settings, storage: DirectoryStorage, tmp: Path
    ) -> None:
        self.s, self.settings, self.storage, self.tmp = session, settings, storage, tmp
        self.rng = random.Random(2021)  # noqa: S311 (demo data: a fixed seed on purpose)
        self.tz = ZoneInfo(settings.time_zone)
        self.today = today_in(settings.time_zone)
        self.start = utcnow()
        self.users = {
            u.username: load_current_user(session=session, user=u)
            for u in session.exec(select(User))
        }
        self.inspector_of = {  # every demo team has one inspector
            m.team_id: self.users[u.username]
            for m, u in session.exec(select(TeamMember, User).join(User))
        }
        self.owner_of = {
            site_id: self.users[name]
            for site_id, name in session.exec(select(SiteOwner.site_id, User.username).join(User))
        }
        self.visits: dict[tuple[int, int], FollowUpVisit] = {}
        self.verdicts: dict[int, int] = {}  # visit id -> verdicts given on it so far
        self.written: list[str] = []  # storage keys, removed again if the load fails

    # --- time ----------------------------------------------------------------------------------

    def when(self, ago: int, minute: int) -> datetime:
        """UTC moment `minute` minutes after midnight, office time, `ago` days before today."""
        if ago < 1:
            raise ValueError("the history ends yesterday: a later moment could be in the future")
        day = self.today - timedelta(days=ago)
        return datetime.combine(day, time(minute // 60, minute % 60), self.tz).astimezone(UTC)

    def day(self, ago: int) -> date:
        return self.today - timedelta(days=ago)

    def new_uuid(self) -> str:
        """A UUID as a phone makes one, from the seeded random source."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _near(self, site: Site) -> tuple[float, float]:
        assert site.latitude is not None and site.longitude is not None
        return (
            round(site.latitude + self.rng.uniform(-3e-4, 3e-4), 6),
            round(site.longitude + self.rng.uniform(-3e-4, 3e-4), 6),
        )

    def _dated(self, item: Rectification, at: datetime) -> None:
        """The events this load just wrote for the item happened at `at`."""
        for event in rect.events(session=self.s, item=item):
            if event.at >= self.start:
                event.at = at
                self.s.add(event)
        item.updated_at = at
        if item.status in (RectificationStatus.closed, RectificationStatus.cancelled):
            item.resolved_at = at
        self.s.add(item)

    # --- photos --------------------------------------------------------------------------------

    def photo(
        self,
        user: CurrentUser,
        slot: photos.Slot,
        site: Site,
        at: datetime,
        *,
        fixed: bool,
        scene: str = "",
    ):
        """A generated phone photo through the real pipeline, storage and records (of the
        slot's checklist item, or of another `scene` of demo_photos)."""
        data = draw_photo(
            scene or slot.item_code,
            fixed=fixed,
            rng=self.rng,
            taken=at.astimezone(self.tz),
            gps=self._near(site),
        )
        path = self.tmp / "upload.jpg"
        path.write_bytes(data)
        processed = process_photo(
            path,
            sha256=hashlib.sha256(data).hexdigest(),
            byte_size=len(data),
            max_pixels=self.settings.photo_max_pixels,
            time_zone=self.settings.time_zone,
        )
        self.written += photos.save_files(storage=self.storage, processed=processed, original=path)
        photo = photos.record_photo(
            session=self.s, user=user, slot=slot, photo_uuid=self.new_uuid(), processed=processed
        )
        photo.created_at = at
        self.s.get_one(PhotoBlob, processed.sha256).created_at = at
        self.s.add(photo)
        return photo

    # --- inspections ---------------------------------------------------------------------------

    def inspect(self, plan: Plan) -> Inspection:
        """The plan's inspection, submitted and dated, and the life of what it found."""
        assert plan.site.id is not None and plan.site.team_id is not None
        inspector = self.inspector_of[plan.site.team_id]
        began = self.when(plan.ago, self.rng.randint(9 * 60, 16 * 60 + 30))
        tz_name = self.settings.time_zone
        inspection = inspections.start_inspection(
            session=self.s,
            user=inspector,
            site_id=plan.site.id,
            template_code=plan.template,
            uuid=self.new_uuid(),
            started_at=began,
            round_id=plan.round_id,
            time_zone=tz_name,
        )
        lat, lon = self._near(plan.site)
        inspections.record_location(
            session=self.s,
            user=inspector,
            inspection=inspection,
            latitude=lat,
            longitude=lon,
            accuracy_m=float(self.rng.randint(5, 35)),
        )
        answers, deadlines = {}, {}
        for item in version_items(session=self.s, version_id=inspection.version_id):
            failed = item.code in plan.findings
            if failed:
                deadlines[item.code] = self.day(plan.ago - item.period_days)
            answers[item.code] = inspections.save_answer(
                session=self.s,
                user=inspector,
                inspection=inspection,
                item_code=item.code,
                result="fail" if failed else self._pass_or_na(item.code, plan.site),
                note=self.rng.choice(FINDINGS[item.code]) if failed else "",
                deadline=max(deadlines[item.code], self.today) if failed else None,
                time_zone=tz_name,
            )
            if failed:  # a photo even where the checklist does not insist on one
                inspections.require_photo_slot(
                    session=self.s, user=inspector, inspection=inspection, item_code=item.code
                )
                slot = photos.Slot(item.code, inspection_id=inspection.id)
                for n in range(self.rng.choice((1, 1, 2))):
                    taken = began + timedelta(minutes=3 + item.position + n)
                    self.photo(inspector, slot, plan.site, taken, fixed=False)
        inspections.submit(session=self.s, user=inspector, inspection=inspection, time_zone=tz_name)
        done = began + timedelta(minutes=self.rng.randint(12, 30))
        inspection.created_at, inspection.submitted_at, inspection.updated_at = began, done, done
        for answer in answers.values():
            answer.updated_at = done - timedelta(minutes=1)
            answer.deadline = deadlines.get(answer.item_code)
        self.s.add_all([inspection, *answers.values()])
        verified = [deadlines[c] for c, a in plan.findings.items() if a in ("close", "reject")]
        if verified:  # a few days after the last of those deadlines, and after the inspection
            due_ago = (self.today - max(verified)).days
            plan.visit_ago = max(1, min(plan.ago - 1, due_ago - self.rng.randint(0, 4)))
        items = self.s.exec(
            select(Rectification).where(Rectification.inspection_id == inspection.id)
        )
        for item in items.all():
            item.deadline = deadlines[item.item_code]
            item.created_at = done
            for event in rect.events(session=self.s, item=item):
                event.new_deadline = item.deadline
            self._dated(item, done)
            self.follow(plan, item, plan.findings[item.item_code])
        self.s.flush()
        return inspection

    def _pass_or_na(self, code: str, site: Site) -> str:
        small = site.kind == SiteKind.shop
        if code in ("E09", "E10") and (small or self.rng.random() < 0.4):
            return "na"
        return "pass"

    # --- what came after -----------------------------------------------------------------------

    def follow(self, plan: Plan, item: Rectification, action: str) -> None:
        """One item's life after its inspection, each step by the person who takes it."""
        assert item.id is not None and plan.site.team_id is not None
        owner = self.owner_of.get(item.site_id)
        inspector = self.inspector_of[plan.site.team_id]
        deadline_ago = (self.today - item.deadline).days
        if action in ("close", "reject"):
            visit_ago = plan.visit_ago
            if owner and action == "close" and plan.ago - 1 > visit_ago:
                self.report(owner, item, self.rng.randint(visit_ago + 1, plan.ago - 1))
            self.verify(inspector, item, visit_ago, action)
            again = (self.today - item.deadline).days  # the new deadline, days ago
            if action == "reject" and again >= 8 and self.rng.random() < 0.7:
                self.verify(inspector, item, again - self.rng.randint(0, 3), "close")
        elif action == "report":
            assert owner is not None
            self.report(owner, item, self.rng.randint(1, min(plan.ago - 1, 3)))
        elif action == "extend":
            self.extend(item, max(1, min(plan.ago - 1, deadline_ago + 1)))
        elif action == "cancel":
            at = self.when(plan.ago - 1, 10 * 60 + 5)
            change = rect.Change(note=CANCELLED)
            rect.cancel(
                session=self.s, user=self.users["supervisor"], item_id=item.id, change=change
            )
            self._dated(item, at)

    def report(self, owner: CurrentUser, item: Rectification, ago: int) -> None:
        assert item.id is not None
        at = self.when(ago, self.rng.randint(8 * 60, 20 * 60))
        rect.require_photo_slot(user=owner, item=item)
        site = self.s.get_one(Site, item.site_id)
        shot = self.photo(
            owner, photos.Slot(item.item_code, rectification_id=item.id), site, at, fixed=True
        )
        note = FIXES.get(item.item_code, FIX_DEFAULT)
        change = rect.Change(note=note, photo_uuids=(shot.uuid,))
        rect.report_fixed(session=self.s, user=owner, item_id=item.id, change=change)
        self._dated(item, at)

    def verify(self, inspector: CurrentUser, item: Rectification, ago: int, action: str) -> None:
        """On the follow-up visit to the item's site that day, with an 'after' photo."""
        assert item.id is not None
        visit, at = self._visit(inspector, item.site_id, ago)
        site = self.s.get_one(Site, item.site_id)
        rect.require_photo_slot(user=inspector, item=item)
        slot = photos.Slot(item.item_code, rectification_id=item.id)
        shot = self.photo(inspector, slot, site, at, fixed=action == "close")
        new_deadline_ago = ago - self.rng.randint(3, 7)
        change = rect.Change(
            note=self.rng.choice(CLOSED if action == "close" else NOT_FIXED),
            photo_uuids=(shot.uuid,),
            visit_uuid=visit.uuid,
            new_deadline=None if action == "close" else max(self.day(new_deadline_ago), self.today),
        )
        outcome = "closed" if action == "close" else "not_fixed"
        rect.verify(
            session=self.s,
            user=inspector,
            item_id=item.id,
            outcome=outcome,
            change=change,
            today=self.today,
        )
        if action == "reject":
            self._moved(item, self.day(new_deadline_ago))
        self._dated(item, at)

    def _visit(
        self, inspector: CurrentUser, site_id: int, ago: int
    ) -> tuple[FollowUpVisit, datetime]:
        """One visit per site and day; each verdict on it a few minutes after the last."""
        visit = self.visits.get((site_id, ago))
        if visit is None:
            visit = rect.start_visit(
                session=self.s, user=inspector, site_id=site_id, uuid=self.new_uuid()
            )
            visit.started_at = self.when(ago, self.rng.randint(9 * 60 + 30, 16 * 60 + 30))
            self.s.add(visit)
            self.visits[(site_id, ago)] = visit
        assert visit.id is not None
        self.verdicts[visit.id] = self.verdicts.get(visit.id, 0) + 1
        return visit, visit.started_at + timedelta(minutes=4 * self.verdicts[visit.id])

    def extend(self, item: Rectification, ago: int) -> None:
        """The supervisor gives ten days more, asked for the day before the deadline."""
        assert item.id is not None
        at = self.when(ago, self.rng.randint(10 * 60, 17 * 60))
        new_deadline = item.deadline + timedelta(days=10)
        change = rect.Change(
            note=EXTENDED.get(item.item_code, EXTENDED_DEFAULT),
            new_deadline=max(new_deadline, self.today + timedelta(days=1)),
        )
        rect.extend(
            session=self.s,
            user=self.users["supervisor"],
            item_id=item.id,
            change=change,
            today=self.today,
        )
        self._moved(item, new_deadline)
        self._dated(item, at)

    def _moved(self, item: Rectification, deadline) -> None:
        """The deadline the event just set (given as today or later, as the service requires),
        back to the day it really was."""
        latest = [e for e in rect.events(session=self.s, item=item) if e.at >= self.start][-1]
        latest.new_deadline = item.deadline = deadline
        self.s.add_all([latest, item])

    # --- the whole load -------------------------------------------------------------------------

    def run(self) -> None:
        for plan in make_plans(session=self.s, rng=self.rng):
            self.inspect(plan)
        self.draft()
        long_ago = self.when(DAYS + 15, 9 * 60)
        for model in (User, Site, ChecklistTemplate, TemplateVersion):
            self.s.exec(update(model).values(created_at=long_ago))
        self.s.exec(update(Site).values(updated_at=long_ago))
        self.s.exec(update(TemplateVersion).values(published_at=long_ago))
        self.s.flush()

    def date_the_link_accounts(self) -> None:
        """The hidden accounts of the business links the campaigns' notices made are dated
        like every other account: before the history began."""
        long_ago = self.when(DAYS + 15, 9 * 60)
        self.s.exec(update(User).where(User.link_site_id.is_not(None)).values(created_at=long_ago))
        self.s.flush()

    def draft(self) -> None:
        """inspector1 is halfway through a walkthrough begun 25 minutes ago."""
        inspector = self.users["inspector1"]
        site = self.s.exec(
            select(Site).where(Site.team_id.in_(inspector.team_ids), Site.kind == SiteKind.compound)
        ).first()
        assert site is not None and site.id is not None
        began = self.start - timedelta(minutes=25)
        inspection = inspections.start_inspection(
            session=self.s,
            user=inspector,
            site_id=site.id,
            template_code="fire-safety",
            uuid=self.new_uuid(),
            started_at=began,
        )
        for item in version_items(session=self.s, version_id=inspection.version_id)[:4]:
            inspections.save_answer(
                session=self.s,
                user=inspector,
                inspection=inspection,
                item_code=item.code,
                result="pass",
                time_zone=self.settings.time_zone,
            )


def load_history(*, session: Session, settings: Settings) -> None:
    """Add the history to a freshly loaded demo (see `inspect_app.demo.load_demo`)."""
    # No fsync per file: it tripled the load time here, and a crash while loading means
    # loading the demo again anyway.
    assert settings.photo_dir is not None  # set by Settings
    storage = DirectoryStorage(settings.photo_dir, fsync=False)
    with tempfile.TemporaryDirectory(prefix="inspect-demo-") as tmp:
        history = History(session, settings, storage, Path(tmp))
        try:
            history.run()
            load_campaigns(history)
            history.date_the_link_accounts()
        except BaseException:
            for key in history.written:  # no file left without its record
                storage.delete(key)
            raise


def describe(*, session: Session, time_zone: str) -> str:
    """One line on what the history holds, for the command's output."""

    def count(model, *where) -> int:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()

    today = today_in(time_zone)
    return (
        f"{count(Inspection)} inspections over {DAYS} days, {count(Photo)} photos, "
        f"{count(Rectification)} rectification items "
        f"({count(Rectification, Rectification.active_clause())} active, "
        f"{count(Rectification, Rectification.overdue_clause(today))} overdue)"
    )
