"""The inspector's to do as the pages show it: a section per running round (by its end), in it a
group per building (the building first, its tenants under it) and one per kind for the sites
outside any building, with the counts at the top. The home page shows the first sites, the to
do page all of them; the phone sorts by distance (static/js/todo.js)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from inspect_app.auth.service import CurrentUser
from inspect_app.campaigns.todo import TodoRow, done_today, todo
from inspect_app.models import ChecklistTemplate, CoverageState, SiteKind

KIND_ORDER = (SiteKind.building, SiteKind.compound, SiteKind.enterprise, SiteKind.shop)


@dataclass
class TodoGroup:
    """A building (or compound) with its tenants, or the sites of one kind outside any."""

    key: str
    building_id: int | None
    name_zh: str
    name_en: str
    kind: SiteKind | None
    rows: list[TodoRow] = field(default_factory=list)


@dataclass
class TodoRound:
    round_id: int
    campaign_name_zh: str
    campaign_name_en: str
    number: int
    ends_on: date
    days_left: int
    template_code: str
    template_title_zh: str
    template_title_en: str
    groups: list[TodoGroup] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(g.rows) for g in self.groups)


@dataclass
class TodoBoard:
    rounds: list[TodoRound]
    pending: int  # not yet visited
    again: int  # refused, no one present, closed for the day: visit again
    done_today: int
    shown: int  # sites on the page (the home page shows the first few)

    @property
    def total(self) -> int:
        return self.pending + self.again


def _titles(session: Session, codes: set[str]) -> dict[str, tuple[str, str]]:
    found = session.exec(
        select(
            ChecklistTemplate.code, ChecklistTemplate.title_zh, ChecklistTemplate.title_en
        ).where(col(ChecklistTemplate.code).in_(sorted(codes)))
    ).all()
    return {code: (zh, en) for code, zh, en in found}


def _group_key(row: TodoRow) -> str:
    return f"b{row.building_id}" if row.building_id is not None else f"k{row.kind.value}"


def group_rounds(
    rows: list[TodoRow], today: date, titles: dict[str, tuple[str, str]], limit: int | None
) -> list[TodoRound]:
    """Rows (in round-end order, buildings by name, the building before its tenants) into
    sections and groups: buildings in the order met, then the sites outside any, by kind."""
    rounds: dict[int, TodoRound] = {}
    groups: dict[tuple[int, str], TodoGroup] = {}
    for row in rows[:limit] if limit is not None else rows:
        section = rounds.get(row.round_id)
        if section is None:
            zh, en = titles.get(row.template_code, (row.template_code, row.template_code))
            section = rounds[row.round_id] = TodoRound(
                round_id=row.round_id,
                campaign_name_zh=row.campaign_name_zh,
                campaign_name_en=row.campaign_name_en,
                number=row.round_number,
                ends_on=row.round_ends_on,
                days_left=row.days_left(today),
                template_code=row.template_code,
                template_title_zh=zh,
                template_title_en=en,
            )
        key = _group_key(row)
        group = groups.get((row.round_id, key))
        if group is None:
            group = groups[row.round_id, key] = TodoGroup(
                key=key,
                building_id=row.building_id,
                name_zh=row.building_name_zh,
                name_en=row.building_name_en,
                kind=row.kind if row.building_id is None else None,
            )
            section.groups.append(group)
        group.rows.append(row)
    for section in rounds.values():  # stable: buildings keep their order, by name
        section.groups.sort(key=lambda g: -1 if g.kind is None else KIND_ORDER.index(g.kind))
    return list(rounds.values())


def todo_board(
    *, session: Session, user: CurrentUser, today: date, time_zone: str, limit: int | None = None
) -> TodoBoard:
    """The inspector's to do (the first `limit` sites, when given) with its counts."""
    rows = todo(session=session, user=user, today=today, time_zone=time_zone)
    titles = _titles(session, {r.template_code for r in rows}) if rows else {}
    again = sum(1 for r in rows if r.state == CoverageState.unreachable)
    return TodoBoard(
        rounds=group_rounds(rows, today, titles, limit),
        pending=len(rows) - again,
        again=again,
        done_today=done_today(session=session, user=user, today=today, time_zone=time_zone),
        shown=min(len(rows), limit) if limit is not None else len(rows),
    )
