/* The walkthrough: photo capture and upload, the phone's position, and a check before submit.
   Answers themselves are saved by htmx (hx-post on each item's form). When the signal goes,
   "Continue offline" hands the inspection (same UUID, every answer on the page and the one
   that did not get through) to the outbox and carries on in the offline page. */
(function () {
  "use strict";
  var root = document.getElementById("walkthrough");
  if (!root) return;
  var inspection = root.dataset.inspection;
  var app = window.InspectApp;
  function refreshItem(input) {
    var li = input.closest("li.item");
    window.htmx.ajax("GET", input.dataset.refresh, { target: "#" + li.id, swap: "outerHTML" });
  }

  // The photo scripts (photo-shrink.js, uploads.js) load when the first photo is picked:
  // most of a walkthrough is taps, and the page stays light.
  var photoScripts = (document.currentScript || document.querySelector("script[data-photo-scripts]"))
    .dataset.photoScripts.split(" ");
  var photoReady = null;
  function loadPhotoScripts() {
    photoReady = photoReady || photoScripts.reduce(function (chain, src) {
      return chain.then(function () {
        return new Promise(function (resolve, reject) {
          var s = document.createElement("script");
          s.src = src;
          s.onload = resolve;
          s.onerror = function () { photoReady = null; reject(new Error(src)); };
          document.head.appendChild(s);
        });
      });
    }, Promise.resolve());
    return photoReady;
  }

  // Photos: shrunk on the phone and sent one by one (uploads.js), then the item is redrawn.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("photo-input") || !input.files.length) return;
    var status = input.parentNode.querySelector(".upload-status");
    var files = Array.prototype.slice.call(input.files);
    loadPhotoScripts().then(function () { return sendPhotos(input, status, files); }, function () {
      status.textContent = root.dataset.msgUploadFailed;
      status.classList.add("error");
      if (!navigator.onLine) offerOffline(input.closest("li.item"));
    });
  });
  function sendPhotos(input, status, files) {
    return window.InspectUploads.sendAll(input.dataset.upload, files, { item_code: input.dataset.item },
      function (n, total) { status.textContent = root.dataset.msgUploading + " " + n + "/" + total; },
      root.dataset.msgUploadFailed
    ).then(function (results) {
      var problems = results.filter(function (r) { return !r.ok; }).map(function (r) { return r.message; });
      if (problems.length) { status.textContent = problems.join(" "); status.classList.add("error"); }
      else { refreshItem(input); }
      if (!navigator.onLine) offerOffline(input.closest("li.item"));
    });
  }

  // Answers the server has not got (no signal): item code -> {result, note, deadline}.
  var pending = {};
  var outbox = window.InspectOutbox;

  // Notes and deadlines are saved as they are typed (after a pause), when the field is left and
  // when the page is hidden; the field says "Saved" or "Not saved yet, retrying". Until the
  // server has a value it is kept here and in sessionStorage, so a reload or a redrawn item (a
  // photo added, an answer changed) puts it back. A date outside the allowed range is refused
  // at the field and never holds back the note.
  var KEEP = "inspect-unsaved:" + inspection + ":";
  var unsaved = {}, waits = {}, chains = {}, retries = {};
  function itemLi(code) { return document.getElementById("item-" + code); }
  function remember(code) {
    try {
      if (unsaved[code] && Object.keys(unsaved[code]).length) sessionStorage.setItem(KEEP + code, JSON.stringify(unsaved[code]));
      else { delete unsaved[code]; sessionStorage.removeItem(KEEP + code); }
    } catch (e) { /* no storage (private mode): the page still saves */ }
  }
  function say(code, name, text, isError) {
    var p = document.getElementById(name + "-state-" + code);
    if (!p) return;
    p.textContent = text;
    p.classList.toggle("error", !!isError);
    p.classList.toggle("muted", !isError);
  }
  function typed(input, now) {
    var code = input.closest("li.item").dataset.code, name = input.name;
    clearTimeout(waits[code]);
    if (name === "deadline" && !input.checkValidity()) {
      say(code, name, root.dataset.msgDeadlineRange, true);
      if (unsaved[code]) { delete unsaved[code].deadline; remember(code); }
    } else {
      unsaved[code] = unsaved[code] || {};
      unsaved[code][name] = input.value;
      lastTyped[code + name] = input.value;
      remember(code);
      say(code, name, "");
    }
    if (unsaved[code]) waits[code] = setTimeout(save, now ? 0 : 800, code);
  }
  function save(code) {
    clearTimeout(waits[code]);
    chains[code] = (chains[code] || Promise.resolve()).then(function () { return send(code, false); });
    return chains[code];
  }
  function send(code, keepalive) {
    var fields = unsaved[code];
    if (!fields) return null;
    var names = Object.keys(fields), body = JSON.stringify(fields);
    names.forEach(function (n) { say(code, n, root.dataset.msgSaving); });
    return fetch("/api/v1/inspections/" + inspection + "/answers/" + encodeURIComponent(code), {
      method: "PATCH", body: body, keepalive: keepalive, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": app.csrfToken() }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (reply) {
        var error = reply.error || {}, refused = (error.fields || {}).deadline;
        if (r.status >= 500) throw new Error(String(r.status));
        retries[code] = 0;
        names.forEach(function (n) {
          if (r.ok || (n === "note" && refused)) {
            if (unsaved[code] && unsaved[code][n] === fields[n]) delete unsaved[code][n];
            say(code, n, root.dataset.msgSaved);
          } else {
            if (n === "deadline" && unsaved[code]) delete unsaved[code].deadline;
            say(code, n, refused || error.message || root.dataset.msgNotSaved, true);
          }
        });
        remember(code);
      });
    }).catch(function () {
      if (keepalive) return;
      names.forEach(function (n) { say(code, n, root.dataset.msgRetrying, true); });
      retries[code] = Math.min((retries[code] || 0) + 1, 5);
      waits[code] = setTimeout(save, 1000 * Math.pow(2, retries[code]), code);
      if (!navigator.onLine && itemLi(code)) offerOffline(itemLi(code));
    });
  }
  // A redrawn item (htmx) gets back what the server does not have yet, and what was typed here
  // last: a redraw the server rendered just before a save landed would show the older text.
  var lastTyped = {};
  function restore(li) {
    var code = li.dataset.code;
    li.querySelectorAll(".autosave").forEach(function (input) {
      var mine = lastTyped[code + input.name];
      if (mine !== undefined && input.value !== mine && input.checkValidity()) {
        unsaved[code] = unsaved[code] || {};
        if (unsaved[code][input.name] === undefined) unsaved[code][input.name] = mine;
      }
    });
    var fields = unsaved[code];
    if (!fields) return;
    Object.keys(fields).forEach(function (name) {
      var input = li.querySelector(".autosave[name=" + name + "]");
      if (input) input.value = fields[name];
    });
    save(li.dataset.code);
  }
  try {
    Object.keys(sessionStorage).forEach(function (key) {
      if (key.indexOf(KEEP) === 0) unsaved[key.slice(KEEP.length)] = JSON.parse(sessionStorage.getItem(key));
    });
  } catch (e) { /* no storage */ }
  document.querySelectorAll("#walkthrough li.item").forEach(restore);
  document.body.addEventListener("htmx:load", function (event) {
    if (event.target.matches && event.target.matches("li.item")) restore(event.target);
  });
  root.addEventListener("input", function (event) {
    if (event.target.classList.contains("autosave")) typed(event.target, false);
  });
  root.addEventListener("change", function (event) {
    if (event.target.classList.contains("autosave")) typed(event.target, true);
  });
  function leaving() { Object.keys(unsaved).forEach(function (code) { send(code, true); }); }
  window.addEventListener("pagehide", leaving);
  document.addEventListener("visibilitychange", function () { if (document.hidden) leaving(); });
  window.addEventListener("online", function () { Object.keys(unsaved).forEach(save); });

  // Tell the user when an answer could not be saved (no signal); htmx keeps the old state.
  document.body.addEventListener("htmx:sendError", function (event) {
    var li = event.target.closest && event.target.closest("li.item");
    if (!li) return;
    var sent = event.detail.requestConfig ? event.detail.requestConfig.parameters : null;
    if (sent) {
      pending[li.dataset.code] = {
        result: sent.result || li.dataset.result, note: sent.note, deadline: sent.deadline
      };
    }
    offerOffline(li);
  });
  function offerOffline(li) {
    var note = li.querySelector(".item-error") || document.createElement("p");
    note.className = "error item-error";
    note.setAttribute("role", "alert");
    note.textContent = outbox ? root.dataset.msgNoSignal : root.dataset.msgNotSaved;
    li.appendChild(note);
    if (!outbox || li.querySelector(".continue-offline")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button primary continue-offline";
    button.textContent = root.dataset.msgContinueOffline;
    button.addEventListener("click", handOver);
    li.appendChild(button);
  }
  function field(form, name) {
    var input = form.querySelector("[name=" + name + "]");
    return input ? input.value : "";
  }
  // The inspection as this page knows it, into the outbox under its own UUID; then offline.
  function handOver() {
    var d = root.dataset, answers = [], serverPhotos = {};
    document.querySelectorAll("#walkthrough li.item").forEach(function (li) {
      var code = li.dataset.code, p = pending[code] || {}, form = li.querySelector("form");
      serverPhotos[code] = Number(li.dataset.photos || 0);
      var result = p.result || li.dataset.result;
      if (!result) return;
      var deadline = p.deadline !== undefined ? p.deadline : field(form, "deadline");
      answers.push({
        item_code: code, result: result,
        note: p.note !== undefined ? p.note : field(form, "note"),
        deadline: result === "fail" && deadline ? deadline : null
      });
    });
    var rec = outbox.record("inspection", {
      uuid: inspection, label: d.label, user: Number(d.user), username: d.username,
      body: { site_id: Number(d.site), template_code: d.template, template_version: Number(d.version),
              started_at: d.started, answers: answers },
      server_photos: serverPhotos
    });
    outbox.put("records", rec).then(function () {
      Object.keys(unsaved).forEach(function (code) { unsaved[code] = null; remember(code); });
      window.location.href = "/offline#" + inspection;
    });
  }

  // Where the phone is when the inspection begins, if the inspector allows it: asked at the
  // first answer (a tap the inspector makes), not when the page opens.
  function askLocation() {
    navigator.geolocation.getCurrentPosition(function (pos) {
      var body = new URLSearchParams({
        latitude: pos.coords.latitude, longitude: pos.coords.longitude, accuracy: pos.coords.accuracy
      });
      fetch("/inspections/" + inspection + "/location", {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": app.csrfToken() }
      });
    }, function () { /* declined or unavailable: the inspection goes on without it */ },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  if (root.dataset.needsLocation === "true" && navigator.geolocation) {
    document.addEventListener("click", function onFirstAnswer(event) {
      if (!event.target.closest || !event.target.closest("button.ans")) return;
      document.removeEventListener("click", onFirstAnswer);
      askLocation();
    });
  }

  // The same checks as the server, before sending: point at the first item that needs work.
  var submitForm = document.getElementById("submit-form");
  submitForm.addEventListener("submit", function (event) {
    var waiting = Object.keys(unsaved);
    if (waiting.length) { // notes still being typed or sent go first, then the submit
      event.preventDefault();
      Promise.all(waiting.map(save)).then(function () {
        if (!Object.keys(unsaved).length) submitForm.requestSubmit();
      });
      return;
    }
    var problems = app.checkSubmit(Array.prototype.map.call(document.querySelectorAll("li.item"), function (li) {
      var deadline = li.querySelector("input[name=deadline]"); // shown for a failed item
      return { li: li, result: li.dataset.result, deadline: deadline && deadline.value,
               photoRequired: li.dataset.photoRequired === "true" };
    }), root.dataset);
    problems.forEach(function (li) { li.classList.add("has-error"); });
    if (problems.length) {
      var first = problems[0];
      event.preventDefault();
      document.getElementById("client-check").textContent = root.dataset.msgCheck.replace("%n", problems.length);
      first.scrollIntoView({ behavior: "smooth", block: "center" });
      var focusable = first.querySelector("button, input, textarea");
      if (focusable) focusable.focus({ preventScroll: true });
    }
  });
})();
