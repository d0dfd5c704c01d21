"""A campaign in the district data set: the enterprise checklist over the whole of subdistrict 1
(every building and enterprise in it), round 1 ended and nearly complete, round 2 running and
partly covered. Its visits are inspections like the others (linked to their round); what covers
a site follows the app's rule: the last submitted inspection with the campaign's checklist
within the round, or an outcome recorded on the spot (a few refused, absent, told to close).

The rows a round writes (`round_site`, `site_outcome`) are made after the inspections, from
what `World._inspection` reported through `Campaign.saw`. The campaign draws from its own
random source, so the rest of the data set is what it was without it."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import SQLModel

T = SQLModel.metadata.tables
SUBDISTRICT = 1
TEMPLATE = "enterprise-12"
# (number, first day, last day: days from today, share of the sites the teams set out to visit)
ROUNDS = ((1, -60, -31, 0.96), (2, -20, 10, 0.50))
OUTCOMES = (("refused", 0.006), ("absent", 0.012), ("told_to_close", 0.003),
            ("closed_down", 0.004))  # fmt: skip
NOTES = {"told_to_close": "已劝其暂停营业", "closed_down": "已关闭，门面招租"}
CAMPAIGN_COLUMNS = ("id", "subdistrict_id", "name_zh", "name_en", "template_id", "scope",
                    "scope_kinds", "include_later", "starts_on", "ends_on", "repeat",
                    "repeat_every", "created_by", "created_at", "updated_at")  # fmt: skip
ROUND_COLUMNS = ("id", "campaign_id", "number", "starts_on", "ends_on", "created_at")
OUTCOME_COLUMNS = ("id", "uuid", "round_id", "site_id", "outcome", "note", "recorded_by",
                   "recorded_at", "created_at")  # fmt: skip
ROUND_SITE_COLUMNS = ("round_id", "site_id", "team_id", "inspector_id", "state", "outcome",
                      "inspection_id", "failing", "covered_on", "updated_at")  # fmt: skip


@dataclass
class Round:
    id: int
    number: int
    starts_on: date
    ends_on: date
    share: float
    # site id -> (inspection id, failing, covered on, covering outcome)
    covered: dict[int, tuple[int | None, bool, date, str | None]] = field(default_factory=dict)
    unreachable: dict[int, str] = field(default_factory=dict)


class Campaign:
    """Plans the campaign's visits into the world's inspections and writes its coverage."""

    def __init__(self, world) -> None:
        self.w = world
        self.rng = random.Random(2026)  # noqa: S311 (test data)
        self.template = world.templates[TEMPLATE]
        self.rounds: list[Round] = []
        self.sites = [s for s in world.sites if s.subdistrict == SUBDISTRICT]

    def _moment(self, on: date, minutes: int) -> datetime:
        local = datetime.combine(on, time(minutes // 60, minutes % 60), self.w.tz)
        return local.astimezone(UTC)

    def _day_in(self, r: Round) -> date:
        """A day of the round up to yesterday."""
        last = min(self.w.today - timedelta(days=1), r.ends_on)
        return r.starts_on + timedelta(days=self.rng.randrange((last - r.starts_on).days + 1))

    def plan(self) -> None:
        w = self.w
        cid = w.ids("campaign")
        first, last = ROUNDS[0], ROUNDS[-1]

        def day(n: int) -> date:
            return w.today + timedelta(days=n)

        row = (cid, SUBDISTRICT, "复工检查", "Reopening checks", self.template.template_id, "all",
               "", False, day(first[1]), day(last[2]), "once", 1, w.supervisors[SUBDISTRICT],
               w.now, w.now)  # fmt: skip
        w.w.write(T["campaign"], CAMPAIGN_COLUMNS, [row])
        rows = []
        for number, start, end, share in ROUNDS:
            rid = w.ids("campaign_round")
            self.rounds.append(Round(rid, number, day(start), day(end), share))
            # planned "now": every site of the data set (made now) belongs to the round
            rows.append((rid, cid, number, day(start), day(end), w.now))
        w.w.write(T["campaign_round"], ROUND_COLUMNS, rows)

    def visits(self) -> list[tuple[datetime, object, bool, int]]:
        """(start, site, fire safety?, round id) of each visit the teams made for the campaign."""
        out = []
        for r in self.rounds:
            for site in self.sites:
                if self.rng.random() < r.share:
                    at = self._moment(self._day_in(r), self.rng.randrange(9 * 60, 17 * 60))
                    out.append((at, site, False, r.id))
        return out

    def saw(self, iid: int, site, tpl, submitted: datetime | None, failing: bool) -> None:
        """An inspection was written: it covers the site in each round it was submitted in."""
        if submitted is None or tpl.code != TEMPLATE or site.subdistrict != SUBDISTRICT:
            return
        day = submitted.astimezone(self.w.tz).date()
        for r in self.rounds:
            if r.starts_on <= day <= r.ends_on:
                r.covered[site.id] = (iid, failing, day, None)

    def write(self) -> None:
        """Outcomes on the spot at a few sites not covered, then one round_site row per site
        each round touched."""
        w = self.w
        outcomes, rows = [], []
        for r in self.rounds:
            for site in self.sites:
                if site.id in r.covered:
                    continue
                for outcome, share in OUTCOMES:
                    if self.rng.random() >= share:
                        continue
                    on = self._day_in(r)
                    at = self._moment(on, 10 * 60 + 30)
                    key = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
                    by = w.team_inspectors[site.team_id][0]
                    outcomes.append((w.ids("site_outcome"), key, r.id, site.id, outcome,
                                     NOTES.get(outcome, ""), by, at, at))  # fmt: skip
                    if outcome in NOTES:  # told to close and closed down cover the site
                        r.covered[site.id] = (None, False, on, outcome)
                    else:
                        r.unreachable[site.id] = outcome
                    break
            for site_id, (iid, failing, on, outcome) in r.covered.items():
                rows.append((r.id, site_id, None, None, "covered", outcome, iid, failing, on,
                             w.now))  # fmt: skip
            for site_id, outcome in r.unreachable.items():
                rows.append((r.id, site_id, None, None, "unreachable", outcome, None, False,
                             None, w.now))  # fmt: skip
        w.w.write(T["site_outcome"], OUTCOME_COLUMNS, outcomes)
        w.w.write(T["round_site"], ROUND_SITE_COLUMNS, rows)
