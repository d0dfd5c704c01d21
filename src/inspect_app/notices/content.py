"""What a notice says, frozen when it is issued, and the hash that shows it was not changed.

The canonical form (README "Rectification notices"): the content as a JSON object with keys
sorted at every level, no whitespace (separators "," and ":"), non-ASCII characters written as
themselves (not \\u escapes), encoded as UTF-8; the hash is the SHA-256 of those bytes, in
lowercase hex. The content is stored with `signatures` empty, and that is the notice's hash
before anyone signs.

Signatures are sealed in: the hash after a signature is the same canonical form of the content
with `signatures` set to every signature recorded so far, oldest first (the order they were
recorded in), each one an object {"role", "signer_name", "witness_name", "signed_at" (the
phone's time, UTC, "YYYY-MM-DDTHH:MM:SSZ"), "svg_sha256" (SHA-256 of the SVG's UTF-8 text in
lowercase hex, null for a refusal)}. Each signature row keeps the hash sealed after it, so the
newest one is the notice's hash now; changing the content, a name or an SVG breaks it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date
from typing import Any

from sqlmodel import Session

from inspect_app.checklists import service as checklists
from inspect_app.inspections import service as inspections
from inspect_app.models import Inspection, NoticeSignature, Result, Site, Subdistrict, User
from inspect_app.timezone import local

FORMAT = 1  # the version of the content's shape; bump it when fields change

DEFAULT_RECHECK_ZH = (
    "整改完成后，请通过本通知书上的方式提交整改照片，或向本办事处申请复查；"
    "逾期未整改的，将依法依规处理。"
)
DEFAULT_RECHECK_EN = (
    "Once fixed, report the fix with photos as shown on this notice, or apply to the office "
    "for a re-check; items not put right by their deadline are dealt with according to law."
)


def canonical(content: dict[str, Any]) -> str:
    """The one text of a content: sorted keys, no whitespace, UTF-8 characters as they are."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(text: str) -> str:
    """SHA-256 of the canonical text's UTF-8 bytes, in lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signature_entry(sig: NoticeSignature) -> dict[str, Any]:
    """One signature as it is hashed (see the module's docstring)."""
    return {
        "role": str(sig.role),
        "signer_name": sig.signer_name,
        "witness_name": sig.witness_name,
        "signed_at": sig.signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "svg_sha256": sig.svg_sha256,
    }


def svg_digest(svg: str | None) -> str | None:
    """SHA-256 of a signature's SVG text (None for a refusal, which has none)."""
    return None if svg is None else digest(svg)


def sealed(content_text: str, signatures: list[dict[str, Any]]) -> str:
    """The notice's hash with these signatures (oldest first) in its content."""
    body = json.loads(content_text)
    body["signatures"] = signatures
    return digest(canonical(body))


def prefix_of(subdistrict: Subdistrict) -> str:
    """The number's prefix: the configured one, else the Chinese name without 街道."""
    return subdistrict.notice_prefix.strip() or subdistrict.name_zh.removesuffix("街道")


def format_number(prefix: str, year: int, seq: int) -> str:
    """梧桐〔2026〕第0012号: four digits at least, more when a year needs them."""
    return f"{prefix}〔{year}〕第{seq:04d}号"


def recheck_wording(subdistrict: Subdistrict) -> dict[str, str]:
    return {
        "zh": subdistrict.recheck_text_zh.strip() or DEFAULT_RECHECK_ZH,
        "en": subdistrict.recheck_text_en.strip() or DEFAULT_RECHECK_EN,
    }


def build(
    *,
    session: Session,
    inspection: Inspection,
    number: str,
    issued_on: date,
    replaces: str | None,
    time_zone: str,
) -> dict[str, Any]:
    """The content of a notice for this submitted inspection, as it stands now."""
    site = session.get_one(Site, inspection.site_id)
    subdistrict = session.get_one(Subdistrict, site.subdistrict_id)
    inspector = session.get_one(User, inspection.inspector_id)
    view = checklists.version_view(session=session, version_id=inspection.version_id)
    answers = inspections.answers_by_code(session=session, inspection=inspection)
    photos = inspections.photos_by_code(session=session, inspection=inspection)
    items = []
    for item in view.items:
        answer = answers.get(item.code)
        if answer is None or answer.result != Result.failed:
            continue
        items.append(
            {
                "code": item.code,
                "measure": {"zh": item.text_zh, "en": item.text_en},
                "guidance": {"zh": item.guidance_zh, "en": item.guidance_en},
                "note": answer.note,
                "deadline": answer.deadline.isoformat() if answer.deadline else None,
                "photos": [{"id": p.uuid, "sha256": p.sha256} for p in photos.get(item.code, [])],
            }
        )
    return {
        "format": FORMAT,
        "number": number,
        "replaces": replaces,
        "issued_on": issued_on.isoformat(),
        "office": {"zh": f"{subdistrict.name_zh}办事处", "en": f"{subdistrict.name_en} Office"},
        "business": {
            "name_zh": site.name_zh,
            "name_en": site.name_en,
            "credit_code": site.credit_code or "",
            "address": site.address,
        },
        "inspection": {
            "id": inspection.uuid,
            "date": local(inspection.started_at, time_zone).date().isoformat(),
            "place": site.address,
            "checklist": {"zh": view.template.title_zh, "en": view.template.title_en},
        },
        "inspectors": [inspector.display_name or inspector.username],
        "items": items,
        "recheck": recheck_wording(subdistrict),
        "signatures": [],
    }
