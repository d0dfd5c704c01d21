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
 *            `user` is who made the record: only that account sends it (another account
 *            signed in on the same phone sees it held, never sends it under its own name);
 *            a record without one (older versions) is nobody's: held, never sent.
 *   photos   {uuid, record, item_code, url, blob, name, sent, state, error}
 *            blob is the already-shrunk photo; dropped once sent (sent: true stays, so the
 *            offline page still counts it for the "failed item needs a photo" rule).
 *   meta     {key, value}: "lastSync" (ISO time), "paused" (true after a 401), "me" (who
 *            is signed in, as the last page or the server said; null: nobody), "data"
 *            (sites, templates, the user, and the active rectification items with their
 *            finding-photo thumbnails as Blobs, kept for offline work).
 * One account's data at a time: switchTo() drops it when another (or nobody) signs in; records
 * stay, each its maker's. localStorage (key: body data-key-offline) names its owner (for app.js).
 * One sync round: every changed record as a draft (submit false), then the photos one by one
 * (each retried with backoff; a half-sent photo is simply sent again, the server dedupes),
 * then the submits. A 401 pauses the outbox (nothing is dropped) until the session works again;
 * a network or server error ends the round and the next one is tried later (backoff). */
(function () {
  "use strict";
  var DB_NAME = "inspect-outbox";
  var dbPromise = null;

  function req(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }
  function open() {
    if (!dbPromise) {
      var r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = function () {
        var db = r.result;
        db.createObjectStore("records", { keyPath: "uuid" });
        db.createObjectStore("photos", { keyPath: "uuid" }).createIndex("record", "record");
        db.createObjectStore("meta", { keyPath: "key" });
      };
      dbPromise = req(r);
    }
    return dbPromise;
  }
  function store(name, mode) {
    return open().then(function (db) { return db.transaction(name, mode || "readonly").objectStore(name); });
  }
  function all(name) { return store(name).then(function (s) { return req(s.getAll()); }); }
  function get(name, key) { return store(name).then(function (s) { return req(s.get(key)); }); }
  function put(name, value) {
    return store(name, "readwrite").then(function (s) { return req(s.put(value)); }).then(changed);
  }
  function del(name, key) {
    return store(name, "readwrite").then(function (s) { return req(s.delete(key)); }).then(changed);
  }
  function getMeta(key) { return get("meta", key).then(function (row) { return row ? row.value : null; }); }
  function setMeta(key, value) { return put("meta", { key: key, value: value }); }

  // Listeners (the status bar, the offline page) hear about every change.
  var listeners = [];
  function changed(x) { listeners.forEach(function (f) { f(); }); return x; }
  function onChange(f) { listeners.push(f); }

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  // Past the HTTP cache: what the phone keeps, it keeps here.
  var NO_STORE = { credentials: "same-origin", cache: "no-store" };
  // localStorage keys shared with app.js, named once in templates/base.html.
  var KEYS = document.body.dataset;
  function mark(id) {
    try { if (id) localStorage.setItem(KEYS.keyOffline, id); else localStorage.removeItem(KEYS.keyOffline); } catch (e) { /* none */ }
  }
  // A message for n: data-msg-x-one for one, else data-msg-x (both from ngettext).
  function plural(msgs, key, n) { return (n === 1 && msgs[key + "One"]) || msgs[key]; }

  // The outcome of one request: "ok", "refused" (the server said no: keep it, show why),
  // and two that end the round: "paused" (401) and "retry" (no signal, 5xx, 408, 429).
  function send(url, init) {
    init.credentials = "same-origin";
    init.headers = Object.assign({ "X-CSRFToken": cookie("csrftoken") }, init.headers || {});
    return fetch(url, init).then(function (response) {
      var status = response.status;
      var kind = response.ok ? "ok" : status === 401 ? "paused"
        : (status >= 500 || status === 408 || status === 429) ? "retry" : "refused";
      return response.json().catch(function () { return null; }).then(function (body) {
        var error = body && body.error ? body.error : { message: "HTTP " + status, fields: {} };
        return { kind: kind, status: status, body: body, error: kind === "ok" ? null : error };
      });
    }, function () { return { kind: "retry", status: 0, error: null }; });
  }
  function putRecord(rec, submit) {
    return send("/api/v1/inspections/" + rec.uuid, {
      method: "PUT", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({}, rec.body, { submit: submit }))
    });
  }
  function putVisit(rec) {
    return send("/api/v1/visits/" + rec.uuid, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(rec.body)
    });
  }
  // Who is signed in: "paused" (401), "retry" (no answer) or the user. Nobody while a sign-out
  // waits to reach the server (app.js tells it first): nothing is sent or loaded meanwhile.
  function whoAmI() {
    try { if (localStorage.getItem(KEYS.keySignout)) return Promise.resolve("paused"); } catch (e) { /* none */ }
    return fetch("/api/v1/me", NO_STORE).then(function (r) {
      if (r.status === 401) return "paused";
      return r.ok ? r.json() : "retry";
    }, function () { return "retry"; });
  }
  function mineFor(me) {
    return function (rec) { return !!rec.user && rec.user === me.id; };
  }
  // What the server does not have yet: a record changed or to submit, or with a photo unsent.
  function pending(photos) {
    return function (rec) {
      return rec.dirty || rec.submit || photos.some(function (p) { return p.record === rec.uuid && !p.sent; });
    };
  }
  // `me` ({id, username} or null) is signed in now: another owner's data goes first.
  function switchTo(me) {
    return Promise.all([getMeta("me"), getMeta("data")]).then(function (r) {
      var owner = r[1] && r[1].me ? r[1].me : r[0];
      if (!owner || (me && owner.id === me.id)) return;
      mark(null);
      return Promise.all(["data", "lastSync", "paused"].map(function (k) { return del("meta", k); }));
    }).then(function () { return setMeta("me", me); });
  }
  // Who the page was made for; undefined on the offline page (the worker may have kept it).
  function pageUser() {
    var b = document.body.dataset;
    return b.user === undefined ? undefined : b.user ? { id: Number(b.user), username: b.username } : null;
  }
  // Settled before anything is shown; without the page's word, the server's (3 s at most).
  var ready = Promise.resolve(pageUser()).then(function (me) {
    if (me !== undefined) return switchTo(me);
    if (!navigator.onLine) return;
    return Promise.race([whoAmI(), sleep(3000).then(function () { return "retry"; })]).then(function (r) {
      if (r !== "retry") return switchTo(r === "paused" ? null : r);
    });
  }).catch(function () { /* no IndexedDB: nothing is kept */ });

  // Before sign-out (app.js): the user's unsent records stay (the user is asked first); the
  // rest goes, records the server has too. Resolves false when the user would rather stay.
  function leave() {
    var me = pageUser();
    if (!me) return Promise.resolve(true);
    return Promise.all([all("records"), all("photos")]).then(function (r) {
      var mine = r[0].filter(mineFor(me)), unsent = mine.filter(pending(r[1]));
      var n = unsent.filter(function (x) { return x.kind !== "visit"; }).length;
      var ask = plural(document.body.dataset, "msgSignOut", n).replace("{n}", n).replace("{account}", me.username);
      if (n && !window.confirm(ask)) return false;
      return Promise.all(mine.filter(function (x) { return unsent.indexOf(x) < 0; })
        .map(function (x) { return discardRecord(x.uuid); }));
    }).then(function (go) { return go !== false && switchTo(null).then(function () { return true; }); })
      .catch(function () { return true; });
  }
  // Verdicts first, visits last: a visit record goes once no verdict names it.
  function submitOrder(a, b) { return (a.kind === "visit") - (b.kind === "visit"); }
  // A follow-up verdict, sent once its photos are on the server; request_id makes it a replay.
  // A verdict whose visit the server refused is still sent, without naming the visit.
  function sendVerdict(rec, visitRefused) {
    var body = Object.assign({}, rec.body, { request_id: rec.uuid });
    if (visitRefused) delete body.visit_uuid;
    return send("/api/v1/rectifications/" + rec.item_id + "/verify", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    });
  }
  // The server has the verdict: keep the phone's copy of the item in step (gone once closed).
  function verdictDone(detail) {
    return getMeta("data").then(function (data) {
      if (!data || !data.items || !detail) return;
      var old = data.items.filter(function (it) { return it.id === detail.id; })[0];
      data.items = data.items.filter(function (it) { return it !== old; });
      if (detail.status === "open" || detail.status === "fix_reported") {
        data.items.push(Object.assign({}, detail, { thumbs: old ? old.thumbs : [] }));
      }
      return setMeta("data", data);
    });
  }
  function sendPhoto(photo) {
    var form = new FormData();
    form.append("item_code", photo.item_code);
    form.append("file", photo.blob, photo.name || "photo.jpg");
    return send(photo.url, { method: "PUT", body: form });
  }
  // A photo is tried up to three times in a round (1 s, 2 s apart) before the round gives up.
  function sendPhotoWithRetry(photo) {
    return [0, 1000, 2000].reduce(function (chain, wait) {
      return chain.then(function (r) {
        if (r && r.kind !== "retry") return r;
        return sleep(wait).then(function () { return sendPhoto(photo); });
      });
    }, Promise.resolve(null));
  }

  function refuse(name, row, result) {
    row.state = "refused";
    row.error = { message: result.error.message, fields: result.error.fields || {} };
    return put(name, row);
  }

  var running = null;
  var failures = 0;
  var retryTimer = null;
  var state = { syncing: false, paused: false };

  // One round; resolves "done", "paused" or "retry". Never rejects.
  function round() {
    var stop = null; // set to "paused" / "retry" by the first result that ends the round
    function handle(name, row, result, onOk) {
      if (result.kind === "ok") return onOk();
      if (result.kind === "refused") return refuse(name, row, result);
      stop = result.kind;
      if (stop === "paused") return setMeta("paused", true);
    }
    var mine = null;
    // 0. Who is signed in: a 401 pauses (resumed once a round finds the session working).
    return ready.then(whoAmI).then(function (me) {
      if (me === "paused") return setMeta("paused", true).then(function () { stop = "paused"; });
      if (me === "retry") { stop = "retry"; return; }
      mine = mineFor(me);
      return switchTo(me).then(function () { return setMeta("paused", false); });
    }).then(function () {
      if (stop) return;
      return all("records").then(function (records) {
        var live = records.filter(function (r) { return r.state !== "refused" && mine(r); });
        // 1. Records, as drafts (a visit is created).
        return live.reduce(function (chain, rec) {
          return chain.then(function () {
            if (stop || !rec.dirty) return;
            return (rec.kind === "visit" ? putVisit(rec) : putRecord(rec, false)).then(function (result) {
              return handle("records", rec, result, function () {
                rec.dirty = false;
                return put("records", rec);
              });
            });
          });
        }, Promise.resolve()).then(function () {
          // 2. Photos, one by one.
          return all("photos");
        }).then(function (photos) {
          var ready = {};
          live.forEach(function (r) { if (r.state !== "refused" && !r.dirty) ready[r.uuid] = true; });
          return photos.reduce(function (chain, photo) {
            return chain.then(function () {
              if (stop || photo.sent || photo.state === "refused") return;
              if (photo.record && !ready[photo.record]) return; // its record is not on the server yet
              return sendPhotoWithRetry(photo).then(function (result) {
                return handle("photos", photo, result, function () {
                  photo.sent = true;
                  photo.blob = null; // the server has it: free the space
                  return put("photos", photo);
                });
              });
            });
          }, Promise.resolve()).then(function () { return photos; });
        }).then(function () {
          // 3. Submits, once every photo of the inspection is on the server.
          return Promise.all([all("records"), all("photos")]);
        }).then(function (both) {
          var photos = both[1];
          var records = both[0].filter(mine);
          var visits = {}; // visit uuid -> its record, while the server does not have it
          records.forEach(function (r) { if (r.kind === "visit" && (r.dirty || r.state === "refused")) visits[r.uuid] = r; });
          return records.sort(submitOrder).reduce(function (chain, rec) {
            return chain.then(function () {
              if (stop || !rec.submit || rec.state === "refused" || rec.dirty) return;
              if (rec.kind === "visit") { // done once none of its verdicts waits
                return all("records").then(function (now) {
                  var open = now.some(function (r) { return r.kind === "verdict" && r.body.visit_uuid === rec.uuid; });
                  if (!open) return del("records", rec.uuid);
                });
              }
              var own = photos.filter(function (p) { return p.record === rec.uuid; });
              if (own.some(function (p) { return !p.sent; })) return;
              var verdict = rec.kind === "verdict";
              var visit = verdict && visits[rec.body.visit_uuid];
              if (visit && visit.state !== "refused") return; // the visit goes first
              return (verdict ? sendVerdict(rec, !!visit) : putRecord(rec, true)).then(function (result) {
                return handle("records", rec, result, function () {
                  return Promise.all(own.map(function (p) { return del("photos", p.uuid); }))
                    .then(function () { return del("records", rec.uuid); })
                    .then(function () { if (verdict) return verdictDone(result.body); });
                });
              });
            });
          }, Promise.resolve());
        });
      });
    }).then(function () {
      if (stop) return stop;
      return setMeta("lastSync", new Date().toISOString()).then(function () { return "done"; });
    }).catch(function () { return "retry"; });
  }

  // Run a round unless one is running; after a failure try again later (5 s, 10 s, ... 60 s).
  function syncNow() {
    if (running) return running;
    clearTimeout(retryTimer);
    state.syncing = true;
    changed();
    running = round().then(function (outcome) {
      state.syncing = false;
      state.paused = outcome === "paused";
      failures = outcome === "retry" ? failures + 1 : 0;
      if (outcome === "retry" && navigator.onLine) {
        retryTimer = setTimeout(syncNow, Math.min(60000, 5000 * Math.pow(2, failures - 1)));
      }
      running = null;
      changed();
      return outcome;
    });
    return running;
  }

  // What the status bar shows.
  function summary() {
    return ready.then(function () {
      return Promise.all([all("records"), all("photos"), getMeta("lastSync"), getMeta("paused"), getMeta("me")]);
    }).then(function (r) {
        var me = r[4], mine = me ? mineFor(me) : function () { return false; };
        var records = r[0].filter(mine), held = r[0].filter(function (x) { return !mine(x); });
        var byRecord = {};
        r[0].forEach(function (x) { byRecord[x.uuid] = x; });
        var photos = r[1].filter(function (p) { return !p.record || !byRecord[p.record] || mine(byRecord[p.record]); });
        return {
          records: records.filter(pending(r[1])).filter(function (x) {  // a visit travels with its verdicts
            return x.kind !== "visit" && x.state !== "refused";
          }).length,
          photos: photos.filter(function (p) { return !p.sent && p.state !== "refused"; }).length,
          refused: records.filter(function (x) { return x.state === "refused"; })
            .concat(photos.filter(function (p) { return p.state === "refused"; })),
          held: held.length, // by whom, while someone is signed in
          heldFor: !me ? "" : held.map(function (x) { return x.username; }).filter(function (u, i, a) { return u && a.indexOf(u) === i; }).join(", "),
          lastSync: r[2], paused: !!r[3] || state.paused, syncing: state.syncing
        };
      });
  }

  // Discarding removes a record with its photos, or one photo of an inspection; a verdict's
  // photo is its evidence, so discarding it discards the verdict too.
  function discardRecord(uuid) {
    return all("photos").then(function (photos) {
      return Promise.all(photos.filter(function (p) { return p.record === uuid; })
        .map(function (p) { return del("photos", p.uuid); }));
    }).then(function () { return del("records", uuid); });
  }
  function discard(uuid) {
    return get("records", uuid).then(function (rec) {
      if (rec) return discardRecord(uuid);
      return get("photos", uuid).then(function (photo) {
        return photo && get("records", photo.record).then(function (owner) {
          return owner && owner.kind === "verdict" ? discardRecord(owner.uuid) : del("photos", uuid);
        });
      });
    });
  }

  // Keep the outbox when the browser is short of space, and say when space runs low.
  function storageLow() {
    if (!navigator.storage) return Promise.resolve(false);
    var persist = navigator.storage.persist ? navigator.storage.persist() : Promise.resolve();
    return persist.catch(function () {}).then(function () {
      return navigator.storage.estimate ? navigator.storage.estimate() : null;
    }).then(function (e) { return !!(e && e.quota && e.usage / e.quota > 0.9); })
      .catch(function () { return false; });
  }

  // The data offline work needs (the user, their sites, every checklist), refreshed at most
  // every five minutes while online, or at once when `force` (the offline page asks).
  function getJson(url) {
    return fetch(url, NO_STORE).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.json();
    });
  }
  function allSites(offset, found) {
    return getJson("/api/v1/sites?limit=200&offset=" + offset).then(function (page) {
      found = found.concat(page.items);
      return found.length < page.total && page.items.length ? allSites(offset + page.items.length, found) : found;
    });
  }
  // The active rectification items the user may verify (the API scopes them to the user's
  // teams), each with its finding photos' thumbnails as Blobs for the offline follow-up visit.
  // Thumbnails already on the phone (same photo uuid) are not fetched again.
  function activeItems(old) {
    var kept = {};
    ((old && old.items) || []).forEach(function (it) {
      (it.thumbs || []).forEach(function (t) { kept[t.uuid] = t; });
    });
    function thumb(photo) {
      if (kept[photo.uuid]) return kept[photo.uuid];
      return fetch(photo.urls.thumb, NO_STORE).then(function (r) {
        return r.ok ? r.blob() : null;
      }).then(function (blob) { return blob && { uuid: photo.uuid, blob: blob }; },
        function () { return null; });
    }
    return getJson("/api/v1/rectifications?status=active&limit=200").then(function (page) {
      return Promise.all(page.items.map(function (it) {
        return getJson("/api/v1/rectifications/" + it.id).then(function (detail) {
          return Promise.all(detail.finding_photos.map(thumb));
        }).then(function (thumbs) {
          return Object.assign(it, { thumbs: thumbs.filter(Boolean) });
        });
      }));
    }).catch(function () { return (old && old.items) || []; });
  }
  function refreshData(force) {
    return ready.then(function () { return getMeta("data"); }).then(function (old) {
      if (!navigator.onLine || (!force && old && Date.now() - Date.parse(old.saved) < 300000)) return old;
      return whoAmI().then(function (me) {
        if (me === "retry") return old; // no signal: keep what is there
        if (me === "paused") return switchTo(null).then(function () { return null; });
        return switchTo(me).then(function () { return getMeta("data"); }).then(function (kept) {
          return Promise.all([
            allSites(0, []),
            getJson("/api/v1/templates").then(function (list) {
              return Promise.all(list.map(function (t) { return getJson("/api/v1/templates/" + encodeURIComponent(t.code)); }));
            }),
            activeItems(kept)
          ]).then(function (r) {
            var data = { me: me, sites: r[0], templates: r[1], items: r[2], saved: new Date().toISOString() };
            mark(String(me.id));
            return setMeta("data", data).then(function () { return data; });
          }, function () { return kept; });
        });
      });
    });
  }

  function start() {
    window.addEventListener("online", function () { failures = 0; syncNow(); });
    setInterval(function () { if (navigator.onLine) syncNow(); }, 60000);
    if (navigator.onLine) syncNow();
  }

  window.InspectOutbox = {
    all: all, get: get, put: put, del: del, getMeta: getMeta, setMeta: setMeta,
    onChange: onChange, syncNow: syncNow, summary: summary, discard: discard,
    storageLow: storageLow, start: start, cookie: cookie, refreshData: refreshData, ready: ready, leave: leave,
    plural: plural
  };
})();
