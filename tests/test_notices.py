"""Rectification notices: issued with a number when an inspection with failures is submitted,
frozen with a content hash, corrected only by a new number, and printed as a PDF with Chinese
text, photos and page numbers; whoever sees the site sees its notices, nobody else."""

from __future__ import annotations

import asyncio
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import ImageFile
from pypdf import PdfReader
from sqlmodel import select, update

from inspect_app.errors import Conflict
from inspect_app.models import Inspection, Notice, Rectification, Site, Subdistrict
from inspect_app.notices import content as contents
from inspect_app.notices import pdf
from inspect_app.photos.pool import GRACE_SECONDS
from tests.helpers.app import csrf_token, office_today
from tests.helpers.data import findings, owner_names
from tests.helpers.html import parse
from tests.helpers.pdf import ink, page_image


def year() -> int:
    return office_today().year


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
    assert first.number == f"梧桐〔{year()}〕第{first.seq:04d}号"
    assert second.seq == first.seq + 1 and second.year == year()
    assert second.number == f"梧桐〔{year()}〕第{second.seq:04d}号"


def test_numbers_count_per_subdistrict(client, api_token, world):
    wutong = notice_of_item(world, findings(client, api_token, world, owned_site(world)[0])[0])
    with world.session() as s:
        yinxing_id = s.exec(select(Subdistrict.id).where(Subdistrict.code == "yinxing")).one()
    other = world.sites(Site.subdistrict_id == yinxing_id, Site.team_id.is_not(None))[0]
    yinxing = notice_of_item(world, findings(client, api_token, world, other)[0])
    assert yinxing.number.startswith(f"银杏〔{year()}〕第")
    assert yinxing.subdistrict_id != wutong.subdistrict_id
    with world.session() as s:
        taken = s.exec(select(Notice.seq).where(Notice.subdistrict_id == yinxing_id)).all()
    assert sorted(taken) == list(range(1, len(taken) + 1))


def test_the_prefix_and_recheck_wording_are_the_subdistricts(client, api_token, world):
    site, _owner = owned_site(world)
    with world.session() as s:
        sub = s.get(Subdistrict, site.subdistrict_id)
        sub.notice_prefix = "梧街整改"
        sub.recheck_text_zh = "整改完成后三日内申请复查。"
        s.add(sub)
        s.commit()
    notice = notice_of_item(world, findings(client, api_token, world, site)[0])
    assert notice.number.startswith(f"梧街整改〔{year()}〕第")
    assert json.loads(notice.content)["recheck"]["zh"] == "整改完成后三日内申请复查。"


def test_number_format_pads_to_four_digits_and_grows_past_them():
    assert contents.format_number("梧桐", 2026, 12) == "梧桐〔2026〕第0012号"
    assert contents.format_number("梧桐", 2026, 12345) == "梧桐〔2026〕第12345号"
    sub = Subdistrict(code="x", name_zh="梧桐街道", name_en="Wutong")
    assert contents.prefix_of(sub) == "梧桐"


def test_a_passing_inspection_gets_no_notice(client, api_token, world):
    site, _owner = owned_site(world)
    with world.session() as s:
        before = len(s.exec(select(Notice.id)).all())
    findings(client, api_token, world, site, failed=())
    with world.session() as s:
        assert len(s.exec(select(Notice.id)).all()) == before


def test_the_content_is_canonical_json_and_its_hash_is_printed(client, api_token, world):
    site, _owner = owned_site(world)
    notice = notice_of_item(
        world, findings(client, api_token, world, site, failed=("F01", "F03"))[0]
    )
    content = json.loads(notice.content)
    again = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert again == notice.content  # stored exactly in the canonical form
    assert contents.digest(again) == notice.content_hash
    assert content["business"]["name_zh"] == site.name_zh
    assert content["business"]["credit_code"] == (site.credit_code or "")
    assert content["office"]["zh"] == "梧桐街道办事处"
    assert [i["code"] for i in content["items"]] == ["F01", "F03"]
    assert content["items"][0]["note"] == "Finding at F01" and content["items"][0]["photos"]
    assert content["items"][0]["deadline"] and content["inspectors"]
    assert content["signatures"] == [] and content["replaces"] is None


