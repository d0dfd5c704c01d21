/* Small progressive enhancements; the pages work without this file. */

/* What the other scripts share (window.InspectApp); every page loads this file, right after
   outbox.js and before the page's own scripts. */
window.InspectApp = (function () {
  "use strict";
  // The token the server compares the X-CSRFToken header with: its cookie's.
  function csrfToken() {
    const m = /(?:^|; )csrftoken=([^;]*)/.exec(document.cookie);
    return m ? decodeURIComponent(m[1]) : "";
  }
  // A message from the page with its {name} placeholders filled in.
  function fill(text, values) { return text.replace(/\{(\w+)\}/g, (_, k) => values[k]); }
  // crypto.randomUUID exists only on secure origins (HTTPS, localhost).
  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  }
  // A photo added to a list of thumbnails. One the browser cannot draw (HEIC in Chromium)
  // shows `noPreview`, when given, until the server's thumbnail exists.
  function thumb(list, src, noPreview) {
    const img = document.createElement("img"), li = document.createElement("li");
    img.alt = ""; img.width = 96; img.height = 96;
    if (noPreview) {
      img.onerror = () => {
        const note = document.createElement("span");
        note.className = "thumb-pending";
        note.textContent = noPreview;
        img.replaceWith(note);
      };
    }
    img.src = src;
    li.appendChild(img); list.appendChild(li);
  }
  // What keeps an item ({li, result, deadline, photoRequired}; li.dataset.photos counts its
  // photos) from being submitted, as the server judges it: its message's key, or "".
  function problem(item) {
    if (!item.result) return "msgUnanswered";
    if (item.result !== "fail") return "";
    if (!item.deadline) return "msgDeadline";
    return item.photoRequired && item.li.dataset.photos === "0" ? "msgPhoto" : "";
  }
  // The check before a submit, on the walkthrough and the offline page alike: each item that
  // cannot go says why under it, in the page's words (msg); returns those items' li.
  function checkSubmit(items, msg) {
    return items.filter((item) => {
      const old = item.li.querySelector(".client-error");
      if (old) old.remove();
      const key = problem(item);
      if (!key) return false;
      const p = document.createElement("p");
      p.className = "error client-error";
      p.setAttribute("role", "alert");
      p.textContent = msg[key];
      item.li.appendChild(p);
      return true;
    }).map((item) => item.li);
  }
  return { csrfToken, fill, uuid4, thumb, checkSubmit };
})();

(function () {
  "use strict";
  // Prevent double submits on slow networks: disable the button once a form is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-get") || form.hasAttribute("hx-post")) return;
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      if (event.defaultPrevented) return; // a check on the page stopped this submit
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });
})();

/* htmx leaves error answers unswapped by default: show the ones the server wrote for the page
   (422: the part redrawn with its messages at the fields; others: a message in #flash). */
document.addEventListener("htmx:beforeSwap", function (event) {
  var xhr = event.detail.xhr;
  if (xhr.status >= 400 && (xhr.status === 422 || xhr.getResponseHeader("HX-Retarget"))) {
    event.detail.shouldSwap = true;
  }
});

/* Sign-out, also without signal: outbox.js first drops the user's offline data (their unsent
   records stay, after asking), then the server is told. Without signal the phone hides the
   user's page, says so, and keeps the sign-out (localStorage under body data-key-signout: the
   account id) until a page load, "online" or a page shown from history can tell the server,
   before anything else: the outbox counts a waiting sign-out as nobody signed in. */
(function () {
  "use strict";
  var page = document.body.dataset, KEY = page.keySignout;
  function pending() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  function remember(id) {
    try { if (id) localStorage.setItem(KEY, id); else localStorage.removeItem(KEY); } catch (e) { /* none */ }
  }
  function hide() {
    var note = document.getElementById("signed-out");
    note.hidden = false;
    if (!page.user) return; // a page made for nobody (the offline page) shows nobody's data
    document.title = note.textContent;
    document.querySelectorAll("main, nav, #outbox").forEach(function (el) { el.hidden = true; });
  }
  // Any redirect means the session is over (ended now, or before); then the login page.
  function tell() {
    return Promise.race([
      fetch("/logout", {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "X-CSRFToken": window.InspectApp.csrfToken() }
      }).then(function (r) { return r.type === "opaqueredirect"; }, function () { return false; }),
      new Promise(function (r) { setTimeout(r, 5000, false); })
    ]).then(function (done) {
      if (!done) return hide();
      remember(null);
      location.replace("/login");
    });
  }
  function check() {
    var who = pending();
    if (!who) return;
    if (page.user && page.user !== who) return remember(null); // another account signed in since
    hide();
    if (navigator.onLine) tell();
  }
  document.addEventListener("submit", function (event) {
    var form = event.target, outbox = window.InspectOutbox;
    if (form.getAttribute("action") !== "/logout") return;
    event.preventDefault();
    (outbox ? outbox.leave() : Promise.resolve(true)).then(function (go) {
      if (!go) return;
      remember(page.user);
      if (navigator.onLine) tell(); else hide(); // no signal: the server is told later
    });
  });
  check();
  window.addEventListener("online", check);
  window.addEventListener("pageshow", function (event) { if (event.persisted) check(); });
})();

