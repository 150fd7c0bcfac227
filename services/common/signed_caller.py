"""The caller identity signed by the gateway, so a service trusts who calls it only on the
gateway's word, not on whatever a process on the broker puts in an RPC's ``caller`` argument.

A signed caller is ``<payload>.<signature>`` (url-safe base64 each): the JSON payload holds the
user, role and agency, the request id, the audience (``service.method``: the one entrypoint it
may call), when it was issued and expires (60 s) and a unique id; the signature is Ed25519.
The gateway (and the ``refnet`` command's RPC calls) hold the private key
(``REFNET_CALLER_SIGNING_KEY``); services hold only the public one
(``REFNET_CALLER_VERIFY_KEY``), so a service's credentials cannot mint callers.

Each service process refuses a unique id it has already accepted (``Verifier`` keeps them until
they expire): a copied message cannot be run twice by the same process (decision 0031).
Times are the wall clock's, not the demo or test clock's: tokens are transport, not business.
"""

import base64
import binascii
import heapq
import json
import threading
import time
from typing import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .caller import Caller
from .errors import CallerRefused, InvalidInput
from .randomness import uuid4

LIFETIME_SECONDS = 60
SKEW_SECONDS = 5  # a verifier's clock may be this far behind the signer's
_RAW = serialization.Encoding.Raw


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode((text + "=" * (-len(text) % 4)).encode(), altchars=b"-_", validate=True)


def _key_bytes(text: str) -> bytes:
    raw = base64.b64decode(text.strip().encode(), altchars=b"-_", validate=True)
    if len(raw) != 32:
        raise ValueError("a key is 32 bytes")
    return raw


def new_keypair() -> tuple[str, str]:
    """A fresh (signing, verify) Ed25519 pair, each url-safe base64 text of 32 bytes."""
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(_RAW, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    raw_public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    return (base64.urlsafe_b64encode(raw_private).decode(),
            base64.urlsafe_b64encode(raw_public).decode())


def load_signing_key(text: str) -> Ed25519PrivateKey:
    """``REFNET_CALLER_SIGNING_KEY`` from its text."""
    return Ed25519PrivateKey.from_private_bytes(_key_bytes(text))


def load_verify_key(text: str) -> Ed25519PublicKey:
    """``REFNET_CALLER_VERIFY_KEY`` from its text."""
    return Ed25519PublicKey.from_public_bytes(_key_bytes(text))


def audience(service: str, method: str) -> str:
    """What a signed caller may call: one method of one service."""
    return f"{service}.{method}"


class Signer:
    """Signs callers for RPC calls (the gateway, the ``refnet`` command, test harnesses)."""

    def __init__(self, signing_key: str, *, lifetime: float = LIFETIME_SECONDS,
                 now: Callable[[], float] = time.time):
        self._key = load_signing_key(signing_key)
        self._lifetime = lifetime
        self._now = now

    def sign(self, caller, service: str, method: str) -> str:
        """A signed caller (a ``Caller`` or its dict, ``correlation_id`` included) for one call
        of ``service.method``."""
        who = Caller.from_dict(caller)
        issued = int(self._now())
        payload = {"aud": audience(service, method), "user": who.user, "role": who.role,
                   "agency": who.agency, "cid": who.correlation_id, "iat": issued,
                   "exp": issued + int(self._lifetime), "jti": uuid4().hex}
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{_b64(self._key.sign(body.encode()))}"

    def sign_arguments(self, service: str, method: str, args: tuple, kwargs: dict):
        """The arguments of an RPC with its caller signed: ``caller=`` when given by name,
        else the first positional argument (every service method takes the caller first)."""
        if "caller" in kwargs:
            return args, {**kwargs, "caller": self.sign(kwargs["caller"], service, method)}
        if args:
            return (self.sign(args[0], service, method), *args[1:]), kwargs
        return args, kwargs


class Verifier:
    """Checks signed callers in a service process; remembers the ids it accepted until they
    expire, and refuses one seen before."""

    def __init__(self, verify_key: str, *, now: Callable[[], float] = time.time):
        self._key = load_verify_key(verify_key)
        self._now = now
        self._seen: dict[str, float] = {}       # unique id -> when it expires
        self._expiring: list[tuple[float, str]] = []  # the same, a heap: the soonest first
        self._lock = threading.Lock()

    def verify(self, token, service: str, method: str) -> Caller:
        """The ``Caller`` a signed caller names, if it is well signed, for ``service.method``,
        within its lifetime and not seen before; else ``CallerRefused`` (the reason names no
        identity)."""
        if not isinstance(token, str) or token.count(".") != 1:
            raise CallerRefused("the caller is not signed", field="caller")
        body, signature = token.split(".")
        try:
            self._key.verify(_unb64(signature), body.encode())
        except (InvalidSignature, ValueError, binascii.Error):
            raise CallerRefused("the caller's signature does not verify", field="caller") from None
        try:
            claims = json.loads(_unb64(body))
            expires, issued, jti = float(claims["exp"]), float(claims["iat"]), str(claims["jti"])
            aud = claims["aud"]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise CallerRefused("the signed caller is malformed", field="caller") from None
        if aud != audience(service, method):
            raise CallerRefused("the caller was signed for another call", field="caller")
        now = self._now()
        if now >= expires or issued > now + SKEW_SECONDS or expires - issued > LIFETIME_SECONDS:
            raise CallerRefused("the signed caller has expired", field="caller")
        try:
            caller = Caller.from_dict({"user": claims.get("user"), "role": claims.get("role"),
                                       "agency": claims.get("agency"),
                                       "correlation_id": claims.get("cid")})
        except InvalidInput:
            raise CallerRefused("the signed caller is malformed", field="caller") from None
        with self._lock:
            # the expired ids leave from the heap's top: a call costs O(log n), not a scan of
            # every id of the last minute (which made a verify 4x dearer at 10,000 of them)
            while self._expiring and self._expiring[0][0] <= now:
                del self._seen[heapq.heappop(self._expiring)[1]]
            if jti in self._seen:
                raise CallerRefused("the signed caller was used before", field="caller")
            self._seen[jti] = expires
            heapq.heappush(self._expiring, (expires, jti))
        return caller
