"""Signatures on a notice: sent from the phone as strokes (never SVG) under the phone's own id,
recorded once (a replay returns the stored one), one business signature or refusal per notice,
each sealing the notice's hash, so that a later change of the content or of any SVG shows."""

from __future__ import annotations

import io
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import select, update

from inspect_app.auth.service import load_current_user
from inspect_app.errors import Conflict, Invalid
from inspect_app.models import Inspection, Notice, NoticeSignature, User
from inspect_app.notices import content as contents
from inspect_app.notices import signatures
from inspect_app.notices.schemas import SignatureIn
from inspect_app.notices.signatures import Drawing
from tests.helpers.data import findings, inspector_of
from tests.helpers.html import parse

ZIGZAG = {"width": 300, "height": 150, "strokes": [[10, 10, 40, 60, 80, 20], [100, 100]]}


def now() -> str:
    return datetime.now(UTC).isoformat()


def body(role: str = "inspector", **extra) -> dict:
    out = {"role": role, "signed_at": now(), "drawing": ZIGZAG}
    if role == "representative":
        out["signer_name"] = "王经理"
    if role == "refused":
        out.pop("drawing")
        out["witness_name"] = "李见证"
    return {**out, **extra}


@pytest.fixture
def signed(client, api_token, world):
    """A submitted inspection with a failure (so a notice), its inspector's token, and a PUT."""
    site = world.owned_by("owner1")[0]
    findings(client, api_token, world, site)
    with world.session() as s:
        notice = s.exec(
            select(Notice).where(Notice.site_id == site.id).order_by(Notice.id.desc())
        ).first()
        insp = s.get(Inspection, notice.inspection_id).uuid
    headers = api_token(inspector_of(world, site))

    def put(data: dict, *, sig: str | None = None, as_headers: dict | None = None):
        sig = sig or str(uuid.uuid4())
        return client.put(
            f"/api/v1/inspections/{insp}/signatures/{sig}",
            headers={**(as_headers or headers), "Accept-Language": "en"},
            json=data,
        )

    put.inspection, put.notice_id, put.headers = insp, notice.id, headers
    return put


