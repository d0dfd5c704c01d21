"""Steps the browser tests share: waiting on a page, working offline, answering the
walkthrough, and making findings through the API the way a phone would."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def wait_until(page, expression: str, arg=None, timeout_s: float = 10) -> None:
    """Poll a page expression until it is truthy. (Playwright's wait_for_function polls by
    evaluating strings, which the app's CSP forbids: no 'unsafe-eval'.)"""
    for _ in range(int(timeout_s * 10)):
        if page.evaluate(expression, arg):
            return
        page.wait_for_timeout(100)
    assert page.evaluate(expression, arg), f"still false after {timeout_s} s: {expression}"


CONTROLLED = "() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)"
# The service worker installs the app shell and the offline data before it takes control: on a
# busy 2-core machine (the whole suite, with PostgreSQL) that took over 10 s now and then.
INSTALL_S = 30


def ready_offline(page, login, user="inspector1"):
    """Sign in with signal, open the offline page and wait until the phone has what it needs."""
    login(page, user)
    page.goto("/offline")
    wait_until(page, CONTROLLED, timeout_s=INSTALL_S)
    expect(page.locator("#offline-sites li.card").first).to_be_visible()


def forgive_offline_errors(page):
    """Requests tried while the test had cut the network fail on purpose (those made so far,
    and any the page still makes while it stays offline); nothing else may."""
    log = page.log
    log.offline_forgiven = True
    log.failed_requests[:] = [m for m in log.failed_requests if "INTERNET_DISCONNECTED" not in m]
    log.console_errors[:] = [m for m in log.console_errors if "INTERNET_DISCONNECTED" not in m]


def outbox_counts(page):
    box = page.locator("#outbox")
    return box.get_attribute("data-records"), box.get_attribute("data-photos")


def inspect_offline(page, photos):
    """Start a fire-safety inspection of the first site, all pass but F03 (with the photos)."""
    page.locator("#offline-sites li.card").first.get_by_role(
        "button", name="Fire-safety inspection"
    ).tap()
    expect(page.locator("#offline-items li.item")).to_have_count(8)
    for n in (1, 2, 4, 5, 6, 7, 8):
        page.locator(f"#item-F{n:02d}").get_by_role("button", name=re.compile("Pass")).tap()
    f03 = page.locator("#item-F03")
    f03.get_by_role("button", name=re.compile("Fail")).tap()
    f03.locator("textarea").fill("Extinguisher missing")
    f03.locator("textarea").blur()
    f03.locator("input[type=file]").set_input_files([str(p) for p in photos])
    expect(f03.locator(".thumbs img")).to_have_count(len(photos))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # long names wrap
    return page.evaluate("location.hash.slice(1)")


def server_inspection(page, uuid):
    r = page.request.get(f"/api/v1/inspections/{uuid}")
    assert r.ok, r.text()
    return r.json()


# What the phone keeps for offline work, as plain strings (the thumbnails are counted).
KEPT = """() => InspectOutbox.getMeta("data").then(d => d && {
  me: d.me.id,
  sites: d.sites.map(s => s.id),
  strings: d.sites.flatMap(s => [s.name_zh, s.name_en, s.contact_name, s.contact_phone, s.address])
    .filter(x => x && x.length > 2),
  thumbs: d.items.reduce((n, i) => n + i.thumbs.length, 0),
})"""
# A store of the outbox's IndexedDB, read directly (pages signed out do not load outbox.js).
STORE = """(name) => new Promise((resolve, reject) => {
  const open = indexedDB.open("inspect-outbox");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const all = open.result.transaction(name).objectStore(name).getAll();
    all.onsuccess = () => { open.result.close(); resolve(all.result); };
  };
})"""


def me(page) -> dict:
    return page.request.get("/api/v1/me").json()


def forgive_blocked_sync(page) -> None:
    """The test held A's record back by aborting the outbox's requests."""
    log = page.log
    log.failed_requests[:] = [m for m in log.failed_requests if "/api/v1/inspections/" not in m]
    log.console_errors[:] = [m for m in log.console_errors if "/api/v1/inspections/" not in m]


def item(page, code):
    return page.locator(f"#item-{code}")


def settled(page) -> None:
    """htmx has swapped and processed the new content (its triggers are live)."""
    expect(page.locator(".htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)


def answer(page, code, label):
    """Tap an answer and wait until the server has saved it (the item comes back re-rendered)."""
    with page.expect_response(lambda r: f"/answers/{code}" in r.url and r.status == 200):
        item(page, code).get_by_role("button", name=re.compile(label)).tap()
    expect(item(page, code)).to_have_attribute(
        "data-result", label.lower().replace("/", "").strip()[:4] if label != "N/A" else "na"
    )


# A control is big enough when points 21 px above, below, left and right of its centre still
# hit it (pseudo-elements that enlarge a control count; so does a label wrapping a checkbox).
# Inline links inside running text are exempt, as WCAG allows.
SMALL_TARGETS_JS = """() => {
  const small = [];
  const controls = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, label');
  for (const el of controls) {
    const style = getComputedStyle(el);
    if (!el.getClientRects().length || style.visibility === 'hidden') continue;
    if (style.display === 'inline') continue;
    const shut = el.closest('details:not([open])');  // folded away: not a target until opened
    if (shut && !el.matches('summary') && el.closest('summary') === null) continue;
    if (el.matches('label') && !el.querySelector('input')) continue;
    if (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) continue;
    el.scrollIntoView({block: 'center', inline: 'center'});
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const hits = [[x, y - 21], [x, y + 21], [x - 21, y], [x + 21, y]].every(([px, py]) => {
      const hit = document.elementFromPoint(px, py);
      return hit !== null && (hit === el || el.contains(hit));
    });
    if (!hits) {
      const name = (el.innerText || el.getAttribute('aria-label') || el.name || el.type || '');
      small.push(`${el.tagName.toLowerCase()} "${name.trim().slice(0, 40)}" `
                 + `${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  window.scrollTo(0, 0);
  return small;
}"""


def api_token(request, username: str) -> dict[str, str]:
    r = request.post("/api/v1/auth/token", data={"username": username, "password": "demo1234"})
    assert r.status == 201, r.text()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def make_finding(request, photo_path) -> tuple[int, str]:
    """Through the API: an inspection of owner1's business failing F03, with a photo."""
    owner = api_token(request, "owner1")
    site_id = request.get("/api/v1/me", headers=owner).json()["site_ids"][0]
    team_id = request.get(f"/api/v1/sites/{site_id}", headers=owner).json()["team_id"]
    # The site starts with nothing open: what other tests left there is withdrawn, so that
    # closing this finding closes the site out.
    office = api_token(request, "supervisor")
    active = request.get(
        f"/api/v1/rectifications?status=active&site_id={site_id}&limit=200", headers=office
    ).json()["items"]
    for item in active:
        r = request.post(
            f"/api/v1/rectifications/{item['id']}/cancel",
            headers=office,
            data={"reason": "Withdrawn before this test"},
        )
        assert r.ok, r.text()
    inspector = f"inspector{team_id}"  # demo data: inspectorN is the one member of Team N
    fail_items(request, photo_path, ("F03",), inspector, site_id=site_id)
    return site_id, inspector


def fail_items(
    request, photo_path, codes=("F03",), user="inspector1", site_id=None
) -> tuple[dict, dict]:
    """Through the API: an inspection of a site (else one of the inspector's) failing `codes`,
    each with a photo. Returns the site and {item code: the new rectification item's id}."""
    headers = api_token(request, user)
    if site_id is None:
        site = request.get("/api/v1/sites?limit=1", headers=headers).json()["items"][0]
    else:
        site = request.get(f"/api/v1/sites/{site_id}", headers=headers).json()
    key = str(uuid.uuid4())
    body = {
        "site_id": site["id"],
        "template_code": "fire-safety",
        "template_version": 1,
        "started_at": "2026-11-28T09:00:00+08:00",
        "answers": [
            {"item_code": f"F{n:02d}", "result": "fail" if f"F{n:02d}" in codes else "pass"}
            for n in range(1, 9)
        ],
    }
    assert request.put(f"/api/v1/inspections/{key}", headers=headers, data=body).ok
    jpeg = {"name": "gap.jpg", "mimeType": "image/jpeg", "buffer": photo_path.read_bytes()}
    for code in codes:
        photo = request.put(
            f"/api/v1/inspections/{key}/photos/{uuid.uuid4()}",
            headers=headers,
            multipart={"item_code": code, "file": jpeg},
        )
        assert photo.ok, photo.text()
    submitted = request.put(
        f"/api/v1/inspections/{key}", headers=headers, data={**body, "submit": True}
    )
    assert submitted.ok, submitted.text()
    items = request.get(
        f"/api/v1/rectifications?status=active&site_id={site['id']}&limit=200", headers=headers
    ).json()["items"]
    newest = {c: max(i["id"] for i in items if i["item_code"] == c) for c in codes}
    return site, newest


def fail_one_item(request, photo_path, user="inspector1") -> tuple[dict, int]:
    site, items = fail_items(request, photo_path, ("F03",), user)
    return site, items["F03"]
