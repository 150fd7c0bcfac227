/* refnet pages: enhancements only. Every page works without this script.
 *
 * 1. A form's error summary takes the focus, so it is read out at once (it is role=alert too);
 *    a wide table's box that scrolls sideways on a phone can be reached with the keyboard.
 * 2. The police referral form survives a dropped connection (docs/decisions/0044): a service
 *    worker (/sw.js) opens the form offline; a referral that cannot be sent is kept on the
 *    device in localStorage, encrypted with AES-GCM under the session's queue key (given by
 *    the server on every police page, kept in sessionStorage), shown as queued, and sent with
 *    its idempotency key when the connection returns, so a retry lands on the same referral.
 *    Signing out clears the queue (and the server answers Clear-Site-Data: "storage").
 * Nothing is sent anywhere but to this site (the pages' CSP: connect-src 'self').
 */
(function () {
  "use strict";
  var QUEUE = "refnet.queue";       // localStorage: [{id, at, kid, iv, data}] (data encrypted)
  var SESSION = "refnet.session";   // sessionStorage: {key, csrf} of the signed-in session
  var PENDING = "refnet.pending";   // sessionStorage: the queued referral the form is posting
  var FORM_PATH = "/police/referrals/new";
  var AAD = new TextEncoder().encode("refnet offline queue v1");
  var sending = false;
  var retryTimer = null;
  var results = [];                 // what this page saw sent: [{reference, state}]

  function $(selector, root) { return (root || document).querySelector(selector); }
  function meta(name) { var m = $('meta[name="' + name + '"]'); return m ? m.content : null; }

  // --- 1. errors ---------------------------------------------------------------------------
  function focusErrors() {
    var summary = $(".error-summary");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
  }

  // --- wide tables: a box that scrolls sideways can be reached and scrolled with the keyboard
  function scrollers() {
    document.querySelectorAll(".scroll").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      if (wide && !box.hasAttribute("tabindex")) {
        var named = box.querySelector("caption") || (box.closest("section, main") || document).querySelector("h1, h2, h3");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby") && named) {
          box.setAttribute("aria-label", named.textContent.trim());
          box.setAttribute("data-made-label", "1");
        }
        box.setAttribute("data-made-focusable", "1");
      } else if (!wide && box.getAttribute("data-made-focusable")) {
        var made = ["tabindex", "role", "data-made-focusable"];
        if (box.getAttribute("data-made-label")) { made.push("aria-label", "data-made-label"); }
        made.forEach(function (a) { box.removeAttribute(a); });
      }
    });
  }

  // --- sign-out clears what the device keeps -------------------------------------------------
  function clearDevice() {
    try { localStorage.removeItem(QUEUE); } catch (e) { /* storage unavailable */ }
    try { sessionStorage.removeItem(SESSION); sessionStorage.removeItem(PENDING); } catch (e) { /* unavailable */ }
    if (window.caches) { caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); }); }
  }

  function watchSignOut() {
    var form = $('form[action="/sign-out"]');
    if (form) { form.addEventListener("submit", clearDevice); }
  }

  // --- the session's key and the encrypted queue ----------------------------------------------
  function b64(bytes) {
    var s = "";
    new Uint8Array(bytes).forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { out[i] = s.charCodeAt(i); }
    return out;
  }

  function session() {
    var key = meta("refnet-queue-key");
    if (key) {  // a page fresh from the server: remember this session's key and form token
      var token = $('input[name="csrf_token"]');
      var fresh = {key: key, csrf: token ? token.value : ""};
      try { sessionStorage.setItem(SESSION, JSON.stringify(fresh)); } catch (e) { /* private mode */ }
      return fresh;
    }
    try { return JSON.parse(sessionStorage.getItem(SESSION)); } catch (e) { return null; }
  }

  function usable() { return !!(window.crypto && crypto.subtle && window.localStorage && window.fetch); }

  function cryptoKey(raw) {
    return crypto.subtle.importKey("raw", unb64(raw), {name: "AES-GCM"}, false, ["encrypt", "decrypt"]);
  }
  function keyId(raw) {
    return crypto.subtle.digest("SHA-256", unb64(raw)).then(function (d) { return b64(d.slice(0, 9)); });
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(QUEUE)) || []; } catch (e) { return []; }
  }
  function save(items) {
    if (items.length) { localStorage.setItem(QUEUE, JSON.stringify(items)); } else { localStorage.removeItem(QUEUE); }
  }

  async function seal(raw, entries) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var plain = new TextEncoder().encode(JSON.stringify(entries));
    var sealed = await crypto.subtle.encrypt({name: "AES-GCM", iv: iv, additionalData: AAD},
                                             await cryptoKey(raw), plain);
    return {iv: b64(iv), data: b64(sealed), kid: await keyId(raw)};
  }
  async function unseal(raw, item) {
    var plain = await crypto.subtle.decrypt({name: "AES-GCM", iv: unb64(item.iv), additionalData: AAD},
                                            await cryptoKey(raw), unb64(item.data));
    return JSON.parse(new TextDecoder().decode(plain));
  }

  function newKey() {
    if (crypto.randomUUID) { return crypto.randomUUID(); }
    return b64(crypto.getRandomValues(new Uint8Array(24)));
  }

  // --- the queue as the officer sees it ---------------------------------------------------------
  function panel() { return $("#queue"); }
  function text(name, values) {
    var t = panel().getAttribute("data-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { t = t.split("{" + k + "}").join(values[k]); });
    return t;
  }

  function render(note) {
    var box = panel();
    if (!box) { return; }
    var list = $("#queue-items"), items = load();
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "queued";
      li.setAttribute("data-state", item.refused ? "refused" : "queued");
      var when = new Date(item.at);
      var time = ("0" + when.getHours()).slice(-2) + ":" + ("0" + when.getMinutes()).slice(-2);
      li.textContent = text("at", {time: time}) + " — " +
        (item.refused ? text("refused") : sending ? text("sending") : text("queued"));
      list.appendChild(li);
    });
    results.forEach(function (r) {
      var li = document.createElement("li");
      li.className = "sent";
      li.setAttribute("data-state", "sent");
      var parts = text("sent").split("{reference}");
      li.appendChild(document.createTextNode(parts[0]));
      var a = document.createElement("a");
      a.href = "/police/referrals/" + encodeURIComponent(r.reference);
      a.className = "ltr";
      a.textContent = r.reference;
      li.appendChild(a);
      li.appendChild(document.createTextNode(parts[1] || ""));
      list.appendChild(li);
    });
    var noteBox = $("#queue-note");
    noteBox.textContent = note || "";
    noteBox.hidden = !note;
    box.hidden = !(items.length || results.length || note);
  }

  // --- sending ---------------------------------------------------------------------------------
  function post(entries, csrf) {
    var body = new URLSearchParams();
    entries.forEach(function (pair) { if (pair[0] !== "csrf_token") { body.append(pair[0], pair[1]); } });
    body.append("csrf_token", csrf || "");
    return fetch(FORM_PATH, {method: "POST", body: body, credentials: "same-origin", redirect: "follow"});
  }

  function sentReference(response) {
    var found = response.redirected && /\/police\/referrals\/(RN-[A-Z2-7-]+)/.exec(new URL(response.url).pathname);
    return found ? found[1] : null;
  }

  function signedOut(response) { return new URL(response.url).pathname === "/sign-in"; }

  // the answer to a form post that is not a referral (errors beside their fields, an error page):
  // shown in place of this page, as the browser would have shown it
  async function showAnswer(response) {
    var html = await response.text();
    var parsed = new DOMParser().parseFromString(html, "text/html");
    document.replaceChild(document.adoptNode(parsed.documentElement), document.documentElement);
    start();
  }

  function drop(id) { save(load().filter(function (it) { return it.id !== id; })); }
  function refuse(id) { save(load().map(function (it) { if (it.id === id) { it.refused = true; } return it; })); }

  async function flush() {
    var s = session();
    if (sending || !s || !navigator.onLine || !usable()) { return; }
    var items = load();
    if (!items.length) { return; }
    sending = true;
    render();
    var kid = await keyId(s.key), lost = false, onForm = location.pathname === FORM_PATH;
    try {
      for (var i = 0; i < items.length; i++) {
        var item = items[i], entries;
        if (item.kid !== kid) {  // sealed for a session that has ended: nobody can read it now
          drop(item.id); lost = true; continue;
        }
        try { entries = await unseal(s.key, item); } catch (e) { drop(item.id); lost = true; continue; }
        var response;
        try { response = await post(entries, s.csrf); } catch (e) { break; }  // still offline
        var reference = sentReference(response);
        if (reference) {
          drop(item.id);
          results.push({reference: reference});
          continue;
        }
        if (signedOut(response) || response.status === 400) { break; }  // sign in again first
        if (response.status === 422) {
          if (onForm && !$(".error-summary")) {  // back into the form, errors beside the fields
            drop(item.id);
            sending = false;
            await showAnswer(response);
            return;
          }
          refuse(item.id);
          continue;
        }
        break;  // 429, 5xx: the network answers but a service does not; try again later
      }
    } finally {
      sending = false;
    }
    render(lost ? text("lost") : null);
    if (load().some(function (it) { return !it.refused; })) { later(); }
  }

  function later() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, 15000);
  }

  async function enqueue(s, entries) {
    var items = load();
    var sealed = await seal(s.key, entries.filter(function (pair) { return pair[0] !== "csrf_token"; }));
    sealed.id = newKey();
    sealed.at = new Date().toISOString();
    items.push(sealed);
    save(items);
    return sealed.id;
  }

  function formEntries(form) {
    var entries = [];
    new FormData(form).forEach(function (value, name) { entries.push([name, String(value)]); });
    return entries;
  }

  // --- the referral form -------------------------------------------------------------------------
  function enhanceForm() {
    var form = $("#referral-form");
    if (!form || !usable()) { return; }
    var keyInput = form.querySelector('input[name="idempotency_key"]');
    if (!keyInput.value) { keyInput.value = newKey(); }  // the offline copy carries none
    if (form.getAttribute("data-shell")) {  // opened from the device: today may be later
      var day = form.querySelector('input[name="identified_on"]');
      var now = new Date();
      if (day) {
        day.value = now.getFullYear() + "-" + ("0" + (now.getMonth() + 1)).slice(-2) + "-" + ("0" + now.getDate()).slice(-2);
      }
    }
    var busy = false;
    form.addEventListener("submit", async function (event) {
      var s = session();
      if (!s || !usable()) {
        if (!navigator.onLine) { event.preventDefault(); render(text("nokey")); }
        return;  // the plain form post
      }
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      var entries = formEntries(form);
      // kept on the device first, so a connection that drops while it goes loses nothing
      var id = await enqueue(s, entries);
      if (navigator.onLine) {
        // the plain post, as without this script; the next page settles the kept copy
        try { sessionStorage.setItem(PENDING, id); } catch (e) { /* it stays queued */ }
        var token = form.querySelector('input[name="csrf_token"]');
        if (token && s.csrf) { token.value = s.csrf; }
        form.submit();
        return;
      }
      form.reset();
      keyInput.value = newKey();  // the next referral is another one
      busy = false;
      render();
      panel().focus();
      later();
    });
  }

  // the page after a form post: the referral's page (it went), the form with its errors (the
  // officer corrects it on screen), or anything else (it stays queued and goes later)
  function settlePending() {
    var id = null;
    try { id = sessionStorage.getItem(PENDING); sessionStorage.removeItem(PENDING); } catch (e) { return; }
    if (!id) { return; }
    var sent = /^\/police\/referrals\/RN-/.test(location.pathname) &&
      new URLSearchParams(location.search).get("notice") === "sent";
    var corrected = location.pathname === FORM_PATH && $(".error-summary");
    if (sent || corrected) { drop(id); }
  }

  function offlineNote() {
    if (location.pathname === FORM_PATH) { render(navigator.onLine ? null : text("offline")); }
  }

  // --- start -------------------------------------------------------------------------------------
  function start() {
    scrollers();
    focusErrors();
    watchSignOut();
    if (meta("refnet-offline") !== "police" || !panel()) { return; }
    session();
    settlePending();
    enhanceForm();
    render();
    offlineNote();
    flush();
  }

  var police = meta("refnet-offline") === "police";
  if (police && "serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* no offline copy */ });
  }
  window.addEventListener("resize", scrollers);
  window.addEventListener("online", function () { offlineNote(); flush(); });
  window.addEventListener("offline", offlineNote);
  start();
}());