def notice_json(client, put) -> dict:
    r = client.get(f"/api/v1/notices/{put.notice_id}", headers=put.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_inspector_signs_and_the_server_writes_the_svg(client, signed):
    r = signed(body())
    assert r.status_code == 201, r.text
    sig = r.json()
    assert sig["role"] == "inspector" and sig["signer_name"]  # the account's name
    svg = sig["svg"]
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"')
    assert svg.count("<path ") == 2 and 'd="M10 10 L40 60 L80 20"' in svg
    assert 'd="M100 100 L100 100"' in svg  # a dot
    assert contents.svg_digest(svg) == sig["svg_sha256"]
    one = notice_json(client, signed)
    assert one["current_hash"] == sig["sealed_hash"] != one["content_hash"]
    assert one["hash_verifies"] is True and [s["uuid"] for s in one["signatures"]] == [sig["uuid"]]


def test_a_replay_returns_the_stored_signature_and_different_content_is_409(client, signed, world):
    sig, data = str(uuid.uuid4()), body("representative")
    first = signed(data, sig=sig)
    assert first.status_code == 201
    again = signed(data, sig=sig)
    assert again.status_code == 200 and again.json() == first.json()
    other = signed({**data, "signer_name": "别人"}, sig=sig)
    assert other.status_code == 409
    assert "different signature" in other.json()["error"]["message"]
    with world.session() as s:
        assert len(s.exec(select(NoticeSignature).where(NoticeSignature.uuid == sig)).all()) == 1


def test_each_signs_once_and_the_business_signs_or_refuses_once(client, signed, api_token):
    assert signed(body()).status_code == 201
    twice = signed(body())
    assert twice.status_code == 409 and "already signed" in twice.json()["error"]["message"]
    assert signed(body("refused")).status_code == 201
    late = signed(body("representative"))
    assert late.status_code == 409
    assert "refused to sign" in late.json()["error"]["message"]
    # the office may record the business's part, never sign as the notice's inspector
    office = api_token("supervisor")
    r = signed(body(), as_headers=office)
    assert r.status_code == 403 and "inspector named on the notice" in r.json()["error"]["message"]
    sheet = notice_json(client, signed)
    assert [s["role"] for s in sheet["signatures"]] == ["inspector", "refused"]
    assert sheet["signatures"][1]["witness_name"] == "李见证"
    assert sheet["signatures"][1]["svg"] is None and sheet["hash_verifies"] is True


def test_owners_are_refused_and_others_see_nothing(client, signed, api_token):
    r = signed(body("representative"), as_headers=api_token("owner1"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = signed(body("representative"), as_headers=api_token("inspector12"))
    assert r.status_code == 404
    r = client.put(
        f"/api/v1/inspections/{uuid.uuid4()}/signatures/{uuid.uuid4()}",
        headers=signed.headers,
        json=body(),
    )
    assert r.status_code == 404
    r = client.put(
        f"/api/v1/inspections/{signed.inspection}/signatures/not-a-uuid",
        headers=signed.headers,
        json=body(),
    )
    assert r.status_code in (404, 422)


def test_no_notice_no_signature(client, api_token, world):
    """A draft is not submitted yet; an inspection that passed has no notice: 409, saying why."""
    site = world.owned_by("owner1")[0]
    headers = {**api_token(inspector_of(world, site)), "Accept-Language": "en"}
    key = str(uuid.uuid4())
    draft = {
        "site_id": site.id,
        "template_code": "fire-safety",
        "template_version": 1,
        "started_at": "2026-11-28T09:00:00+08:00",
        "answers": [{"item_code": f"F{n:02d}", "result": "pass"} for n in range(1, 9)],
    }
    assert client.put(f"/api/v1/inspections/{key}", headers=headers, json=draft).status_code == 200
    url = f"/api/v1/inspections/{key}/signatures/{uuid.uuid4()}"
    r = client.put(url, headers=headers, json=body())
    assert r.status_code == 409 and "not submitted" in r.json()["error"]["message"]
    done = {**draft, "submit": True}
    assert client.put(f"/api/v1/inspections/{key}", headers=headers, json=done).status_code == 200
    r = client.put(url, headers=headers, json=body())
    assert r.status_code == 409 and "no notice" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("drawing", "says"),
    [
        ({"width": 300, "height": 150, "strokes": []}, "Sign in the box first."),
        ({"width": 300, "height": 150, "strokes": [[]]}, "Sign in the box first."),
        ({"width": 300, "height": 150, "strokes": [[1, 2, 3]]}, "pairs"),
        ({"width": 300, "height": 150, "strokes": [[1, 2, 301, 4]]}, "outside"),
        ({"width": 300, "height": 150, "strokes": [[-1, 2]]}, "outside"),
        ({"width": 300, "height": 150, "strokes": [[10**30, 2]]}, None),
        ({"width": 300, "height": 150, "strokes": [[1.5, 2]]}, None),
        ({"width": 300, "height": 150, "strokes": [["1", 2]]}, None),
        ({"width": 300, "height": 150, "strokes": [[True, 2]]}, None),
        ({"width": 10**6, "height": 150, "strokes": [[1, 2]]}, None),
        ({"width": 300, "height": 150, "strokes": [[1, 1]] * 301}, None),
        ({"width": 300, "height": 150, "strokes": [[1, 1] * 200] * 101}, "Too many points"),
        ({"width": 300, "height": 150, "strokes": "<svg onload=alert(1)>"}, None),
    ],
)
def test_drawings_are_bounded(client, signed, world, drawing, says):
    r = signed(body(drawing=drawing))
    assert r.status_code in (400, 422), r.text
    if says:
        assert says in r.json()["error"]["fields"]["drawing"]
    with world.session() as s:
        assert s.exec(select(NoticeSignature)).first() is None


def test_names_witnesses_and_times_are_checked(signed):
    r = signed(body("representative", signer_name="  "))
    assert r.status_code == 422 and "signer_name" in r.json()["error"]["fields"]
    r = signed(body("refused", witness_name=""))
    assert r.status_code == 422 and "witness_name" in r.json()["error"]["fields"]
    r = signed(body("refused", drawing=ZIGZAG))
    assert r.status_code == 422 and "drawing" in r.json()["error"]["fields"]
    r = signed(body("representative", signer_name="名" * 81))
    assert r.status_code in (400, 422)
    r = signed(body(signed_at=(datetime.now(UTC) + timedelta(days=3)).isoformat()))
    assert r.status_code == 422 and "signed_at" in r.json()["error"]["fields"]
    r = signed(body(signed_at="2026-01-01T00:00:00+00:00"))  # before the inspection began
    assert r.status_code == 422 and "clock" in r.json()["error"]["message"]


def test_deep_or_huge_bodies_are_refused_at_the_edge(signed):
    deep = body(drawing={"width": 300, "height": 150, "strokes": [[1, 1]]})
    nested: list = [1, 1]
    for _ in range(40):
        nested = [nested]
    deep["drawing"]["strokes"] = nested
    r = signed(deep)
    assert r.status_code == 400 and "body" in r.json()["error"]["fields"]
    huge = body(drawing={"width": 300, "height": 150, "strokes": [[1, 1] * 300_000]})
    assert signed(huge).status_code == 413


def test_the_hash_verifies_and_fails_after_any_change(client, signed, world):
    signed(body())
    signed(body("representative"))
    one = notice_json(client, signed)
    assert one["hash_verifies"] is True
    # anyone can recompute it from the API: content + the signatures, in recorded order
    entries = [
        {
            "role": s["role"],
            "signer_name": s["signer_name"],
            "witness_name": s["witness_name"],
            "signed_at": s["signed_at"].replace("+00:00", "Z"),
            "svg_sha256": s["svg_sha256"],
        }
        for s in one["signatures"]
    ]
    assert (
        contents.digest(contents.canonical({**one["content"], "signatures": entries}))
        == (one["current_hash"])
    )
    with world.session() as s:  # an SVG changed behind the app's back
        first = s.exec(select(NoticeSignature).order_by(NoticeSignature.id)).first()
        first_id, svg = first.id, first.svg
        s.exec(
            update(NoticeSignature)
            .where(NoticeSignature.id == first_id)
            .values(svg=svg.replace("M10 10", "M11 10"))
        )
        s.commit()
    assert notice_json(client, signed)["hash_verifies"] is False
    with world.session() as s:  # put it back; then the content changes
        s.exec(update(NoticeSignature).where(NoticeSignature.id == first_id).values(svg=svg))
        s.commit()
    assert notice_json(client, signed)["hash_verifies"] is True
    with world.session() as s:
        notice = s.get(Notice, signed.notice_id)
        s.exec(
            update(Notice)
            .where(Notice.id == notice.id)
            .values(content=notice.content.replace("Finding at F01", "Nothing"))
        )
        s.commit()
    assert notice_json(client, signed)["hash_verifies"] is False


def test_signatures_cannot_be_changed_or_removed(signed, world):
    signed(body())
    with world.session() as s:
        sig = s.exec(select(NoticeSignature)).one()
        sig.signer_name = "someone else"
        s.add(sig)
        with pytest.raises(Conflict):
            s.commit()
        s.rollback()
        s.delete(s.exec(select(NoticeSignature)).one())
        with pytest.raises(Conflict):
            s.commit()
        s.rollback()


def test_a_reissued_notice_needs_its_own_signatures(client, signed, api_token):
    assert signed(body()).status_code == 201
    office = api_token("supervisor")
    r = client.post(f"/api/v1/notices/{signed.notice_id}/reissue", headers=office)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["signatures"] == [] and new["current_hash"] == new["content_hash"]
    old = notice_json(client, signed)
    assert len(old["signatures"]) == 1 and old["hash_verifies"] is True
    again = signed(body())  # the inspector signs the correction
    assert again.status_code == 201 and again.json()["notice_id"] == new["id"]


def test_the_print_page_and_pdf_show_the_signatures_and_hash(client, signed, login_as):
    signed(body())
    signed(body("refused", signer_name="王经理"))
    current = notice_json(client, signed)["current_hash"]
    page = login_as("supervisor").get(f"/inspections/{signed.inspection}/notice")
    assert page.status_code == 200
    doc = parse(page.text)
    imgs = doc.select("img.sig-img")
    assert len(imgs) == 1 and imgs[0].get("src").startswith("data:image/svg+xml;base64,")
    assert "<svg" not in page.text.split("notice-sheet", 1)[1]  # never inline markup
    text = doc.text
    assert current in text and "见证人：李见证" in text and "王经理" in text  # zh by default


def test_the_openapi_schema_documents_the_route(client, signed):
    schema = client.get("/schema/openapi.json", headers=signed.headers).json()
    put = schema["paths"]["/api/v1/inspections/{uuid}/signatures/{sig_uuid}"]["put"]
    assert {"201", "409", "422"} <= set(put["responses"])
    names = json.dumps(schema["components"]["schemas"])
    assert "DrawingIn" in names and "SignatureOut" in names


def test_svg_is_written_from_numbers_only():
    svg = signatures.svg_of(Drawing(50, 40, [[0, 0, 50, 40]]))
    assert svg.endswith('<path d="M0 0 L50 40"/></svg>')
    with pytest.raises(Invalid) as refused:
        signatures.svg_of(Drawing(50, 40, [[0, "0 onload=x"]]))  # type: ignore[list-item]
    assert "drawing" in refused.value.fields


def test_the_sign_page_offers_each_pad_until_it_is_signed(client, signed, world, login_as):
    with world.session() as s:
        inspector = s.get(
            User,
            s.exec(select(Inspection).where(Inspection.uuid == signed.inspection))
            .one()
            .inspector_id,
        ).username
    page = login_as(inspector).get(f"/inspections/{signed.inspection}/sign")
    assert page.status_code == 200
    doc = parse(page.text)
    assert len(doc.select("canvas.pad")) == 2
    assert any("signature" in (x.get("src") or "") for x in doc.select("script"))
    assert doc.select_one("#sign").get("data-inspection") == signed.inspection
    signed(body())
    signed(body("refused", signer_name="王经理"))
    doc = parse(login_as(inspector).get(f"/inspections/{signed.inspection}/sign").text)
    assert doc.select("canvas.pad") == [] and len(doc.select(".sign-done")) == 2
    office = parse(login_as("supervisor").get(f"/inspections/{signed.inspection}/sign").text)
    assert len(office.select(".sign-step[data-done]")) == 2
    summary = parse(login_as(inspector).get(f"/inspections/{signed.inspection}").text)
    assert f"/inspections/{signed.inspection}/sign" in [a.get("href") for a in summary.select("a")]
    assert login_as("owner1").get(f"/inspections/{signed.inspection}/sign").status_code == 403


def test_the_pdf_prints_the_signatures_small_and_as_text(client, signed, login_as):
    busy = {"width": 300, "height": 150, "strokes": [[x, (x * 7) % 150] * 50 for x in range(280)]}
    signed(body(drawing=busy))  # 280 strokes, 14,000 points
    signed(body("refused", signer_name="王经理"))
    current = notice_json(client, signed)["current_hash"]
    response = login_as("supervisor").get(f"/inspections/{signed.inspection}/notice.pdf")
    assert response.status_code == 200, response.text
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert current[:32] in text and "李见证" in text and "王经理" in text
    assert len(response.content) < 400_000, len(response.content)


def record_at_once(db, inspection: str, jobs: list[tuple[str, str, dict]]) -> list:
    """Each (username, signature uuid, body) in its own thread and database session, at once."""
    barrier = threading.Barrier(len(jobs))
    errors: list = []

    def run(username: str, sig: str, data: dict) -> None:
        try:
            barrier.wait(timeout=30)
            with db.session(write=True) as session:
                who = session.exec(select(User).where(User.username == username)).one()
                user = load_current_user(session=session, user=who)
                signatures.record(
                    session=session,
                    user=user,
                    inspection_uuid=inspection,
                    uuid=sig,
                    signing=SignatureIn.model_validate(data).signing(),
                )
        except BaseException as exc:  # collected for the test to show
            errors.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_signatures_at_the_same_moment_chain_their_hashes(client, signed, world, db):
    with world.session() as s:
        inspection = s.exec(select(Inspection).where(Inspection.uuid == signed.inspection)).one()
        inspector = s.get(User, inspection.inspector_id).username
    jobs = [
        (inspector, str(uuid.uuid4()), body()),
        ("supervisor", str(uuid.uuid4()), body("representative")),
    ]
    assert record_at_once(db, signed.inspection, jobs) == []
    one = notice_json(client, signed)
    assert len(one["signatures"]) == 2 and one["hash_verifies"] is True
    assert one["current_hash"] == one["signatures"][-1]["sealed_hash"]
