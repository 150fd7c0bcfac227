"""How an endpoint is declared, and what its view gets and gives.

``@endpoint(...)`` on a view puts one ``Endpoint`` into ``REGISTRY``, the one list that route
registration (``gateway/api.py``) and the OpenAPI document (``gateway/openapi.py``) both read, so
a route and its documentation cannot drift apart. A view takes a ``Ctx`` and gives its answer's
body, or an ``Answer`` when it sets headers or another media type; its status is the one its
declaration names. The named sets of error statuses below are the only ones declarations use.
"""

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from marshmallow import Schema

from services.contracts.vocabulary import ROLES

JSON = "application/json"
FORM = "multipart/form-data"  # an upload: the form's fields (``body``) and a part named ``file``

# --- the error statuses an endpoint documents (401 and 429 are added to every one) --------------
LISTING = frozenset({401, 403, 503})             # a list the role may read
ONE = LISTING | {404}                            # one object, by the id in its path
FILTERED = LISTING | {422}                       # a list narrowed by a query
INPUT = FILTERED | {400}                         # takes a body or a query that may be refused
WRITE = INPUT | {404, 409}                       # changes an object, which may be in the way
TOO_LARGE = frozenset({413})                     # a body over MAX_CONTENT_LENGTH
NOT_JSON = frozenset({415})                      # a body that is not application/json
                                                 # (or, for an upload, not multipart/form-data)


@dataclass(frozen=True)
class Endpoint:
    """One operation of ``/api/v1``: its route, who may call it, its schemas and its view."""
    name: str
    method: str
    path: str                         # Flask style: /referrals/<reference>/status
    view: Callable
    roles: tuple[str, ...]
    summary: str
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    errors: frozenset[int] = field(default=INPUT)
    headers: tuple[str, ...] = ()     # documented request headers
    changes_beds: bool = False        # on success, every worker's availability copy is dropped
    changes_status: bool = False      # ... every worker's status copy, before it answers
    media_type: str = JSON            # of the success answer
    also_as: tuple[str, ...] = ()     # other media types of the success answer (text/csv)
    upload: bool = False              # the body is FORM: ``body`` reads its fields, the view
                                      # gets the file part as ``ctx.upload`` (an ``Uploaded``)


REGISTRY: list[Endpoint] = []


def endpoint(method: str, path: str, *, roles, summary: str, **declared) -> Callable:
    """Declare the decorated view as an endpoint (named after the view) in ``REGISTRY``;
    ``declared`` takes the other fields of ``Endpoint`` (body, query, response, status, ...)."""
    roles = tuple(roles)
    if declared.get("body") is not None:  # any body may be too large or of another type
        declared["errors"] = frozenset(declared.get("errors", INPUT)) | TOO_LARGE | NOT_JSON
    if declared.get("upload") and declared.get("body") is None:
        raise ValueError("an upload endpoint declares its form's fields as its body")
    if set(roles) == set(ROLES):  # every role may call it: no 403 to document
        declared["errors"] = frozenset(declared.get("errors", INPUT)) - {403}

    def declare(view: Callable) -> Callable:
        REGISTRY.append(Endpoint(view.__name__, method, path, view, roles, summary, **declared))
        return view
    return declare


# --- what a view gets and gives --------------------------------------------------------------------

@dataclass
class Answer:
    """What ``perform`` returns: the body (JSON-able data, or text for another media type),
    the status and headers, and the media type. A view returns one only to set headers or a
    media type of its own; ``status`` and ``media_type`` left ``None`` come from the declaration."""
    body: Any
    status: int | None = None
    headers: dict = field(default_factory=dict)
    media_type: str | None = None


@dataclass(frozen=True)
class Uploaded:
    """The file part of an upload, as the client sent it: its name (never logged: it may be a
    person's) and its bytes, within the size limit."""
    file_name: str
    data: bytes


class Ctx:
    """What a view gets: who is calling, the validated body and query, the raw JSON (or form),
    an upload's file part, the request headers a view reads (``Idempotency-Key``), the
    request's correlation id and the app's extensions (the RPC pool, intake, caches). Nothing
    here reads Flask's request."""

    def __init__(self, identity, data, query, raw, *, headers: Mapping[str, str],
                 correlation_id: str | None, extensions: Mapping[str, Any],
                 rpc_timeout: float | None = None, upload: Uploaded | None = None):
        self.identity, self.data, self.query, self.raw = identity, data, query, raw
        self.upload = upload  # an upload endpoint's file part
        self.headers, self.correlation_id, self.extensions = headers, correlation_id, extensions
        self.rpc_timeout = rpc_timeout  # None: the RPC client's own timeout
        # the request's id travels with the identity, into every service's audit trail
        self.caller = {**identity.as_caller(), "correlation_id": correlation_id}

    @property
    def clock(self):
        """The gateway's clock."""
        return self.extensions["refnet.clock"]

    def rpc(self, service: str, method: str, **kwargs):
        """Call a service's method as the caller (within ``rpc_timeout`` when one is set)."""
        pool = self.extensions["refnet.rpc"]
        if self.rpc_timeout is not None:
            return pool.call_within(self.rpc_timeout, service, method, caller=self.caller, **kwargs)
        return pool.call(service, method, caller=self.caller, **kwargs)

    def rpc_all(self, calls: list[tuple[str, str, dict]]) -> list:
        """Independent calls ``(service, method, kwargs)`` as the caller, made at the same time;
        their results in order (``RpcClient.call_all``)."""
        return self.extensions["refnet.rpc"].call_all(
            [(service, method, {"caller": self.caller, **kwargs}) for service, method, kwargs in calls],
            self.rpc_timeout)