/* The print button on the rectification notice (no inline script under our CSP). */
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});

/* The service worker (static/sw.js, served at /sw.js) keeps the app shell for offline use.
   When a new version has installed and waits, offer a reload instead of switching under the
   user's fingers; the reload happens only after the tap. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var tapped = false;
  function offer(worker) {
    var bar = document.getElementById("sw-update");
    if (!bar) return;
    bar.hidden = false;
    document.getElementById("sw-reload").onclick = function () {
      tapped = true;
      worker.postMessage({ type: "skip-waiting" });
    };
  }
  navigator.serviceWorker.addEventListener("controllerchange", function () {
    if (tapped) window.location.reload();
  });
  navigator.serviceWorker.register("/sw.js").then(function (reg) {
    if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
    reg.addEventListener("updatefound", function () {
      var worker = reg.installing;
      worker.addEventListener("statechange", function () {
        if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
      });
    });
  }).catch(function () { /* no worker (private mode, old browser): the app works online */ });
  // A page that was still loading when the first worker took charge (clients.claim() skips
  // it) would stay uncontrolled until the next page: ask the worker to take it too.
  navigator.serviceWorker.ready.then(function (reg) {
    if (!navigator.serviceWorker.controller && reg.active) reg.active.postMessage({ type: "claim" });
  });
})();

/* Offline data kept for an account other than this page's (or for one signed out) goes first:
   outbox.js does it as it loads, so load it on pages that do not. */
(function () {
  "use strict";
  var page = document.body.dataset, owner = null;
  try { owner = localStorage.getItem(page.keyOffline); } catch (e) { return; }
  if (!owner || page.user === undefined || page.user === owner || window.InspectOutbox) return;
  var script = document.createElement("script");
  script.src = page.outboxJs;
  document.head.appendChild(script);
})();

/* The outbox bar (templates/_outbox.html): what waits, the last sync, what the server refused
   (with a two-tap discard), and "sign in again" when the session ended. Starts the sync loop. */
(function () {
  "use strict";
  var box = document.getElementById("outbox");
  var outbox = window.InspectOutbox;
  if (!box || !outbox) return;
  var msg = box.dataset;
  var always = box.hasAttribute("data-always");
  var fill = window.InspectApp.fill;
  function refusedItem(row) {
    var li = document.createElement("li");
    var span = document.createElement("span");
    var what = row.label || fill(msg.msgPhoto, { code: row.item_code || "" });
    span.textContent = what + " — " + msg.msgRefused + " " + (row.error ? row.error.message : "");
    li.appendChild(span);
    if (row.kind === "inspection") { // fixable on the offline page
      var open = document.createElement("a");
      open.className = "button small";
      open.href = "/offline#" + row.uuid;
      open.textContent = msg.msgOpen;
      li.appendChild(open);
    }
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button small";
    discard.textContent = msg.msgDiscard;
    discard.onclick = function () { // asks twice: the first tap only arms the button
      if (discard.dataset.armed) { outbox.discard(row.uuid); return; }
      discard.dataset.armed = "1";
      discard.textContent = msg.msgConfirm;
    };
    li.appendChild(discard);
    return li;
  }
  function render() {
    outbox.summary().then(function (s) {
      var waiting = s.records + s.photos;
      var line = s.syncing ? msg.msgSyncing
        : !navigator.onLine && waiting ? msg.msgOffline + " " + fill(msg.msgWaiting, s)
          : waiting ? fill(msg.msgWaiting, s) : msg.msgAllSent;
      box.querySelector(".outbox-count").textContent = line;
      box.querySelector(".outbox-last").textContent = s.lastSync
        ? fill(msg.msgLastSync, { time: new Date(s.lastSync).toLocaleString() }) : msg.msgNever;
      box.querySelector(".outbox-paused").hidden = !s.paused;
      var held = box.querySelector(".outbox-held");
      var heldMsg = s.heldFor ? "msgHeld" : "msgHeldNobody"; // no names while nobody is signed in
      held.textContent = s.held ? fill(outbox.plural(msg, heldMsg, s.held), { n: s.held, users: s.heldFor }) : "";
      held.hidden = !s.held;
      var list = box.querySelector(".outbox-refused");
      list.textContent = "";
      s.refused.forEach(function (row) { list.appendChild(refusedItem(row)); });
      var attention = waiting || s.refused.length || s.paused || s.held;
      box.classList.toggle("clear", !attention);
      box.hidden = !(always || attention);
      box.dataset.records = s.records; // for tests and scripts
      box.dataset.photos = s.photos;
    });
  }
  box.querySelector(".outbox-sync").addEventListener("click", function () { outbox.syncNow(); });
  outbox.onChange(render);
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  outbox.storageLow().then(function (low) {
    var warn = box.querySelector(".outbox-storage");
    warn.textContent = msg.msgStorage;
    warn.hidden = !low;
  });
  render();
  outbox.start();
  outbox.refreshData(false);
})();
