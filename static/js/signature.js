/* Signing a notice on the phone (templates/notices/_sign.html): a pad per signer, drawn with a
 * finger (pointer events), with big Undo and Clear buttons (Undo also brings back what Clear
 * took). Strokes are points in the canvas's own CSS pixels, whole numbers; the server makes
 * the SVG from them.
 *
 * Each step (the inspector; the business: its representative's name and signature, or the
 * refusal with a witness's name) is one outbox record, kind "signature", made at the first
 * stroke or letter and saved at every one, so nothing drawn or typed is lost by leaving the
 * page, losing signal or reloading: {uuid (the signature's id, sent as PUT .../signatures/
 * {uuid}), inspection, slot ("inspector" | "business"), pad {width, height, strokes}, mode
 * ("sign" | "refused"), name, witness, body (the PUT's JSON, made by Save), submit, sent}.
 * Save sets submit: the outbox sends it once its inspection is on the server (outbox.js).
 * The sign page mounts itself; the offline page calls InspectSign.mount for #sign-{uuid}. */
(function () {
  "use strict";
  const outbox = window.InspectOutbox;
  const MAX_POINTS = 20000, MAX_STROKES = 300, MIN_STEP = 2; // the server's bounds; px
  const first = document.getElementById("sign");
  if (!first || !outbox) return;
  const pristine = first.cloneNode(true);

  // A pad on a canvas: strokes [[x0, y0, x1, y1, ...], ...] in a fixed space (width x height).
  function Pad(canvas, size, changed, full) {
    let strokes = [], current = null, locked = false;
    const undo = []; // "stroke", or the strokes Clear took
    const space = { width: size.width, height: size.height };
    const ctx = canvas.getContext("2d");
    function points() { return strokes.reduce((n, s) => n + s.length / 2, 0); }
    function fit() {
      const ratio = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      ctx.setTransform(ratio * w / space.width, 0, 0, ratio * h / space.height, 0, 0);
      ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
      draw();
    }
    function line(s) {
      ctx.beginPath();
      ctx.moveTo(s[0], s[1]);
      for (let i = 0; i < s.length; i += 2) ctx.lineTo(s[i], s[i + 1]);
      if (s.length === 2) ctx.lineTo(s[0] + 0.01, s[1]); // a dot
      ctx.stroke();
    }
    function draw() {
      ctx.clearRect(0, 0, space.width, space.height);
      strokes.forEach(line);
      canvas.parentNode.classList.toggle("has-ink", strokes.length > 0);
    }
    function at(e) {
      const r = canvas.getBoundingClientRect();
      const x = Math.round((e.clientX - r.left) * space.width / r.width);
      const y = Math.round((e.clientY - r.top) * space.height / r.height);
      return [Math.min(space.width, Math.max(0, x)), Math.min(space.height, Math.max(0, y))];
    }
    function add(e) {
      const [x, y] = at(e), n = current.length;
      if (n && Math.abs(current[n - 2] - x) < MIN_STEP && Math.abs(current[n - 1] - y) < MIN_STEP) return;
      if (points() >= MAX_POINTS) { full(); return; }
      current.push(x, y);
      line(current.slice(Math.max(0, n - 2)));
    }
    canvas.addEventListener("pointerdown", (e) => {
      if (locked || !e.isPrimary) return;
      e.preventDefault();
      if (strokes.length >= MAX_STROKES || points() >= MAX_POINTS) { full(); return; }
      canvas.setPointerCapture(e.pointerId);
      current = [];
      strokes.push(current);
      undo.push("stroke");
      add(e);
      canvas.parentNode.classList.add("has-ink");
    });
    canvas.addEventListener("pointermove", (e) => { if (current) add(e); });
    function end() {
      if (!current) return;
      current = null;
      changed();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);
    window.addEventListener("resize", fit);
    return {
      load(kept) { strokes = kept.map((s) => s.slice()); undo.length = 0; strokes.forEach(() => undo.push("stroke")); fit(); },
      undo() {
        if (locked || !undo.length) return;
        const last = undo.pop();
        if (last === "stroke") strokes.pop(); else strokes = last;
        draw(); changed();
      },
      clear() {
        if (locked || !strokes.length) return;
        undo.push(strokes);
        strokes = [];
        draw(); changed();
      },
      lock(on) { locked = on; },
      empty() { return !strokes.some((s) => s.length); },
      drawing() { return { width: space.width, height: space.height, strokes: strokes.filter((s) => s.length) }; },
      fit
    };
  }

  // One step: its record (kept or new), its pad and fields; everything saved as it changes.
  function step(el, ctx, kept) {
    const msg = ctx.msg, slot = el.dataset.slot, canvas = el.querySelector("canvas");
    const state = el.querySelector(".sign-state"), error = el.querySelector(".sign-error");
    const name = el.querySelector("[name=signer_name]"), witness = el.querySelector("[name=witness_name]");
    const size = kept && kept.pad ? kept.pad : { width: Math.round(canvas.clientWidth) || 320, height: Math.round(canvas.clientHeight) || 200 };
    let rec = kept || null, mode = (kept && kept.mode) || "sign";
    const pad = Pad(canvas, size, save, () => say(msg.msgFull, true));
    function say(text, bad) {
      error.textContent = bad ? text : "";
      error.hidden = !bad;
    }
    function show() {
      el.querySelectorAll(".sign-mode .ans").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.mode === mode)));
      const refused = mode === "refused";
      if (witness) el.querySelector(".sign-witness").hidden = !refused;
      if (el.querySelector(".sign-drawn")) el.querySelector(".sign-drawn").hidden = refused;
      const saved = !!rec && (rec.submit || rec.sent || rec.state === "refused");
      el.classList.toggle("is-saved", saved);
      pad.lock(saved);
      [name, witness].forEach((f) => { if (f) f.disabled = saved; });
      state.classList.toggle("error", !!rec && rec.state === "refused");
      state.textContent = !rec ? "" : rec.state === "refused"
        ? msg.msgRefused + " " + (rec.error ? rec.error.message : "") + " " + msg.msgRefusedHelp
        : rec.sent ? msg.msgSent : rec.submit ? msg.msgWaiting : "";
    }
    // Kept at once: the first change makes the record, each one after updates it.
    function save() {
      if (rec && (rec.submit || rec.sent)) return Promise.resolve();
      if (!rec) {
        rec = outbox.record("signature", {
          inspection: ctx.inspection, slot, user: ctx.user, username: ctx.username,
          label: window.InspectApp.fill(msg.msgLabel, { what: ctx.label }), dirty: false
        });
      }
      Object.assign(rec, { pad: pad.drawing(), mode, name: name ? name.value : "", witness: witness ? witness.value : "" });
      return outbox.put("records", rec);
    }
    function problem() {
      if (mode === "refused") return !witness.value.trim() && [msg.msgWitness, witness];
      if (name && !name.value.trim()) return [msg.msgName, name];
      return pad.empty() && [msg.msgEmpty, canvas];
    }
    function done() {
      const wrong = problem();
      if (wrong) {
        say(wrong[0], true);
        wrong[1].focus && wrong[1].focus();
        return;
      }
      say("", false);
      const role = slot === "inspector" ? "inspector" : mode === "refused" ? "refused" : "representative";
      const body = { role, signer_name: name ? name.value.trim() : "", signed_at: new Date().toISOString() };
      if (role === "refused") body.witness_name = witness.value.trim();
      else body.drawing = pad.drawing();
      save().then(() => {
        Object.assign(rec, { body, submit: true, state: "waiting", error: null });
        return outbox.put("records", rec);
      }).then(() => {
        show();
        if (navigator.onLine) outbox.syncNow();
      });
    }
    el.querySelectorAll(".sign-mode .ans").forEach((b) => b.addEventListener("click", () => {
      if (el.classList.contains("is-saved")) return;
      mode = b.dataset.mode;
      say("", false);
      show();
      save();
    }));
    [name, witness].forEach((f) => { if (f) f.addEventListener("input", save); });
    el.querySelector(".pad-undo").addEventListener("click", pad.undo);
    el.querySelector(".pad-clear").addEventListener("click", pad.clear);
    el.querySelector(".sign-save").addEventListener("click", done);
    if (kept) {
      if (name) name.value = kept.name || (kept.body && kept.body.signer_name) || "";
      if (witness) witness.value = kept.witness || "";
    }
    pad.load(kept && kept.pad ? kept.pad.strokes : []);
    show();
    return {
      uuid: () => rec && rec.uuid,
      update(now) { // the outbox changed: sent (a mark stays), refused, or discarded
        if (!rec || !rec.submit && !rec.sent) return;
        if (!now) { rec = null; pad.lock(false); pad.load([]); } // discarded: sign again
        else if (now.sent || now.state === "refused") rec = now;
        else return; // a read older than what this page saved last
        show();
      }
    };
  }

  let mounted = null;
  // Show the steps of `ctx.inspection` ({inspection, label, user, username, signer}) in the
  // #sign block, from what the outbox keeps for it.
  function mount(ctx) {
    let root = document.getElementById("sign");
    if (root.dataset.mounting) { // shown before (another inspection): start from the markup
      const fresh = pristine.cloneNode(true);
      root.replaceWith(fresh);
      root = fresh;
    }
    root.dataset.mounting = "1";
    root.dataset.inspection = ctx.inspection;
    ctx.msg = root.dataset;
    if (ctx.signer) root.querySelector(".sign-signer").textContent = ctx.signer;
    return outbox.ready.then(() => outbox.all("records")).then((records) => {
      const mine = records.filter((r) => r.kind === "signature" && r.inspection === ctx.inspection && r.user === ctx.user);
      const steps = [];
      root.querySelectorAll(".sign-step:not([data-done])").forEach((el) => {
        // on the sign page the server knows what is on the notice: a "sent" mark is stale there
        const kept = mine.filter((r) => r.slot === el.dataset.slot && !(ctx.server && r.sent))[0];
        steps.push(step(el, ctx, kept));
      });
      mounted = steps;
      root.dataset.ready = ""; // its pads draw (tests wait for this)
    });
  }
  outbox.onChange(() => {
    if (!mounted) return;
    const steps = mounted;
    outbox.all("records").then((records) => steps.forEach((s) => {
      const id = s.uuid();
      if (id) s.update(records.filter((r) => r.uuid === id)[0]);
    }));
  });

  window.InspectSign = { mount };
  const d = first.dataset;
  if (d.inspection) mount({ inspection: d.inspection, label: d.label, user: Number(d.user), username: d.username, server: true });
})();
