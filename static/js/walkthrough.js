/* The walkthrough: photo capture and upload, the phone's position, and a check before submit.
   Answers themselves are saved by htmx (hx-post on each item's form). When the signal goes,
   "Continue offline" hands the inspection (same UUID, every answer on the page and the one
   that did not get through) to the outbox and carries on in the offline page. */
(function () {
  "use strict";
  var root = document.getElementById("walkthrough");
  if (!root) return;
  var inspection = root.dataset.inspection;

  function pageToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (e) { return ""; }
  }
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
    var rec = {
      uuid: inspection, kind: "inspection", label: d.label, user: Number(d.user), username: d.username,
      body: { site_id: Number(d.site), template_code: d.template, template_version: Number(d.version),
              started_at: d.started, answers: answers },
      server_photos: serverPhotos, submit: false, dirty: true, state: "waiting", error: null
    };
    outbox.put("records", rec).then(function () { window.location.href = "/offline#" + inspection; });
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
        headers: { "X-CSRFToken": pageToken() }
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
    var first = null, count = 0;
    document.querySelectorAll("li.item").forEach(function (li) {
      var old = li.querySelector(".client-error");
      if (old) old.remove();
      var message = "";
      if (!li.dataset.result) message = root.dataset.msgUnanswered;
      else if (li.dataset.result === "fail") {
        var deadline = li.querySelector("input[name=deadline]");
        if (deadline && !deadline.value) message = root.dataset.msgDeadline;
        else if (li.dataset.photoRequired === "true" && li.dataset.photos === "0") message = root.dataset.msgPhoto;
      }
      if (message) {
        var p = document.createElement("p");
        p.className = "error client-error";
        p.setAttribute("role", "alert");
        p.textContent = message;
        li.appendChild(p);
        li.classList.add("has-error");
        count += 1;
        first = first || li;
      }
    });
    if (first) {
      event.preventDefault();
      document.getElementById("client-check").textContent = root.dataset.msgCheck.replace("%n", count);
      first.scrollIntoView({ behavior: "smooth", block: "center" });
      var focusable = first.querySelector("button, input, textarea");
      if (focusable) focusable.focus({ preventScroll: true });
    }
  });
})();
