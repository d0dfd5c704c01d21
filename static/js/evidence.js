/* Photos of a fix or an 'after' photo: each one is uploaded at once, and its id is added to the
   form so the report or the verdict carries it. A button that needs a photo stays disabled,
   with its reason shown next to it, until one is uploaded. */
(function () {
  "use strict";
  function refresh(form) {
    var ready = !!form.querySelector("input[name=photo_ids]").value;
    form.querySelectorAll("[data-needs-photo]").forEach(function (b) { b.disabled = !ready; });
    form.querySelectorAll("[data-needs-photo-hint]").forEach(function (p) { p.hidden = ready; });
  }
  function refreshAll() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-needs-photo]") && form.querySelector("input[name=photo_ids]")) refresh(form);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", refreshAll);
  else refreshAll();
  window.addEventListener("pageshow", refreshAll);  /* back/forward cache keeps old state */
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("evidence-input") || !input.files.length) return;
    var form = input.closest("form");
    var status = form.querySelector(".upload-status");
    var list = form.querySelector(".thumbs");
    var files = Array.prototype.slice.call(input.files);
    window.InspectUploads.sendAll(input.dataset.upload, files, {},
      function (n, total) { status.textContent = input.dataset.msgUploading + " " + n + "/" + total; },
      input.dataset.msgFailed
    ).then(function (results) {
      var problems = [];
      results.forEach(function (r) {
        if (!r.ok) { problems.push(r.message); return; }
        var ids = form.querySelector("input[name=photo_ids]");
        ids.value = ids.value ? ids.value + "," + r.id : r.id;
        /* the server's thumbnail: Chromium cannot draw a HEIC file from the phone */
        window.InspectApp.thumb(list, (input.dataset.thumb || "/api/v1/photos/") + r.id + "/thumb");
      });
      status.textContent = problems.join(" ");
      status.classList.toggle("error", problems.length > 0);
      input.value = "";
      refresh(form);
    });
  });
})();
