"""Rectification notices: issued with a number when an inspection with failures is submitted,
frozen with a content hash, corrected only by a new number, and printed as a PDF with Chinese
text, photos and page numbers; whoever sees the site sees its notices, nobody else."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select

from inspect_app.errors import Conflict
from inspect_app.models import Inspection, Notice, Rectification, Site, Subdistrict
from inspect_app.notices import content as contents
from inspect_app.notices import pdf
from inspect_app.timezone import today_in
from tests.helpers.data import findings, owner_names
from tests.helpers.html import parse

YEAR = today_in("Asia/Shanghai").year


def notice_of_item(world, item_id: int) -> Notice:
    with world.session() as s:
        inspection_id = s.get(Rectification, item_id).inspection_id
        return s.exec(
            select(Notice).where(Notice.inspection_id == inspection_id).order_by(Notice.id.desc())
        ).first()


def inspection_uuid(world, notice: Notice) -> str:
    with world.session() as s:
        return s.get(Inspection, notice.inspection_id).uuid


def owned_site(world) -> tuple[Site, str]:
    site = world.owned_by("owner1")[0]
    return site, "owner1"


def test_a_submitted_inspection_with_failures_gets_the_next_number(client, api_token, world):
    site, _owner = owned_site(world)
    first = notice_of_item(world, findings(client, api_token, world, site)[0])
    second = notice_of_item(world, findings(client, api_token, world, site, failed=("F02",))[0])
    assert first.number == f"梧桐〔{YEAR}〕第{first.seq:04d}号"
    assert second.seq == first.seq + 1 and second.year == YEAR
    assert second.number == f"梧桐〔{YEAR}〕第{second.seq:04d}号"
