/* The outbox: what the phone made offline waits here (IndexedDB) until the server has it.
 *
 * Stores, all keyed by client UUIDs (the server treats a repeated UUID as a replay):
 *   records  {uuid, kind: "inspection", user, username, label, body, submit, dirty, state,
 *            error}: body is the PUT /api/v1/inspections/{uuid} JSON without "submit"; dirty =
 *            changed since the server last saw it; state "waiting" or "refused" (with error).
 *            A follow-up visit is {uuid, kind: "visit", body: {site_id}, dirty, submit: true}
 *            (PUT /api/v1/visits/{uuid}); each verdict on it is {uuid (= request_id), kind:
 *            "verdict", item_id, body (the POST .../verify JSON, naming body.visit_uuid),
 *            submit: true, dirty: false}. A visit record goes once its verdicts are sent.
 *            An outcome at a site of a campaign round ("could not inspect", todo.js) is {uuid,
 *            kind: "outcome", round_id, site_id, body (the PUT /api/v1/rounds/{round_id}/
 *            outcomes/{uuid} JSON), submit: true, dirty: false}, sent once its photo is.
 *            A signature on an inspection's notice (signature.js) is {uuid, kind:
 *            "signature", inspection, slot, body (the PUT /api/v1/inspections/{inspection}/
 *            signatures/{uuid} JSON), submit, dirty: false, sent}: kept as a draft (submit
 *            false) while it is drawn, sent once its inspection is on the server (exactly
 *            once: the uuid makes a repeat a replay), then kept as a small "sent" mark.
 *            `user` is who made the record: only that account sends it (another account
 *            signed in on the same phone sees it held, never sends it under its own name);
 *            a record without one (older versions) is nobody's: held, never sent.
 *   photos   {uuid, record, item_code, url, blob, name, sent, state, error}
 *            blob is the already-shrunk photo; dropped once sent (sent: true stays, so the
 *            offline page still counts it for the "failed item needs a photo" rule).
 *   meta     {key, value}: "lastSync" (ISO time), "paused" (true after a 401), "me" (who
 *            is signed in, as the last page or the server said; null: nobody), "data"
 *            (sites, templates, the user, the active rectification items with their
 *            finding-photo thumbnails as Blobs, and the to do of campaign rounds, kept for
 *            offline work).
 * One account's data at a time: switchTo() drops it when another (or nobody) signs in; records
 * stay, each its maker's. localStorage (key: body data-key-offline) names its owner (for app.js).
 * One sync round: every changed record as a draft (submit false), then the photos one by one
 * (each retried with backoff; a half-sent photo is simply sent again, the server dedupes),
 * then the submits. A 401 pauses the outbox (nothing is dropped) until the session works again;
 * a network or server error ends the round and the next one is tried later (backoff).
 * New records and photos are made by record() and photo(), so every one starts alike.
 * The CSRF token and new UUIDs come from app.js (InspectApp), which every page loads next. */
