/* The offline inspection page (templates/offline.html). Everything here works without signal:
 * the sites and checklists come from the copy the outbox keeps (InspectOutbox.refreshData),
 * an inspection gets its UUID on the phone, each answer is saved to the outbox record at once,
 * photos are shrunk and kept as Blobs, and "Submit" marks the record for submitting. The outbox
 * sends it all when there is signal (records, then photos, then the submit).
 * A follow-up visit (#visit-{site id}) lists the site's active rectification items with their
 * earlier thumbnails (kept on the phone as Blobs); the first verdict saved starts a "visit"
 * record (its own UUID); each verdict, "Fixed" with an after photo or "Not fixed" with a note
 * and maybe a new deadline, goes into the outbox as a "verdict" record naming that visit, keyed
 * by its request_id, its photo keyed by the photo uuid. Every record carries the user who made
 * it, so only that account sends it.
 * The to do of campaign rounds (todo.js draws it) starts an inspection linked to its round, or
 * opens "could not inspect" (#outcome-{round}-{site}; also at /todo/{round}/{site}/outcome,
 * which the service worker answers with this page when there is no signal). */
(function () {
  "use strict";
  var root = document.getElementById("offline");
  var outbox = window.InspectOutbox, app = window.InspectApp, todo = window.InspectTodo;
  if (!root || !outbox) return;
  var msg = root.dataset;
  var zh = msg.lang === "zh_CN";
  var data = null;
  var $ = function (id) { return document.getElementById(id); };
  function name(obj, field) { return (zh ? obj[field + "_zh"] : obj[field + "_en"]) || obj[field + "_zh"] || ""; }
  var fill = app.fill;
  function isoDate(d) {
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- the list: the to do, inspections on this phone, and the user's sites to start one ---
  function count(key, n) { return fill(outbox.plural(msg, key, n), { n: n }); }
  function only(id) {
    ["offline-home", "offline-walk", "offline-visit", "offline-outcome", "offline-sign"].forEach(function (s) { $(s).hidden = s !== id; });
  }
  function showHome() {
    only("offline-home");
    $("offline-sign-offer").hidden = !signOffer;
    $("offline-data").textContent = data
      ? fill(msg.msgDataSaved, { time: new Date(data.saved).toLocaleString() }) : msg.msgNoData;
    showTodo();
    showInbox();
    showDrafts();
    showSites();
    todo.flash();
  }
  // The inbox as it was last seen with signal: the messages to read, newest first.
  function showInbox() {
    var items = (data && data.inbox && data.inbox.items) || [], list = $("offline-inbox");
    $("offline-inbox-box").hidden = !items.length;
    list.textContent = "";
    items.forEach(function (m) {
      var li = document.createElement("li"), text = document.createElement("span");
      var when = document.createElement("span");
      li.className = "card message" + (m.read_at ? "" : " unread");
      text.className = "message-text";
      text.textContent = m.text;
      when.className = "muted small";
      when.textContent = new Date(m.created_at).toLocaleString();
      li.appendChild(text);
      li.appendChild(when);
      list.appendChild(li);
    });
  }
  function templateOf(code) { return data && data.templates.filter(function (t) { return t.code === code; })[0]; }
  function showTodo() {
    var box = $("todo");
    todo.draw(box, data && data.todo, {
      zh: zh, saved: data && data.saved, start: startFromTodo,
      title: function (code) { var t = templateOf(code); return t ? name(t, "title") : code; }
    });
    return outbox.all("records").then(function (records) { todo.mark(box, records, author().user); });
  }
  function todoItem(roundId, siteId) {
    return ((data && data.todo && data.todo.items) || []).filter(function (it) {
      return it.round_id === roundId && it.site_id === siteId;
    })[0];
  }
  // The round's checklist at the site: the draft this phone has of it, else a new one.
  function startFromTodo(it) {
    var template = templateOf(it.template_code);
    if (!template) return;
    var site = data.sites.filter(function (s) { return s.id === it.site_id; })[0] || it;
    outbox.all("records").then(function (records) {
      var draft = records.filter(function (r) {
        return r.kind === "inspection" && mine(r) && !r.submit && r.body.site_id === it.site_id && r.body.template_code === it.template_code;
      })[0];
      if (draft) location.hash = draft.uuid; else start(site, template, it.round_id);
    });
  }
  var outcomeForm = todo.wireForm($("outcome-form"), {
    author: author,
    done: function () { if (location.pathname === "/offline") location.hash = ""; else location.href = "/offline#"; }
  });
  function showOutcome(roundId, siteId) {
    var it = todoItem(roundId, siteId), form = $("outcome-form");
    if (!it) { showHome(); return; }
    only("offline-outcome");
    outcomeForm.reset();
    form.dataset.round = roundId;
    form.dataset.site = siteId;
    form.dataset.label = name(it, "name");
    $("offline-outcome-site").textContent = name(it, "name");
    $("offline-outcome-round").textContent = fill($("todo").dataset.msgRound, { campaign: name(it, "campaign_name"), n: it.round_number });
  }
  // Submitted records listed on this page (uuid -> label): once the outbox has sent one (and
  // dropped it), the row says so at once, linking to the server's copy, until the page reloads.
  var listed = {};
  function draftRow(label, href, state, cls, signHref) {
    var li = el("li", "card " + cls), a = el("a");
    a.href = href;
    a.appendChild(el("strong", "", label));
    a.appendChild(el("span", "muted", state));
    li.appendChild(a);
    if (signHref) { // a submitted inspection with a failure has a notice to sign
      var sign = el("a", "button small", msg.msgSign);
      sign.href = signHref;
      li.appendChild(sign);
    }
    return li;
  }
  function failed(rec) { return rec.body.answers.some(function (a) { return a.result === "fail"; }); }
  function showDrafts() {
    return outbox.all("records").then(function (records) {
      var list = $("offline-drafts"), here = {};
      list.textContent = "";
      records.forEach(function (rec) {
        if (rec.kind !== "inspection") return; // verdicts show in their follow-up visit
        if (!mine(rec)) return; // another account's: held, in the bar
        here[rec.uuid] = true;
        var refused = rec.state === "refused";
        var toSign = rec.submit && failed(rec);
        if (rec.submit && !refused) listed[rec.uuid] = { label: rec.label, sign: toSign };
        else delete listed[rec.uuid];
        list.appendChild(draftRow(rec.label, "/offline#" + rec.uuid,
          refused ? msg.msgRefused : rec.submit ? msg.msgSubmitted : msg.msgDraft,
          refused ? "is-refused" : rec.submit ? "is-waiting" : "is-draft", toSign && "#sign-" + rec.uuid));
      });
      Object.keys(listed).forEach(function (uuid) {
        var sent = listed[uuid];
        if (!here[uuid]) list.appendChild(draftRow(sent.label, "/inspections/" + uuid, msg.msgSent, "is-sent", sent.sign && "#sign-" + uuid));
      });
      $("offline-drafts-empty").hidden = list.childElementCount > 0;
    });
  }

  // Sites in groups: a building or compound with its tenants (the building first), the other
  // sites by kind. Groups start closed but the first; what the person opens stays open.
  var KINDS = ["building", "compound", "enterprise", "shop"];
  var opened = {};
  function byName(a, b) { return name(a, "name").localeCompare(name(b, "name"), zh ? "zh-CN" : "en"); }
  function siteGroups() {
    var sites = data.sites.filter(function (s) { return s.active; });
    var byId = {}, groups = {};
    data.sites.forEach(function (s) { byId[s.id] = s; });
    var leads = {}; // building or compound id -> true when it has a tenant listed here
    sites.forEach(function (s) { if (s.parent_id && byId[s.parent_id]) leads[s.parent_id] = true; });
    sites.forEach(function (s) {
      var lead = s.parent_id && byId[s.parent_id] ? byId[s.parent_id] : leads[s.id] ? s : null;
      var key = lead ? "site-" + lead.id : "kind-" + s.kind;
      var g = groups[key] || (groups[key] = {
        key: key, lead: lead, sites: [],
        title: lead ? name(lead, "name") : msg["msgGroup" + s.kind.charAt(0).toUpperCase() + s.kind.slice(1)] || s.kind,
        order: lead ? 0 : 1 + KINDS.indexOf(s.kind)
      });
      g.sites.push(s);
    });
    return Object.keys(groups).map(function (k) {
      var g = groups[k];
      g.sites.sort(function (a, b) { return (b === g.lead) - (a === g.lead) || byName(a, b); });
      return g;
    }).sort(function (a, b) { return a.order - b.order || (a.lead ? byName(a.lead, b.lead) : 0); });
  }
  function matches(q) {
    return function (s) { return !q || [s.name_zh, s.name_en, s.address].join(" ").toLowerCase().indexOf(q) >= 0; };
  }
  function showSites() {
    var box = $("offline-sites");
    box.textContent = "";
    $("offline-count").textContent = "";
    if (!data) return;
    var q = $("offline-q").value.trim().toLowerCase(), shown = 0;
    siteGroups().forEach(function (g, i) {
      var sites = g.sites.filter(matches(q));
      if (!sites.length) return;
      shown += sites.length;
      var due = sites.filter(function (s) { return activeItems(s.id).length; }).length;
      var details = el("details", "site-group card"), summary = el("summary"), head = el("span", "group-head");
      details.dataset.group = g.key;
      head.appendChild(el("strong", "", g.title));
      head.appendChild(el("span", "muted", count("msgSites", sites.length)));
      if (due) head.appendChild(el("span", "badge due", count("msgDue", due)));
      summary.appendChild(head);
      details.appendChild(summary);
      var list = el("ul", "list offline-list");
      details.appendChild(list);
      function draw() { // cards are made when their group opens
        if (!details.open || list.childElementCount) return;
        sites.forEach(function (site) { list.appendChild(siteCard(site)); });
      }
      details.open = q ? true : g.key in opened ? opened[g.key] : i === 0;
      draw();
      details.addEventListener("toggle", function () {
        if (!q) opened[g.key] = details.open;
        draw();
      });
      box.appendChild(details);
    });
    $("offline-count").textContent = shown ? count("msgSites", shown) : "";
    if (!shown) box.appendChild(el("p", "muted", msg.msgNoSites));
  }
  function siteCard(site) {
    var li = el("li", "card");
    li.appendChild(el("strong", "", name(site, "name")));
    if (site.address) li.appendChild(el("p", "muted", site.address));
    var choices = el("div", "offline-templates");
    data.templates.forEach(function (t) {
      var b = el("button", "button", name(t, "title"));
      b.type = "button";
      b.addEventListener("click", function () { start(site, t); });
      choices.appendChild(b);
    });
    var due = activeItems(site.id);
    if (due.length) {
      var visit = el("button", "button visit", count("msgVisit", due.length));
      visit.type = "button";
      visit.addEventListener("click", function () { location.hash = "visit-" + site.id; });
      choices.appendChild(visit);
    }
    li.appendChild(choices);
    return li;
  }
  // Who made a record: only that account's session sends it, and only it sees the record
  // (one without a maker, from older versions, is nobody's).
  function author() {
    return data && data.me ? { user: data.me.id, username: data.me.username } : {};
  }
  function mine(rec) { return !!rec.user && rec.user === author().user; }
  function start(site, template, roundId) {
    var rec = outbox.record("inspection", Object.assign({
      label: name(site, "name") + " · " + name(template, "title"),
      body: { site_id: site.id, template_code: template.code, template_version: template.version,
              started_at: new Date().toISOString(), answers: [] }
    }, author()));
    if (roundId) rec.body.round_id = roundId; // from the to do: it covers the site in that round
    outbox.put("records", rec).then(function () { location.hash = rec.uuid; });
  }

  // --- one inspection: answers saved to the outbox as they are given ---
  function showWalk(rec) {
    var template = data && data.templates.filter(function (t) {
      return t.code === rec.body.template_code && t.version === rec.body.template_version;
    })[0];
    if (!template) { showHome(); return; }
    only("offline-walk");
    $("offline-title").textContent = rec.label;
    $("offline-check").textContent = rec.error ? rec.error.message : "";
    var list = $("offline-items");
    list.textContent = "";
    outbox.all("photos").then(function (photos) {
      template.items.forEach(function (item, i) {
        list.appendChild(itemView(rec, item, i + 1, photos.filter(function (p) {
          return p.record === rec.uuid && p.item_code === item.code;
        })));
      });
    });
    $("offline-submit").onclick = function () { submit(rec, template); };
  }
  function answerOf(rec, code) {
    return rec.body.answers.filter(function (a) { return a.item_code === code; })[0];
  }
  function save(rec) {
    rec.dirty = true;
    if (!rec.submit) rec.state = "waiting";
    return outbox.put("records", rec);
  }
  // A failed item gets the item's usual period as its deadline; other answers have none.
  function defaultDeadline(a, item) {
    if (a.result === "fail" && !a.deadline) {
      var d = new Date(); d.setDate(d.getDate() + item.period_days);
      a.deadline = isoDate(d);
    }
    if (a.result !== "fail") a.deadline = null;
  }
  function itemView(rec, item, number, photos) {
    var given = answerOf(rec, item.code);
    if (given) defaultDeadline(given, item); // e.g. a failure handed over from the online page
    var li = $("offline-item").content.firstElementChild.cloneNode(true);
    li.id = "item-" + item.code;
    li.dataset.code = item.code;
    li.querySelector(".num").textContent = number;
    li.querySelector(".text").textContent = name(item, "text");
    var note = li.querySelector("textarea"), deadline = li.querySelector("input[type=date]");
    var photoCount = li.querySelector(".photo-count"), thumbs = li.querySelector(".thumbs");
    var fieldError = rec.error && rec.error.fields && rec.error.fields[item.code];
    if (fieldError) li.appendChild(el("p", "error item-error", fieldError));
    function draw() {
      var a = answerOf(rec, item.code);
      var result = a ? a.result : "";
      li.dataset.result = result;
      li.className = "item card result-" + (result || "none");
      li.querySelectorAll(".ans").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.value === result)); });
      li.querySelector(".fail-details").hidden = result !== "fail";
      note.value = a ? a.note : "";
      deadline.value = a && a.deadline ? a.deadline : "";
      // photos on the phone, and those the server already has (an inspection begun online)
      var total = photos.length + ((rec.server_photos && rec.server_photos[item.code]) || 0);
      li.dataset.photos = total;
      photoCount.textContent = fill(msg.msgPhotos, { n: total });
    }
    function update(changes) {
      var a = answerOf(rec, item.code);
      if (!a) { a = { item_code: item.code, result: "pass", note: "", deadline: null }; rec.body.answers.push(a); }
      Object.assign(a, changes);
      defaultDeadline(a, item);
      draw();
      save(rec);
    }
    li.querySelectorAll(".ans").forEach(function (b) {
      b.addEventListener("click", function () { update({ result: b.dataset.value }); });
    });
    note.addEventListener("change", function () { update({ note: note.value }); });
    deadline.addEventListener("change", function () { update({ deadline: deadline.value || null }); });
    li.querySelector(".photo-input").addEventListener("change", function (event) {
      var files = Array.prototype.slice.call(event.target.files);
      event.target.value = "";
      files.reduce(function (chain, file) {
        return chain.then(function () { return window.InspectPhotos.shrink(file); }).then(function (blob) {
          var photo = outbox.photo({ record: rec.uuid, item_code: item.code, blob: blob, name: file.name || "photo.jpg" },
                                   "/api/v1/inspections/" + rec.uuid + "/photos/");
          return outbox.put("photos", photo).then(function () {
            photos.push(photo);
            thumb(thumbs, blob);
            draw();
          });
        });
      }, Promise.resolve());
    });
    photos.forEach(function (p) {
      if (p.blob) thumb(thumbs, p.blob);
    });
    draw();
    return li;
  }
  // The same checks as the server (app.js); when they pass, the record is marked for submitting.
  function submit(rec, template) {
    var problems = app.checkSubmit(template.items.map(function (item) {
      var a = answerOf(rec, item.code) || {};
      return { li: $("item-" + item.code), result: a.result, deadline: a.deadline, photoRequired: item.photo_required };
    }), msg);
    if (problems.length) {
      $("offline-check").textContent = count("msgCheck", problems.length);
      problems[0].scrollIntoView({ block: "center" });
      return;
    }
    rec.submit = true;
    rec.state = "waiting";
    rec.error = null;
    save(rec).then(function () {
      $("offline-done").textContent = msg.msgDone;
      $("offline-done").hidden = false;
      signOffer = failed(rec) && rec.uuid;
      $("offline-sign-link").href = "#sign-" + rec.uuid;
      location.hash = "";
      if (navigator.onLine) outbox.syncNow();
    });
  }

  // --- signing the notice of a submitted inspection (signature.js), also without signal ---
  var signOffer = null; // the inspection just submitted, when it has a notice to sign
  function showSign(uuid) {
    only("offline-sign");
    $("offline-done").hidden = true;
    $("offline-sign-offer").hidden = true;
    outbox.get("records", uuid).then(function (rec) {
      var me = data && data.me, sent = listed[uuid];
      $("offline-sign-title").textContent = rec ? rec.label : sent ? sent.label : "";
      window.InspectSign.mount(Object.assign({
        inspection: uuid, label: rec ? rec.label : sent ? sent.label : uuid,
        signer: me ? me.display_name || me.username : ""
      }, author()));
    });
  }

  // --- a follow-up visit: a verdict per active rectification item of one site ---
  // The server's rule (RectificationOut.active); data kept before the server sent it has only
  // the status.
  function isActive(it) {
    return "active" in it ? it.active : it.status === "open" || it.status === "fix_reported";
  }
  function activeItems(siteId) {
    return ((data && data.items) || []).filter(function (it) {
      return it.site_id === siteId && isActive(it);
    });
  }
  // A photo kept on the phone; one the browser cannot draw (HEIC in Chromium) shows a
  // placeholder until it is sent and the server's thumbnail exists.
  function thumb(list, blob) { app.thumb(list, URL.createObjectURL(blob), msg.msgNoPreview); }
  function showVisit(siteId) {
    var site = data && data.sites.filter(function (s) { return s.id === siteId; })[0];
    if (!site) { showHome(); return; }
    only("offline-visit");
    $("offline-visit-title").textContent = name(site, "name");
    outbox.all("records").then(function (records) {
      var list = $("offline-visit-items");
      list.textContent = "";
      activeItems(siteId).forEach(function (item) {
        var verdict = records.filter(function (r) { return r.kind === "verdict" && r.item_id === item.id && mine(r); })[0];
        list.appendChild(visitItemView(site, item, verdict));
      });
    });
  }
  // The visit this phone is making to a site: the one waiting in the outbox, or a new one.
  function visitOf(site) {
    var me = author().user;
    return outbox.all("records").then(function (records) {
      var open = records.filter(function (r) {
        return r.kind === "visit" && r.body.site_id === site.id && r.user === me && r.state !== "refused";
      })[0];
      if (open) return open.uuid;
      var visit = outbox.record("visit", Object.assign({
        label: name(site, "name"), body: { site_id: site.id }, submit: true
      }, author()));
      return outbox.put("records", visit).then(function () { return visit.uuid; });
    });
  }
  function visitItemView(site, item, verdict) {
    var li = $("offline-visit-item").content.firstElementChild.cloneNode(true);
    li.id = "visit-item-" + item.id;
    li.querySelector(".text").textContent = item.item_code + " " + name(item, "text");
    li.querySelector(".deadline").textContent = fill(msg.msgDeadlineWas, { date: item.deadline });
    (item.thumbs || []).forEach(function (t) { thumb(li.querySelector(".earlier"), t.blob); });
    var details = li.querySelector(".verdict-details"), error = li.querySelector(".verdict-error");
    var note = li.querySelector("textarea"), deadline = li.querySelector("input[type=date]");
    var outcome = "", after = null; // the after photo stays in memory until the verdict is saved
    function showState(rec) {
      li.querySelector(".answer-buttons").hidden = !!rec;
      details.hidden = !!rec || !outcome;
      if (rec) li.dataset.verdict = rec.uuid; // refreshVisit() says when the outbox sent it
      li.querySelector(".verdict-state").textContent = !rec ? ""
        : rec.state === "refused" ? msg.msgVerdictRefused
        : rec.body.outcome === "closed" ? msg.msgSavedFixed : msg.msgSavedNotFixed;
    }
    li.querySelectorAll(".ans").forEach(function (b) {
      b.addEventListener("click", function () {
        outcome = b.dataset.value;
        li.querySelectorAll(".ans").forEach(function (x) { x.setAttribute("aria-pressed", String(x === b)); });
        li.querySelector(".after-photos").hidden = outcome !== "closed";
        li.querySelector(".new-deadline").hidden = outcome !== "not_fixed";
        error.hidden = true;
        showState(null);
      });
    });
    li.querySelector(".after-input").addEventListener("change", function (event) {
      var file = event.target.files[0];
      event.target.value = "";
      if (!file) return;
      window.InspectPhotos.shrink(file).then(function (blob) {
        after = { blob: blob, name: file.name || "after.jpg" };
        var list = li.querySelector(".after");
        list.textContent = "";
        thumb(list, blob);
      });
    });
    li.querySelector(".save-verdict").addEventListener("click", function () {
      if (outcome === "closed" && !after) { error.textContent = msg.msgAfterNeeded; error.hidden = false; return; }
      var rec = outbox.record("verdict", Object.assign({
        item_id: item.id, label: name(site, "name") + " · " + item.item_code,
        body: { outcome: outcome, note: note.value, photo_ids: [],
                new_deadline: outcome === "not_fixed" && deadline.value ? deadline.value : null },
        submit: true, dirty: false
      }, author()));
      var saving = Promise.resolve();
      if (outcome === "closed") {
        var photo = outbox.photo({ record: rec.uuid, item_code: item.item_code, blob: after.blob, name: after.name },
                                 "/api/v1/rectifications/" + item.id + "/photos/");
        rec.body.photo_ids.push(photo.uuid);
        saving = outbox.put("photos", photo);
      }
      saving.then(function () { return visitOf(site); }).then(function (id) {
        rec.body.visit_uuid = id;
        return outbox.put("records", rec);
      }).then(function () {
        showState(rec);
        if (navigator.onLine) outbox.syncNow();
      });
    });
    showState(verdict);
    return li;
  }

  // The outbox changed (a sync round sent or refused something): the list or the visit on show
  // says so at once, with the phone's copy of the items (a verdict sent may have closed one).
  function refreshVisit() {
    return outbox.all("records").then(function (records) {
      var byId = {};
      records.forEach(function (r) { byId[r.uuid] = r; });
      document.querySelectorAll("#offline-visit-items li[data-verdict]").forEach(function (li) {
        var rec = byId[li.dataset.verdict], state = li.querySelector(".verdict-state");
        if (!rec) state.textContent = msg.msgSent;
        else if (rec.state === "refused") state.textContent = msg.msgVerdictRefused;
      });
    });
  }
  function refresh() {
    return outbox.getMeta("data").then(function (saved) {
      var same = saved && data && saved.me && data.me && saved.me.id === data.me.id;
      var itemsChanged = same && JSON.stringify((saved.items || []).map(function (it) { return it.id; }))
        !== JSON.stringify((data.items || []).map(function (it) { return it.id; }));
      if (same) data = saved;
      if (!$("offline-home").hidden) {
        showTodo();
        showDrafts();
        if (itemsChanged) showSites();
      } else if (!$("offline-visit").hidden) {
        refreshVisit();
      }
    });
  }
  var pendingRefresh = null;
  outbox.onChange(function () { // a round changes many rows: one refresh after it settles
    clearTimeout(pendingRefresh);
    pendingRefresh = setTimeout(refresh, 150);
  });

  function route() {
    var id = location.hash.slice(1);
    var at = /^\/todo\/(\d+)\/(\d+)\/outcome$/.exec(location.pathname); // no signal for that page
    var pair = /^(outcome|todo-start)-(\d+)-(\d+)$/.exec(id) || (at && !id && ["", "outcome", at[1], at[2]]);
    if (pair && pair[1] === "outcome") { showOutcome(Number(pair[2]), Number(pair[3])); return; }
    if (pair) { // a start from the home page without signal
      var it = todoItem(Number(pair[2]), Number(pair[3]));
      if (it) startFromTodo(it); else showHome();
      return;
    }
    if (!id) { showHome(); return; }
    if (id.indexOf("visit-") === 0) { showVisit(Number(id.slice(6))); return; }
    if (id.indexOf("sign-") === 0) { showSign(id.slice(5)); return; }
    outbox.get("records", id).then(function (rec) { if (rec && mine(rec)) showWalk(rec); else showHome(); });
  }
  $("offline-q").addEventListener("input", showSites);
  window.addEventListener("hashchange", route);
  // Only the signed-in account's data (outbox.ready), then a fresh copy when there is signal.
  outbox.ready.then(function () { return outbox.getMeta("data"); }).then(function (saved) {
    data = saved;
    route();
    return outbox.refreshData(true);
  }).then(function (fresh) {
    var changed = (fresh && fresh.saved) !== (data && data.saved);
    data = fresh;
    if (changed && (!fresh || !location.hash.slice(1))) route();
  });
})();
