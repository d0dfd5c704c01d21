/* The inspector's to do (templates/home/_todo.html) and the "could not inspect" form
 * (templates/campaigns/_todo_outcome.html), on the home and to do pages and on the offline page.
 * - "Sort by distance" asks for the phone's position only when tapped, then orders each
 *   round's groups by their nearest site (the building first in its group, its tenants by
 *   distance; sites without a position last).
 * - The form puts the outcome in the outbox (InspectOutbox), its photo first, both under
 *   client UUIDs: kept without signal, sent exactly once. With signal the page waits for the
 *   sync and shows a refusal at the fields; without, it goes back to the list at once.
 * - Each card says what waits for it in the outbox: a covering outcome (closed down, told to
 *   close) or a submitted inspection takes it off the list, another outcome makes it "visit
 *   again", a refusal is shown on it; the counts follow.
 * The offline page (offline.js) draws the cards from the data kept on the phone (draw()). */
window.InspectTodo = (function () {
  "use strict";
  const app = window.InspectApp, outbox = window.InspectOutbox;
  const COVERS = ["closed_down", "told_to_close"];
  const KINDS = ["building", "compound", "enterprise", "shop"];
  const fill = app.fill;
  const camel = (s) => s.replace(/(^|[_-])(\w)/g, (_m, _s, c) => c.toUpperCase());
  const key = (round, site) => round + "-" + site;
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function plural(msg, name, n) { return fill((n === 1 && msg[name + "One"]) || msg[name], { n }); }

  // --- what waits in the outbox, by round and site ---
  function waiting(records, me) {
    const by = {};
    records.filter((r) => r.user === me).forEach((r) => {
      let k = null, covers = true, outcome = "";
      if (r.kind === "outcome") { k = key(r.round_id, r.site_id); outcome = r.body.outcome; covers = COVERS.includes(outcome); }
      if (r.kind === "inspection" && r.submit && r.body.round_id) k = key(r.body.round_id, r.body.site_id);
      const old = k && by[k];
      if (k && (!old || (old.rec.body.recorded_at || "") <= (r.body.recorded_at || ""))) by[k] = { rec: r, covers, outcome };
    });
    return by;
  }
  const seen = {}; // what this page saw waiting: once sent, its effect stays until a reload
  function what(msg, w) { return w.outcome ? msg["msgOutcome" + camel(w.outcome)] : msg.msgInspected; }
  // Each card as the outbox leaves it; the counts are the server's (data-base) plus the change.
  function mark(root, records, me) {
    const msg = root.dataset, by = waiting(records, me), change = { pending: 0, again: 0, done: 0 };
    Object.keys(by).forEach((k) => { if (by[k].rec.state === "refused") delete seen[k]; else seen[k] = by[k]; });
    root.querySelectorAll(".todo-site[data-round]").forEach((card) => {
      const k = key(card.dataset.round, card.dataset.site), now = by[k], w = now || seen[k];
      const note = card.querySelector(".todo-note"), chip = card.querySelector(".badge.again");
      if (card.dataset.chip === undefined) card.dataset.chip = chip.hidden ? "" : chip.textContent;
      const refused = !!now && now.rec.state === "refused";
      const effect = w && !refused ? (w.covers ? "done" : "again") : "";
      const from = card.dataset.state === "unreachable" ? "again" : "pending";
      card.hidden = effect === "done";
      card.classList.toggle("is-refused", refused);
      chip.textContent = effect === "again" ? msg.msgAgain + " · " + what(msg, w) : card.dataset.chip;
      chip.hidden = !chip.textContent;
      note.hidden = !w;
      note.classList.toggle("error", refused);
      if (refused) {
        const fields = Object.values(now.rec.error.fields || {});
        note.textContent = fill(msg.msgRefused, { message: [now.rec.error.message].concat(fields).join(" ") });
      } else if (w) {
        note.textContent = fill(now ? msg.msgWaiting : msg.msgSent, { what: what(msg, w) });
      }
      if (effect && effect !== from) { change[from] -= 1; change[effect] += 1; }
    });
    root.querySelectorAll("[data-count]").forEach((n) => {
      if (n.dataset.base === undefined) n.dataset.base = n.textContent;
      n.textContent = Math.max(0, Number(n.dataset.base) + change[n.dataset.count]);
    });
    // a group says how many are left on show; one with none, or a round with none, goes too
    root.querySelectorAll(".todo-group").forEach((group) => {
      const left = group.querySelectorAll(".todo-site:not([hidden])").length;
      group.querySelector(".group-head .muted").textContent = plural(msg, "msgSites", left);
      group.hidden = !left;
    });
    root.querySelectorAll(".todo-round").forEach((round) => {
      round.hidden = !round.querySelector(".todo-group:not([hidden])");
    });
    const empty = root.querySelector("#todo-empty");
    if (empty) empty.hidden = !!root.querySelector(".todo-site:not([hidden])");
  }

  // --- nearest first, once the person asks ---
  let here = null;
  function distance(card) {
    const lat = parseFloat(card.dataset.lat), lon = parseFloat(card.dataset.lon);
    if (!here || isNaN(lat) || isNaN(lon)) return Infinity;
    const x = (lon - here.lon) * Math.cos((lat + here.lat) * Math.PI / 360), y = lat - here.lat;
    return Math.sqrt(x * x + y * y) * 111195; // metres, near enough within a city
  }
  const closer = (a, b) => (a.d === b.d ? 0 : a.d < b.d ? -1 : 1);
  function sortNear(root) {
    if (!here) return;
    root.querySelectorAll(".todo-round").forEach((round) => {
      const groups = Array.from(round.querySelectorAll(".todo-group")).map((g) => {
        const list = g.querySelector(".todo-list");
        const cards = Array.from(list.children).map((c) => ({ c, d: distance(c), lead: "lead" in c.dataset }));
        cards.sort((a, b) => (b.lead - a.lead) || closer(a, b)).forEach((x) => {
          list.appendChild(x.c);
          x.c.querySelector(".todo-name").dataset.where = x.d < Infinity ? (x.d < 1000 ? Math.round(x.d / 10) * 10 + " m" : (x.d / 1000).toFixed(1) + " km") : "";
        });
        return { g, d: Math.min(Infinity, ...cards.map((x) => x.d)) };
      });
      groups.sort(closer).forEach((x) => round.appendChild(x.g));
    });
  }
  function wireNear(root) {
    const button = root.querySelector("#todo-near"), state = root.querySelector("#todo-near-state");
    if (!button || !navigator.geolocation) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      state.textContent = root.dataset.msgLocating;
      navigator.geolocation.getCurrentPosition((pos) => {
        here = { lat: pos.coords.latitude, lon: pos.coords.longitude };
        sortNear(root);
        state.textContent = root.dataset.msgNear;
      }, () => { state.textContent = root.dataset.msgNoLocation; },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
  }

  // --- the offline page: the cards drawn from the phone's copy ({items, done_today}) ---
  function name(obj, field, zh) { return (zh ? obj[field + "_zh"] : obj[field + "_en"]) || obj[field + "_zh"] || ""; }
  function daysLeft(ends) {
    const now = new Date(), today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
    return Math.round((Date.parse(ends) - today) / 86400000);
  }
  function card(root, it, zh, hooks) {
    const msg = root.dataset, li = root.querySelector("#todo-card").content.firstElementChild.cloneNode(true);
    li.id = "todo-" + key(it.round_id, it.site_id);
    Object.assign(li.dataset, { round: it.round_id, site: it.site_id, state: it.state,
      lat: it.latitude === null ? "" : it.latitude, lon: it.longitude === null ? "" : it.longitude });
    if (it.site_id === it.building_id) li.dataset.lead = "";
    li.querySelector(".todo-name").textContent = name(it, "name", zh);
    const addr = li.querySelector(".todo-address");
    addr.textContent = it.address;
    addr.hidden = !it.address;
    if (it.state === "unreachable" && it.outcome) {
      const chip = li.querySelector(".badge.again");
      chip.textContent = msg.msgAgain + " · " + msg["msgOutcome" + camel(it.outcome)];
      chip.hidden = false;
    }
    li.querySelector(".todo-start").addEventListener("click", () => hooks.start(it));
    li.querySelector(".todo-outcome").href = "/offline#outcome-" + key(it.round_id, it.site_id);
    return li;
  }
  // The rounds still running on the phone's date, each with its groups; counts from the copy
  // (today's done only when the copy is from today).
  function draw(root, todo, opts) {
    const msg = root.dataset, zh = opts.zh, box = root.querySelector("#todo-rounds");
    const items = ((todo && todo.items) || []).filter((it) => daysLeft(it.round_ends_on) >= 0);
    const rounds = [];
    items.forEach((it) => {
      let r = rounds.find((x) => x.id === it.round_id);
      if (!r) rounds.push(r = { id: it.round_id, it, groups: [] });
      const inside = it.building_id !== null, k = inside ? "b" + it.building_id : "k" + it.kind;
      let g = r.groups.find((x) => x.key === k);
      if (!g) {
        r.groups.push(g = { key: k, order: inside ? -1 : KINDS.indexOf(it.kind), items: [],
          title: inside ? name(it, "building_name", zh) : msg["msgKind" + camel(it.kind)] });
      }
      g.items.push(it);
    });
    const opened = {}; // drawn again after each change: what the person opened stays open
    box.querySelectorAll(".todo-group").forEach((d) => { opened[d.parentNode.dataset.round + d.dataset.group] = d.open; });
    box.textContent = "";
    rounds.forEach((r) => {
      const section = el("section", "todo-round"), days = daysLeft(r.it.round_ends_on);
      section.dataset.round = r.id;
      section.appendChild(el("h3", "", fill(msg.msgRound, { campaign: name(r.it, "campaign_name", zh), n: r.it.round_number })));
      section.appendChild(el("p", "muted todo-when", opts.title(r.it.template_code) + " · " + (days ? plural(msg, "msgDays", days) : msg.msgLastDay)));
      r.groups.sort((a, b) => a.order - b.order).forEach((g, i) => {
        const details = el("details", "site-group card todo-group"), summary = el("summary"), head = el("span", "group-head");
        details.dataset.group = g.key;
        const was = opened[r.id + g.key];
        details.open = was === undefined ? items.length <= 60 || i === 0 : was;
        head.appendChild(el("strong", "", g.title));
        head.appendChild(el("span", "muted", plural(msg, "msgSites", g.items.length)));
        summary.appendChild(head);
        details.appendChild(summary);
        const list = el("ul", "list todo-list");
        g.items.forEach((it) => list.appendChild(card(root, it, zh, opts)));
        details.appendChild(list);
        section.appendChild(details);
      });
      box.appendChild(section);
    });
    const fresh = todo && opts.saved && new Date(opts.saved).toDateString() === new Date().toDateString();
    const base = { pending: items.filter((it) => it.state !== "unreachable").length,
      again: items.filter((it) => it.state === "unreachable").length, done: fresh ? todo.done_today || 0 : 0 };
    root.querySelectorAll("[data-count]").forEach((n) => { n.dataset.base = base[n.dataset.count]; });
    root.hidden = !items.length && !base.done;
    sortNear(root);
  }

  // --- "could not inspect": checked here as the server checks it, then into the outbox ---
  const FLASH = "inspect-todo-done";
  function flash() {
    let text = null;
    try { text = sessionStorage.getItem(FLASH); sessionStorage.removeItem(FLASH); } catch (e) { return; }
    const box = document.getElementById("flash");
    if (!text || !box) return;
    const p = el("p", "notice ok", text), wrap = el("div", "container");
    wrap.appendChild(p);
    box.textContent = "";
    box.appendChild(wrap);
  }
  function wireForm(form, opts) {
    const msg = form.dataset, needsNote = msg.needsNote.split(" "), needsPhoto = msg.needsPhoto.split(" ");
    const input = form.querySelector("#outcome-photo"), thumbs = form.querySelector(".thumbs");
    const state = form.querySelector("#outcome-state");
    let photo = null, shrinking = Promise.resolve(); // the photo, once shrunk on the phone
    const chosen = () => (form.querySelector("input[name=outcome]:checked") || {}).value || "";
    function error(name, text) {
      const p = form.querySelector('[data-error-for="' + name + '"]');
      if (!p) return;
      p.textContent = text || "";
      p.hidden = !text;
      p.closest(".field").classList.toggle("has-error", !!text);
    }
    function problem(text) {
      const box = form.querySelector("#outcome-problem");
      box.textContent = text;
      box.hidden = !text;
    }
    function required() {
      const o = chosen();
      [["#outcome-note-field", needsNote], ["#outcome-photo-field", needsPhoto]].forEach(([id, outcomes]) => {
        const field = form.querySelector(id), on = outcomes.includes(o);
        field.classList.toggle("is-required", on);
        field.querySelector("[data-required]").hidden = !on;
      });
    }
    function reset() {
      form.reset();
      photo = null;
      thumbs.textContent = state.textContent = "";
      ["outcome", "note", "photo_ids"].forEach((n) => error(n, ""));
      problem("");
      required();
    }
    form.addEventListener("change", (event) => {
      if (event.target.name !== "outcome") return;
      required();
      error("outcome", "");
    });
    input.addEventListener("change", () => {
      const file = input.files[0];
      input.value = "";
      if (!file) return;
      shrinking = window.InspectPhotos.shrink(file).then((blob) => {
        photo = { blob, name: file.name || "photo.jpg" };
        thumbs.textContent = "";
        app.thumb(thumbs, URL.createObjectURL(blob), msg.msgNoPreview);
        error("photo_ids", "");
      });
    });
    async function save(outcome, note) {
      const round = Number(msg.round), site = Number(msg.site);
      const label = msg.label + " · " + form.querySelector("input[name=outcome]:checked").closest("label").querySelector("strong").textContent;
      const rec = outbox.record("outcome", Object.assign({
        round_id: round, site_id: site, label, submit: true, dirty: false,
        body: { site_id: site, outcome, note, photo_ids: [], recorded_at: new Date().toISOString() }
      }, opts.author()));
      // a refusal of this site's outcome is answered by this one
      const old = (await outbox.all("records")).filter((r) =>
        r.kind === "outcome" && r.round_id === round && r.site_id === site && r.state === "refused");
      await Promise.all(old.map((r) => outbox.discard(r.uuid)));
      if (photo) { // the photo first: the outcome names it
        const p = outbox.photo({ record: rec.uuid, item_code: "", label, blob: photo.blob, name: photo.name },
          "/api/v1/rounds/" + round + "/sites/" + site + "/photos/");
        rec.body.photo_ids.push(p.uuid);
        await outbox.put("photos", p);
      }
      await outbox.put("records", rec);
      return rec;
    }
    // With signal, wait for the sync (a round already under way may have missed the outcome):
    // refused, it stays here with the reasons at the fields; else back to the list.
    async function send(rec) {
      const left = async () => {
        const r = await outbox.get("records", rec.uuid);
        return r && r.state !== "refused";
      };
      if (navigator.onLine) {
        state.textContent = msg.msgSending;
        for (let i = 0; i < 2 && (await left()); i++) await outbox.syncNow();
      }
      const now = await outbox.get("records", rec.uuid);
      if (now && now.state === "refused") {
        state.textContent = "";
        problem(now.error.message);
        Object.keys(now.error.fields || {}).forEach((name) => error(name, now.error.fields[name]));
        return;
      }
      try { sessionStorage.setItem(FLASH, fill(msg.msgRecorded, { what: rec.label }) + (now ? " " + msg.msgKept : "")); } catch (e) { /* none */ }
      opts.done(rec);
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      await shrinking; // never refused: photo-shrink.js keeps the file as it is when it must
      const outcome = chosen(), note = form.elements.note.value.trim();
      const wrong = [];
      if (!outcome) wrong.push(["outcome", msg.msgChoose]);
      if (needsNote.includes(outcome) && !note) wrong.push(["note", msg.msgNote]);
      if (needsPhoto.includes(outcome) && !photo) wrong.push(["photo_ids", msg.msgPhoto]);
      ["outcome", "note", "photo_ids"].forEach((n) => error(n, ""));
      problem("");
      wrong.forEach(([name, text]) => error(name, text));
      if (wrong.length) {
        button.disabled = false;
        form.querySelector('[data-error-for="' + wrong[0][0] + '"]').closest(".field").scrollIntoView({ block: "center" });
        return;
      }
      save(outcome, note).then(send).finally(() => { button.disabled = false; });
    });
    required();
    return { reset };
  }

  // --- the home and to do pages, and the outcome page ---
  const root = document.getElementById("todo");
  const offlinePage = !!document.getElementById("offline");
  const body = document.body.dataset, me = Number(body.user) || null;
  if (root) wireNear(root);
  if (root && !offlinePage && outbox && me) {
    let timer = null;
    const refresh = () => outbox.all("records").then((records) => mark(root, records, me));
    outbox.onChange(() => { clearTimeout(timer); timer = setTimeout(refresh, 150); });
    refresh();
    // Without signal a start cannot reach the server: the offline page starts it on the phone.
    root.addEventListener("submit", (event) => {
      if (navigator.onLine) return;
      const f = event.target.elements;
      event.preventDefault();
      location.href = "/offline#todo-start-" + key(f.round_id.value, f.site_id.value);
    });
  }
  const form = document.getElementById("outcome-form");
  if (form && !offlinePage && outbox && me) {
    wireForm(form, { author: () => ({ user: me, username: body.username }), done: () => { location.href = form.dataset.after; } });
  }
  flash();
  return { mark, draw, wireForm, flash };
})();