def test_the_hash_changes_with_any_change_of_content():
    content = {
        "number": "梧桐〔2026〕第0001号",
        "items": [{"note": "灭火器过期"}],
        "signatures": [],
    }
    first = contents.digest(contents.canonical(content))
    assert first == contents.digest(contents.canonical(dict(reversed(content.items()))))
    content["items"][0]["note"] = "灭火器已过期"
    assert contents.digest(contents.canonical(content)) != first
    assert len(first) == 64 and first == first.lower()


def test_an_issued_notice_cannot_be_changed(client, api_token, world):
    notice = notice_of_item(world, findings(client, api_token, world, owned_site(world)[0])[0])
    with world.session() as s:
        stored = s.get(Notice, notice.id)
        stored.content = stored.content.replace("Finding", "Nothing")
        s.add(stored)
        with pytest.raises(Conflict):
            s.flush()
        s.rollback()
    with world.session() as s:
        assert s.get(Notice, notice.id).content == notice.content
        s.delete(s.get(Notice, notice.id))
        with pytest.raises(Conflict):
            s.flush()
        s.rollback()


def test_a_correction_has_a_new_number_naming_the_one_it_replaces(client, api_token, world):
    notice = notice_of_item(world, findings(client, api_token, world, owned_site(world)[0])[0])
    r = client.post(f"/api/v1/notices/{notice.id}/reissue", headers=api_token("supervisor"))
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["replaces_id"] == notice.id and new["number"] != notice.number
    assert new["content"]["replaces"] == notice.number and new["hash_verifies"]
    with world.session() as s:
        assert s.get(Notice, notice.id).content_hash == notice.content_hash  # kept as it was
    again = client.post(f"/api/v1/notices/{notice.id}/reissue", headers=api_token("supervisor"))
    assert again.status_code == 409
    inspector = client.post(f"/api/v1/notices/{new['id']}/reissue", headers=api_token("inspector1"))
    assert inspector.status_code == 403
    page = client.get(
        f"/inspections/{inspection_uuid(world, notice)}/notice", headers=api_token("supervisor")
    )
    assert new["number"] in page.text and notice.number in page.text  # the newest, naming the old


def test_the_office_corrects_a_notice_from_its_page(client, api_token, world, login_as):
    notice = notice_of_item(world, findings(client, api_token, world, owned_site(world)[0])[0])
    path = f"/inspections/{inspection_uuid(world, notice)}/notice"
    supervisor = login_as("supervisor")
    assert parse(supervisor.get(path).text).select_one(f'form[action="{path}/reissue"]')
    inspector = login_as("inspector1")
    assert not parse(inspector.get(path).text).select_one(f'form[action="{path}/reissue"]')
    refused = inspector.post(f"{path}/reissue", data={"_csrf_token": csrf_token(inspector)})
    assert refused.status_code == 403 and "只有街道办事处" in parse(refused.text).text
    r = supervisor.post(
        f"{path}/reissue", data={"_csrf_token": csrf_token(supervisor)}, follow_redirects=True
    )
    assert r.status_code == 200
    newest = notice_of_item(world, findings_item_of(world, notice))
    assert newest.replaces_id == notice.id and newest.number != notice.number
    page = parse(r.text).text
    assert newest.number in page and notice.number in page  # the newest, naming the old
    assert newest.content_hash in page and notice.content_hash not in page
    with world.session() as s:
        assert s.get(Notice, notice.id).content_hash == notice.content_hash  # kept as it was


def findings_item_of(world, notice: Notice) -> int:
    with world.session() as s:
        return s.exec(
            select(Rectification.id).where(Rectification.inspection_id == notice.inspection_id)
        ).first()


def test_the_print_page_shows_the_number_and_hash(client, api_token, world, login_as):
    site, owner = owned_site(world)
    notice = notice_of_item(world, findings(client, api_token, world, site)[0])
    page = login_as(owner).get(f"/inspections/{inspection_uuid(world, notice)}/notice")
    assert page.status_code == 200
    doc = parse(page.text)
    assert notice.number in doc.text and notice.content_hash in doc.text
    assert doc.select('img[src$="/thumb"]') and doc.select_one('a[href$="/notice.pdf"]')


