/* The service worker, served at /sw.js (see src/inspect_app/pwa.py, which fills in VERSION and
   PRECACHE). It keeps the app shell so the app opens without signal:
   - static files: from the cache first (their URLs carry a content hash), else the network;
   - page navigations: the network first, else the offline page (the only page kept: it is
     rendered for nobody, so no user's data is ever cached here);
   - everything else (the API, photos, form posts) goes straight to the network: the outbox
     in the page (outbox.js) decides what waits and what is sent.
   A new version installs in the background and waits until the user taps "reload". */
"use strict";
var VERSION = "__VERSION__";
var PRECACHE = "__PRECACHE__";
var CACHE = "inspect-shell-" + VERSION;
var OFFLINE_PAGE = "/offline";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE.map(function (url) {
      return new Request(url, { credentials: "same-origin", cache: "reload" });
    }));
  }));
});

self.addEventListener("activate", function (event) {
  // Remove the caches of earlier versions, then take charge of open pages at once.
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("inspect-shell-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// The page asks a waiting worker to take over when the user taps "reload", and the active one
// to take charge of a page that loaded while it was activating.
self.addEventListener("message", function (event) {
  var type = event.data && event.data.type;
  if (type === "skip-waiting") self.skipWaiting();
  else if (type === "claim") event.waitUntil(self.clients.claim().catch(function () {}));
});

function fromNetworkThenCache(request) {
  var url = new URL(request.url);
  return fetch(request).then(function (response) {
    // Keep a fresh copy of the offline page whenever it is opened with signal.
    if (url.pathname === OFFLINE_PAGE && response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(OFFLINE_PAGE, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { ignoreSearch: url.pathname === OFFLINE_PAGE }).then(function (hit) {
      return hit || caches.match(OFFLINE_PAGE);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fromNetworkThenCache(request));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).catch(function () {
        return caches.match(request, { ignoreSearch: true }).then(function (old) {
          return old || Response.error();
        });
      });
    }));
  }
});
