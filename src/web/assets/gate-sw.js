// The gate page's service worker: the page and its assets come from the network while the
// service answers and from this cache when it does not, after a reload too. Scans never pass
// through here: the page keeps them in IndexedDB and uploads them itself.
"use strict";

var CACHE = "borderpass-gate-v1";

self.addEventListener("install", function (event) {
  // The page and every asset it names, so a reload works with the service down.
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return fetch("/gate").then(function (response) {
      return response.clone().text().then(function (html) {
        var assets = html.match(/\/assets\/[^"]+/g) || [];
        return cache.put("/gate", response).then(function () {
          return cache.addAll(assets.map(function (a) { return a.replace(/&amp;/g, "&"); }));
        });
      });
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) {
      return caches.delete(n);
    }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) { return; }
  var page = url.pathname === "/gate";
  var asset = url.pathname.indexOf("/assets/") === 0;
  if (!page && !asset) { return; }
  // Network first, so a running service always serves its current page; the cache otherwise.
  event.respondWith(fetch(event.request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(event.request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(event.request, { ignoreSearch: page }).then(function (hit) {
      return hit || caches.match("/gate");
    });
  }));
});