(function () {
  "use strict";
  const DB_NAME = "inspect-outbox";
  let dbPromise = null;

  function req(r) {
    return new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  function open() {
    if (!dbPromise) {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => {
        const db = r.result;
        db.createObjectStore("records", { keyPath: "uuid" });
        db.createObjectStore("photos", { keyPath: "uuid" }).createIndex("record", "record");
        db.createObjectStore("meta", { keyPath: "key" });
      };
      dbPromise = req(r);
    }
    return dbPromise;
  }
  async function store(name, mode) {
    const db = await open();
    return db.transaction(name, mode || "readonly").objectStore(name);
  }
  async function all(name) { return req((await store(name)).getAll()); }
  async function get(name, key) { return req((await store(name)).get(key)); }
  async function put(name, value) {
    const key = await req((await store(name, "readwrite")).put(value));
    changed();
    return key;
  }
  async function del(name, key) {
    await req((await store(name, "readwrite")).delete(key));
    changed();
  }
  async function getMeta(key) {
    const row = await get("meta", key);
    return row ? row.value : null;
  }
  function setMeta(key, value) { return put("meta", { key, value }); }

  // Listeners (the status bar, the offline page) hear about every change.
  const listeners = [];
  function changed() { listeners.forEach((f) => f()); }
  function onChange(f) { listeners.push(f); }

  // A new record: it waits, nothing refused yet. `fields` give the rest: its label and body,
  // its maker (user, username), and how it travels (dirty: the server lacks this version;
  // submit: to be submitted); a uuid of its own unless given.
  function record(kind, fields) {
    const fresh = { uuid: window.InspectApp.uuid4(), kind, submit: false, dirty: true, state: "waiting", error: null };
    return Object.assign(fresh, fields);
  }
  // A new photo of a record (fields: record, item_code, blob, name), sent by PUT to
  // urlBase + its own uuid once its record is on the server.
  function photo(fields, urlBase) {
    const uuid = window.InspectApp.uuid4();
    return Object.assign({ uuid, url: urlBase + uuid, sent: false, state: "waiting" }, fields);
  }

  function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
  // Past the HTTP cache: what the phone keeps, it keeps here.
  const NO_STORE = { credentials: "same-origin", cache: "no-store" };
  // localStorage keys shared with app.js, named once in templates/base.html.
  const KEYS = document.body.dataset;
  function mark(id) {
    try { if (id) localStorage.setItem(KEYS.keyOffline, id); else localStorage.removeItem(KEYS.keyOffline); } catch (e) { /* none */ }
  }
  // A message for n: data-msg-x-one for one, else data-msg-x (both from ngettext).
  function plural(msgs, key, n) { return (n === 1 && msgs[key + "One"]) || msgs[key]; }

  // The server's answer, or null without signal.
  function reach(url, init) { return fetch(url, init).catch(() => null); }
  // The outcome of one request: "ok", "refused" (the server said no: keep it, show why),
  // and two that end the round: "paused" (401) and "retry" (no signal, 5xx, 408, 429).
  function outcome(status, ok) {
    if (ok) return "ok";
    if (status === 401) return "paused";
    return status >= 500 || status === 408 || status === 429 ? "retry" : "refused";
  }
  async function send(url, init) {
    const headers = { "X-CSRFToken": window.InspectApp.csrfToken(), ...init.headers };
    const response = await reach(url, { ...init, credentials: "same-origin", headers });
    if (!response) return { kind: "retry", status: 0, error: null };
    const status = response.status, kind = outcome(status, response.ok);
    const body = await response.json().catch(() => null);
    const error = body && body.error ? body.error : { message: "HTTP " + status, fields: {} };
    return { kind, status, body, error: kind === "ok" ? null : error };
  }
  function sendJson(method, url, body) {
    return send(url, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }
  function putRecord(rec, submit) {
    return sendJson("PUT", "/api/v1/inspections/" + rec.uuid, { ...rec.body, submit });
  }
  function putVisit(rec) { return sendJson("PUT", "/api/v1/visits/" + rec.uuid, rec.body); }
  function putSignature(rec) {
    return sendJson("PUT", "/api/v1/inspections/" + rec.inspection + "/signatures/" + rec.uuid, rec.body);
  }
  function putOutcome(rec) {
    return sendJson("PUT", "/api/v1/rounds/" + rec.round_id + "/outcomes/" + rec.uuid, rec.body);
  }
  // Who is signed in: "paused" (401), "retry" (no answer) or the user. Nobody while a sign-out
  // waits to reach the server (app.js tells it first): nothing is sent or loaded meanwhile.
  async function whoAmI() {
    try { if (localStorage.getItem(KEYS.keySignout)) return "paused"; } catch (e) { /* none */ }
    const r = await reach("/api/v1/me", NO_STORE);
    if (!r) return "retry";
    if (r.status === 401) return "paused";
    return r.ok ? r.json() : "retry";
  }
  function mineFor(me) { return (rec) => !!rec.user && rec.user === me.id; }
  // What the server does not have yet: a record changed or to submit, or with a photo unsent.
  function pending(photos) {
    return (rec) => rec.dirty || rec.submit || photos.some((p) => p.record === rec.uuid && !p.sent);
  }
  // `me` ({id, username} or null) is signed in now: another owner's data goes first.
  async function switchTo(me) {
    const [kept, data] = await Promise.all([getMeta("me"), getMeta("data")]);
    const owner = data && data.me ? data.me : kept;
    if (owner && !(me && owner.id === me.id)) {
      mark(null);
      await Promise.all(["data", "lastSync", "paused"].map((k) => del("meta", k)));
    }
    await setMeta("me", me);
  }
  // Who the page was made for; undefined on the offline page (the worker may have kept it).
  function pageUser() {
    const b = document.body.dataset;
    return b.user === undefined ? undefined : b.user ? { id: Number(b.user), username: b.username } : null;
  }
  // Settled before anything is shown; without the page's word, the server's (3 s at most).
  async function settle() {
    const me = pageUser();
    if (me !== undefined) return switchTo(me);
    if (!navigator.onLine) return;
    const r = await Promise.race([whoAmI(), sleep(3000).then(() => "retry")]);
    if (r !== "retry") await switchTo(r === "paused" ? null : r);
  }
  const ready = settle().catch(() => { /* no IndexedDB: nothing is kept */ });

  // Before sign-out (app.js): the user's unsent records stay (the user is asked first); the
  // rest goes, records the server has too. Resolves false when the user would rather stay.
  async function leave() {
    const me = pageUser();
    if (!me) return true;
    try {
      const [records, photos] = await Promise.all([all("records"), all("photos")]);
      const drawn = (x) => x.kind === "signature" && !x.sent; // a signature still being drawn too
      const mine = records.filter(mineFor(me)), unsent = mine.filter((x) => pending(photos)(x) || drawn(x));
      const n = unsent.filter((x) => x.kind !== "visit").length;
      const ask = window.InspectApp.fill(plural(document.body.dataset, "msgSignOut", n), { n, account: me.username });
      if (n && !window.confirm(ask)) return false;
      await Promise.all(mine.filter((x) => !unsent.includes(x)).map((x) => discardRecord(x.uuid)));
      await switchTo(null);
    } catch (e) { /* no IndexedDB: nothing kept to drop */ }
    return true;
  }
  // Verdicts first, visits last: a visit record goes once no verdict names it. Signatures go
  // after the inspections (theirs is submitted first), in the order they were made.
  function rank(r) { return r.kind === "visit" ? 2 : r.kind === "signature" ? 1 : 0; }
  function made(r) { return (r.body && r.body.signed_at) || ""; }
  function submitOrder(a, b) { return rank(a) - rank(b) || (rank(a) === 1 ? made(a).localeCompare(made(b)) : 0); }
  // A follow-up verdict, sent once its photos are on the server; request_id makes it a replay.
  // A verdict whose visit the server refused is still sent, without naming the visit.
  function sendVerdict(rec, visitRefused) {
    const body = { ...rec.body, request_id: rec.uuid };
    if (visitRefused) delete body.visit_uuid;
    return sendJson("POST", "/api/v1/rectifications/" + rec.item_id + "/verify", body);
  }
  // The server has the verdict: keep the phone's copy of the item in step (gone once closed).
  async function verdictDone(detail) {
    const data = await getMeta("data");
    if (!data || !data.items || !detail) return;
    const old = data.items.find((it) => it.id === detail.id);
    data.items = data.items.filter((it) => it !== old);
    if (detail.active) {
      data.items.push({ ...detail, thumbs: old ? old.thumbs : [] });
    }
    await setMeta("data", data);
  }
  // The server has the outcome: the phone's to do says so at once (gone once covered, else
  // to visit again), and today's count of sites done grows.
  async function outcomeDone(rec, stored) {
    const data = await getMeta("data");
    if (!data || !data.todo || !stored) return;
    const row = data.todo.items.find((t) => t.round_id === rec.round_id && t.site_id === rec.site_id);
    if (stored.covers) {
      data.todo.items = data.todo.items.filter((t) => t !== row);
      if (row) data.todo.done_today = (data.todo.done_today || 0) + 1;
    } else if (row) {
      Object.assign(row, { state: "unreachable", outcome: stored.outcome });
    }
    await setMeta("data", data);
  }
  function sendPhoto(row) {
    const form = new FormData();
    form.append("item_code", row.item_code);
    form.append("file", row.blob, row.name || "photo.jpg");
    return send(row.url, { method: "PUT", body: form });
  }
  // A photo is tried up to three times in a round (1 s, 2 s apart) before the round gives up.
  async function sendPhotoWithRetry(row) {
    let result = null;
    for (const wait of [0, 1000, 2000]) {
      if (result && result.kind !== "retry") break;
      await sleep(wait);
      result = await sendPhoto(row);
    }
    return result;
  }

  function refuse(name, row, result) {
    row.state = "refused";
    row.error = { message: result.error.message, fields: result.error.fields || {} };
    return put(name, row);
  }
  // One answer within a round: done (onOk), refused (kept, with why), or the end of the round
  // (run.stop: "paused" after a 401, which the outbox remembers, or "retry").
  async function handle(run, name, row, result, onOk) {
    if (result.kind === "ok") return onOk();
    if (result.kind === "refused") return refuse(name, row, result);
    run.stop = result.kind;
    if (run.stop === "paused") await setMeta("paused", true);
  }

  // 1. Records the server lacks as they are now, as drafts (a visit is created).
  async function sendDrafts(run, live) {
    for (const rec of live) {
      if (run.stop) return;
      if (!rec.dirty) continue;
      const result = await (rec.kind === "visit" ? putVisit(rec) : putRecord(rec, false));
      await handle(run, "records", rec, result, () => {
        rec.dirty = false;
        return put("records", rec);
      });
    }
  }
  // 2. Photos, one by one, once their record is on the server.
  async function sendPhotos(run, live) {
    const onServer = new Set(live.filter((r) => r.state !== "refused" && !r.dirty).map((r) => r.uuid));
    for (const row of await all("photos")) {
      if (run.stop) return;
      if (row.sent || row.state === "refused") continue;
      if (row.record && !onServer.has(row.record)) continue;
      const result = await sendPhotoWithRetry(row);
      await handle(run, "photos", row, result, () => {
        row.sent = true;
        row.blob = null; // the server has it: free the space
        return put("photos", row);
      });
    }
  }
  // 3. Submits, once every photo of the record is on the server; verdicts before their visit.
  async function sendSubmits(run) {
    const [rows, photos] = await Promise.all([all("records"), all("photos")]);
    const records = rows.filter(run.mine);
    const visits = {}; // visit uuid -> its record, while the server does not have it
    records.forEach((r) => { if (r.kind === "visit" && (r.dirty || r.state === "refused")) visits[r.uuid] = r; });
    for (const rec of records.sort(submitOrder)) {
      if (run.stop) return;
      if (!rec.submit || rec.state === "refused" || rec.dirty) continue;
      if (rec.kind === "visit") await closeVisit(rec);
      else await submitRecord(run, rec, photos.filter((p) => p.record === rec.uuid), visits);
    }
  }
  // A visit is done once none of its verdicts waits.
  async function closeVisit(visit) {
    const now = await all("records");
    if (!now.some((r) => r.kind === "verdict" && r.body.visit_uuid === visit.uuid)) await del("records", visit.uuid);
  }
  async function submitRecord(run, rec, own, visits) {
    if (own.some((p) => !p.sent)) return;
    const verdict = rec.kind === "verdict", outcome = rec.kind === "outcome";
    const visit = verdict && visits[rec.body.visit_uuid];
    if (visit && visit.state !== "refused") return; // the visit goes first
    if (rec.kind === "signature") return sendSignature(run, rec);
    const result = await (verdict ? sendVerdict(rec, !!visit) : outcome ? putOutcome(rec) : putRecord(rec, true));
    await handle(run, "records", rec, result, async () => {
      await Promise.all(own.map((p) => del("photos", p.uuid)));
      await del("records", rec.uuid);
      if (verdict) await verdictDone(result.body);
      if (outcome) await outcomeDone(rec, result.body);
    });
  }

  // A signature waits while its inspection is in the outbox (its notice is made by the submit).
  async function sendSignature(run, rec) {
    if (await get("records", rec.inspection)) return;
    const result = await putSignature(rec);
    await handle(run, "records", rec, result, () => {
      const { signer_name, role } = rec.body; // the mark: no strokes kept
      return put("records", Object.assign(rec, { submit: false, sent: true, pad: null, body: { signer_name, role } }));
    });
  }

  // One round; resolves "done", "paused" or "retry". Never rejects.
  async function round() {
    try {
      await ready;
      // Who is signed in: a 401 pauses (resumed once a round finds the session working).
      const me = await whoAmI();
      if (me === "paused") {
        await setMeta("paused", true);
        return "paused";
      }
      if (me === "retry") return "retry";
      await switchTo(me);
      await setMeta("paused", false);
      const run = { mine: mineFor(me), stop: null };
      const live = (await all("records")).filter((r) => r.state !== "refused" && run.mine(r));
      await sendDrafts(run, live);
      await sendPhotos(run, live);
      await sendSubmits(run);
      if (run.stop) return run.stop;
      await setMeta("lastSync", new Date().toISOString());
      return "done";
    } catch (e) { return "retry"; }
  }

  let running = null;
  let failures = 0;
  let retryTimer = null;
  const state = { syncing: false, paused: false };

  // Run a round unless one is running.
  function syncNow() {
    if (running) return running;
    clearTimeout(retryTimer);
    state.syncing = true;
    changed();
    running = round().then(finished);
    return running;
  }
  // After a failure try again later (5 s, 10 s, ... 60 s).
  function finished(result) {
    state.syncing = false;
    state.paused = result === "paused";
    failures = result === "retry" ? failures + 1 : 0;
    if (result === "retry" && navigator.onLine) {
      retryTimer = setTimeout(syncNow, Math.min(60000, 5000 * Math.pow(2, failures - 1)));
    }
    running = null;
    changed();
    return result;
  }

  // What the status bar shows.
  async function summary() {
    await ready;
    const [rows, photoRows, lastSync, paused, me] = await Promise.all(
      [all("records"), all("photos"), getMeta("lastSync"), getMeta("paused"), getMeta("me")]);
    const mine = me ? mineFor(me) : () => false;
    const records = rows.filter(mine), held = rows.filter((x) => !mine(x));
    const byRecord = new Map(rows.map((x) => [x.uuid, x]));
    const photos = photoRows.filter((p) => !p.record || !byRecord.has(p.record) || mine(byRecord.get(p.record)));
    return {
      records: records.filter(pending(photoRows)) // a visit travels with its verdicts
        .filter((x) => x.kind !== "visit" && x.state !== "refused").length,
      photos: photos.filter((p) => !p.sent && p.state !== "refused").length,
      refused: records.filter((x) => x.state === "refused").concat(photos.filter((p) => p.state === "refused")),
      held: held.length, // by whom, while someone is signed in
      heldFor: me ? [...new Set(held.map((x) => x.username).filter(Boolean))].join(", ") : "",
      lastSync, paused: !!paused || state.paused, syncing: state.syncing
    };
  }

  // Discarding removes a record with its photos, or one photo of an inspection; a verdict's
  // or an outcome's photo is what it rests on, so discarding it discards the record too.
  // An inspection's signatures go with it.
  async function discardRecord(uuid) {
    const [photos, records] = await Promise.all([all("photos"), all("records")]);
    await Promise.all(photos.filter((p) => p.record === uuid).map((p) => del("photos", p.uuid)));
    await Promise.all(records.filter((r) => r.inspection === uuid).map((r) => del("records", r.uuid)));
    await del("records", uuid);
  }
  async function discard(uuid) {
    if (await get("records", uuid)) return discardRecord(uuid);
    const row = await get("photos", uuid);
    if (!row) return;
    const owner = await get("records", row.record);
    return owner && owner.kind !== "inspection" ? discardRecord(owner.uuid) : del("photos", uuid);
  }

  // Keep the outbox when the browser is short of space, and say when space runs low.
  async function storageLow() {
    const storage = navigator.storage;
    if (!storage) return false;
    try {
      if (storage.persist) await storage.persist().catch(() => {});
      const e = storage.estimate ? await storage.estimate() : null;
      return !!(e && e.quota && e.usage / e.quota > 0.9);
    } catch (e) { return false; }
  }

  // The data offline work needs (the user, their sites, every checklist, the to do, the inbox),
  // refreshed at most
  // every five minutes while online, or at once when `force` (the offline page asks).
  async function getJson(url) {
    const r = await fetch(url, NO_STORE);
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }
  async function allSites() {
    let found = [], page;
    do {
      page = await getJson("/api/v1/sites?limit=200&offset=" + found.length);
      found = found.concat(page.items);
    } while (found.length < page.total && page.items.length);
    return found;
  }
  async function allTemplates() {
    const list = await getJson("/api/v1/templates");
    return Promise.all(list.map((t) => getJson("/api/v1/templates/" + encodeURIComponent(t.code))));
  }
  // A finding photo's thumbnail as a Blob ({uuid, blob}), or null when it cannot be had.
  // One already on the phone (`kept`, by photo uuid) is not fetched again.
  async function thumbOf(finding, kept) {
    if (kept[finding.uuid]) return kept[finding.uuid];
    try {
      const r = await fetch(finding.urls.thumb, NO_STORE);
      const blob = r.ok ? await r.blob() : null;
      return blob && { uuid: finding.uuid, blob };
    } catch (e) { return null; }
  }
  // The active rectification items the user may verify (the API scopes them to the user's
  // teams), each with its finding photos' thumbnails as Blobs for the offline follow-up visit.
  async function activeItems(old) {
    const kept = {};
    ((old && old.items) || []).forEach((it) => (it.thumbs || []).forEach((t) => { kept[t.uuid] = t; }));
    try {
      const page = await getJson("/api/v1/rectifications?status=active&limit=200");
      return await Promise.all(page.items.map(async (it) => {
        const detail = await getJson("/api/v1/rectifications/" + it.id);
        const thumbs = await Promise.all(detail.finding_photos.map((f) => thumbOf(f, kept)));
        return Object.assign(it, { thumbs: thumbs.filter(Boolean) });
      }));
    } catch (e) { return (old && old.items) || []; }
  }
  // The to do of running campaign rounds ({items, total, done_today}); the last copy when the
  // server cannot say.
  async function todoOf(old) {
    try { return await getJson("/api/v1/me/todo"); } catch (e) { return (old && old.todo) || null; }
  }
  // The newest messages of the inbox (read only without signal); the last copy when the server
  // cannot say.
  async function inboxOf(old) {
    try { return await getJson("/api/v1/notifications?limit=20"); } catch (e) { return (old && old.inbox) || null; }
  }
  async function refreshData(force) {
    await ready;
    const old = await getMeta("data");
    if (!navigator.onLine || (!force && old && Date.now() - Date.parse(old.saved) < 300000)) return old;
    const me = await whoAmI();
    if (me === "retry") return old; // no signal: keep what is there
    if (me === "paused") {
      await switchTo(null);
      return null;
    }
    await switchTo(me);
    const kept = await getMeta("data");
    let found;
    try { found = await Promise.all([allSites(), allTemplates(), activeItems(kept), todoOf(kept), inboxOf(kept)]); } catch (e) { return kept; }
    const [sites, templates, items, todo, inbox] = found;
    const data = { me, sites, templates, items, todo, inbox, saved: new Date().toISOString() };
    mark(String(me.id));
    await setMeta("data", data);
    return data;
  }

  function start() {
    window.addEventListener("online", () => { failures = 0; syncNow(); });
    setInterval(() => { if (navigator.onLine) syncNow(); }, 60000);
    if (navigator.onLine) syncNow();
  }

  window.InspectOutbox = {
    all, get, put, del, getMeta, setMeta, onChange, syncNow, summary, discard, storageLow, start,
    refreshData, ready, leave, plural, record, photo
  };
})();
