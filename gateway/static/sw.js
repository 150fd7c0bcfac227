/* refnet's service worker (served as /sw.js, scope /; docs/decisions/0044).
 *
 * It keeps exactly what opens the police referral form without a connection: a copy of
 * /police/referrals/new?shell=1 (the form of the signed-in officer, without the queue key, the
 * unread count or an idempotency key), the stylesheet and the script. It answers the form's
 * address from that copy only when the network fails, and the two files likewise; the form's
 * post, when the connection drops on the way, goes back to the form (the page's script kept the
 * referral on the device, encrypted, before it went, and shows it queued). Every other
 * request is left to the browser: no other page, and nobody's data, is kept here. Signing out
 * removes it all (Clear-Site-Data: "storage").
 */
"use strict";

var CACHE = "refnet-offline-v1";
var FORM = "/police/referrals/new";
var SHELL = "/police/referrals/new?shell=1";
var FILES = ["/static/refnet.css", "/static/refnet.js"];

function keepShell(cache) {
  return fetch(SHELL, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
    // a signed-in officer's form, not the sign-in page it redirects to otherwise
    if (response.ok && !response.redirected) { return cache.put(SHELL, response); }
    return cache.delete(SHELL);
  }).catch(function () { /* offline: keep the copy there is */ });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all([cache.addAll(FILES).catch(function () {}), keepShell(cache)]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromCopy(path) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(path, {ignoreVary: true});
  }).then(function (kept) { return kept || Response.error(); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && request.mode === "navigate" && url.pathname === FORM) {
    // the form's post, when the connection drops on the way: the script kept the referral on
    // the device before it went; back to the form, which shows it queued
    event.respondWith(fetch(request).catch(function () { return Response.redirect(FORM + "?queued=1", 303); }));
    return;
  }
  if (request.method !== "GET") { return; }
  if (request.mode === "navigate" && url.pathname === FORM && url.search.indexOf("shell") < 0) {
    var network = fetch(request);
    // online: the page as the server gives it, and a fresh offline copy beside it
    event.waitUntil(network.then(function (response) {
      if (response.ok && !response.redirected) { return caches.open(CACHE).then(keepShell); }
    }).catch(function () {}));
    event.respondWith(network.catch(function () { return fromCopy(SHELL); }));
    return;
  }
  if (FILES.indexOf(url.pathname) >= 0 && !url.search) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(url.pathname, copy); }));
      }
      return response;
    }).catch(function () { return fromCopy(url.pathname); }));
  }
});