def pdf_of(response) -> PdfReader:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.content))


def test_the_pdf_has_the_number_chinese_text_photos_and_page_numbers(
    client, api_token, world, login_as, tmp_path
):
    site, owner = owned_site(world)
    ids = findings(client, api_token, world, site, failed=("F01", "F02", "F03", "F04", "F05"))
    notice = notice_of_item(world, ids[0])
    response = login_as(owner).get(f"/inspections/{inspection_uuid(world, notice)}/notice.pdf")
    reader = pdf_of(response)
    text = "".join(page.extract_text() for page in reader.pages)
    assert notice.number in text and site.name_zh in text and "整改通知书" in text
    assert notice.content_hash[:16] in text.replace("\n", "")
    pages = len(reader.pages)
    assert f"1 / {pages}" in reader.pages[0].extract_text()
    assert len(response.content) < 400_000, len(response.content)
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()  # an embedded subset: "ABCDEF+WenQuanYi-Micro-Hei", its file in
        assert "+WenQuanYi-Micro-Hei" in font["/BaseFont"]
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 5  # a thumbnail per finding
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    assert not ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint's import sets it; set back at once
    (tmp_path / "notice.pdf").write_bytes(response.content)
    by_api = client.get(f"/api/v1/notices/{notice.id}.pdf", headers=api_token(owner))
    assert notice.number in pdf_of(by_api).pages[0].extract_text()


def test_page_one_of_the_pdf_prints_the_header_the_table_and_the_photos(
    client, api_token, world, login_as, tmp_path
):
    site, owner = owned_site(world)
    notice = notice_of_item(world, findings(client, api_token, world, site, failed=("F01",))[0])
    response = login_as(owner).get(f"/inspections/{inspection_uuid(world, notice)}/notice.pdf")
    assert len(pdf_of(response).pages) == 1
    page = page_image(response.content, tmp_path, dpi=60)
    assert page.size == (497, 702)  # A4 (210 x 297 mm) at 60 dpi
    assert ink(page, (0.1, 0.02, 0.9, 0.2)) > 0.01  # the office, the title, the number
    assert ink(page, (0.1, 0.3, 0.9, 0.6)) > 0.01  # the table and the photo
    assert ink(page, (0, 0, 0.05, 1)) == 0  # the margin stays white


def test_without_a_chinese_font_the_app_says_what_to_install(
    client, api_token, world, login_as, monkeypatch
):
    notice = notice_of_item(world, findings(client, api_token, world, owned_site(world)[0])[0])
    monkeypatch.setattr(pdf, "chinese_fonts", lambda: ())
    r = client.get(f"/api/v1/notices/{notice.id}.pdf", headers=api_token("supervisor"))
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "font_missing"
    assert "apt-get install fonts-wqy-microhei" in r.json()["error"]["message"]
    page = login_as("supervisor").get(f"/inspections/{inspection_uuid(world, notice)}/notice.pdf")
    assert page.status_code == 503 and "apt-get install fonts-wqy-microhei" in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_the_api_lists_a_sites_notices_to_those_who_see_it(client, api_token, world):
    site, owner = owned_site(world)
    notice = notice_of_item(world, findings(client, api_token, world, site)[0])
    for who in ("supervisor", owner, "admin"):
        listed = client.get(f"/api/v1/notices?site_id={site.id}", headers=api_token(who))
        assert listed.status_code == 200
        assert notice.id in [n["id"] for n in listed.json()["items"]], who
        one = client.get(f"/api/v1/notices/{notice.id}", headers=api_token(who))
        assert one.json()["content_hash"] == notice.content_hash and one.json()["hash_verifies"]
    stranger = next(
        o for o in ("owner2", "owner3", "owner4") if o not in owner_names(world, site.id)
    )
    listed = client.get(f"/api/v1/notices?site_id={site.id}", headers=api_token(stranger))
    assert listed.json()["items"] == []
    for path in (f"/api/v1/notices/{notice.id}", f"/api/v1/notices/{notice.id}.pdf"):
        assert client.get(path, headers=api_token(stranger)).status_code == 404
        assert client.get(path, headers=api_token("supervisor2")).status_code == 404
    for bad in ("abc", "0", "1.pdf.pdf", "99999999999999999999999", "-1"):
        r = client.get(f"/api/v1/notices/{bad}", headers=api_token("supervisor"))
        assert r.status_code == 404, bad
    too_many = client.get("/api/v1/notices?limit=100000", headers=api_token("supervisor"))
    assert too_many.status_code == 400
    assert client.get("/api/v1/notices").status_code == 401


