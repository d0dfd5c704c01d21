/* Sending photos: shrink on the phone (photo-shrink.js), then PUT each under its own client id. */
(function () {
  "use strict";
  var app = window.InspectApp;
  /* Resolves {ok: true, id} or {ok: false, message}; never rejects. */
  function send(urlBase, file, fields, failedMessage) {
    var id = app.uuid4();
    var shrink = window.InspectPhotos ? window.InspectPhotos.shrink(file) : Promise.resolve(file);
    return shrink.then(function (blob) {
      var form = new FormData();
      Object.keys(fields || {}).forEach(function (k) { form.append(k, fields[k]); });
      form.append("file", blob, file.name || "photo.jpg");
      return fetch(urlBase + id, {
        method: "PUT", body: form, credentials: "same-origin",
        headers: { "X-CSRFToken": app.csrfToken() }
      });
    }).then(function (response) {
      if (response.ok) return { ok: true, id: id };
      return response.json().then(function (body) { return { ok: false, message: body.error.message }; },
                                  function () { return { ok: false, message: failedMessage }; });
    }, function () { return { ok: false, message: failedMessage }; });
  }
  /* Send files one after another, reporting progress; resolves the list of results. */
  function sendAll(urlBase, files, fields, onProgress, failedMessage) {
    var results = [];
    return Array.prototype.reduce.call(files, function (chain, file, i) {
      return chain.then(function () {
        if (onProgress) onProgress(i + 1, files.length);
        return send(urlBase, file, fields, failedMessage).then(function (r) { results.push(r); });
      });
    }, Promise.resolve()).then(function () { return results; });
  }
  window.InspectUploads = { send: send, sendAll: sendAll };
})();
