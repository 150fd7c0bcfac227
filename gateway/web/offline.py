"""The police form that survives a dropped connection (docs/decisions/0044).

A progressive enhancement over the plain form: without JavaScript nothing here is used.

* ``/sw.js``: the service worker (gateway/static/sw.js), served from the site root so its
  scope is ``/``. It answers exactly one page offline, ``/police/referrals/new``, from a copy
  of ``/police/referrals/new?shell=1`` (the form without the queue key, the unread count or an
  idempotency key), plus the stylesheet and the script. Every other request goes to the network
  untouched: no other page, nobody else's data, is kept by the service worker.
* ``/manifest.webmanifest``: the web app manifest (start at the form).
* The queue key: a police page carries ``<meta name="refnet-queue-key">``, an AES-256 key
  derived from the gateway's secret and this session's id (its SHA-256, as stored), so every
  page of one session gives the same key and no other session can rebuild it. The script keeps
  it in ``sessionStorage`` and encrypts with it (AES-GCM) the referrals queued on the device.
  Signing out deletes the session row (the key cannot be derived again) and answers
  ``Clear-Site-Data: "storage"`` (gateway/web/core.py); the script clears the queue too.
"""

import base64
import hashlib
import hmac
import json

from flask import Response, current_app, g

from .core import RTL, blueprint, current_language

OFFLINE_ROLE = "police"


def queue_key() -> str | None:
    """The signed-in officer's queue key (base64url, 32 bytes); None for anyone else."""
    session = g.get("web_session")
    if session is None or session.identity.role != OFFLINE_ROLE:
        return None
    root = hmac.new(current_app.config["TOKEN_SECRET"].encode(), b"refnet-offline-queue-key",
                    hashlib.sha256).digest()
    key = hmac.new(root, session.id_hash.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode()


@blueprint.context_processor
def _offline_context():
    session = g.get("web_session")
    police = session is not None and session.identity.role == OFFLINE_ROLE
    return {"offline": police, "queue_key": queue_key() if police else None}


@blueprint.get("/sw.js")
def service_worker():
    response = current_app.send_static_file("sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    return response  # no-store and the pages' CSP (connect-src 'self') come from core._headers


@blueprint.get("/manifest.webmanifest")
def manifest():
    lang = current_language()
    body = {
        "name": "refnet", "short_name": "refnet", "lang": lang,
        "dir": "rtl" if lang in RTL else "ltr",
        "start_url": "/police/referrals/new", "scope": "/", "display": "standalone",
        "background_color": "#f6f7f9", "theme_color": "#12355b",
        "icons": [{"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(json.dumps(body), mimetype="application/manifest+json")