def test_no_pdf_for_an_inspection_without_a_notice(client, api_token, world, login_as):
    site, owner = owned_site(world)
    findings(client, api_token, world, site, failed=())
    with world.session() as s:
        key = s.exec(
            select(Inspection.uuid)
            .where(Inspection.site_id == site.id)
            .order_by(Inspection.id.desc())
        ).first()
    assert login_as(owner).get(f"/inspections/{key}/notice.pdf").status_code == 404
    page = login_as(owner).get(f"/inspections/{key}/notice")
    assert page.status_code == 200 and "Nothing to put right" in english_or_chinese(page.text)


def english_or_chinese(text: str) -> str:
    return text.replace("无需整改", "Nothing to put right")


def render_alone(html: str, budget: float) -> bytes:
    """pdf.render on an event loop of its own, in a thread of its own: the test's thread may
    hold another loop (one left by an earlier test), where asyncio.run refuses to start; the
    coroutine is made there too, so a refusal leaves none un-awaited."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(pdf.render(html, budget=budget))).result()


def test_a_pdf_over_its_time_budget_is_refused_not_waited_for(monkeypatch):
    def slow(_html: str) -> bytes:
        time.sleep(GRACE_SECONDS + 0.5)
        return b"%PDF"

    monkeypatch.setattr(pdf, "_write", slow)
    with pytest.raises(pdf.PdfTooSlow) as refused:
        render_alone("<p>x</p>", budget=0.05)
    assert refused.value.status_code == 503 and "0.05" in refused.value.message
    time.sleep(GRACE_SECONDS)  # the slot frees when the work really ends
    assert render_alone("<p>x</p>", budget=2) == b"%PDF"


def test_the_office_sets_the_prefix_and_wording_from_the_command_line(
    cli, client, api_token, world
):
    code, out, err = cli(
        "notice-settings", "wutong", "--prefix", "梧街", "--recheck-en", "Call us."
    )
    assert code == 0, err
    assert f"梧街〔{year()}〕第0001号" in out and "Call us." in out
    notice = notice_of_item(world, findings(client, api_token, world, owned_site(world)[0])[0])
    assert notice.number.startswith("梧街〔")
    assert json.loads(notice.content)["recheck"]["en"] == "Call us."
    code, out, _err = cli("notice-settings", "wutong", "--prefix", "")
    assert code == 0 and f"梧桐〔{year()}〕第0001号" in out  # back to the name without 街道
    code, _out, err = cli("notice-settings", "wutong", "--prefix", "梧桐〔x〕")
    assert code == 1 and "〔〕" in err
    code, _out, err = cli("notice-settings", "nowhere")
    assert code == 1 and "nowhere" in err


def test_anyone_can_check_the_hash_and_a_change_behind_the_apps_back_shows(
    client, api_token, world
):
    notice = notice_of_item(world, findings(client, api_token, world, owned_site(world)[0])[0])
    headers = api_token("supervisor")
    one = client.get(f"/api/v1/notices/{notice.id}", headers=headers).json()
    assert contents.digest(contents.canonical(one["content"])) == one["content_hash"]
    with world.session() as s:  # an edit in the database itself, past the app's refusal
        s.exec(
            update(Notice)
            .where(Notice.id == notice.id)
            .values(content=notice.content.replace("Finding at F01", "Nothing found"))
        )
        s.commit()
    one = client.get(f"/api/v1/notices/{notice.id}", headers=headers).json()
    assert one["hash_verifies"] is False
    assert contents.digest(contents.canonical(one["content"])) != one["content_hash"]
