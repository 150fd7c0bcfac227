"""The HTTP API under /api/v1: ``perform``, the one call path from a person to a view, shared by
the API routes and the web pages; and the registration of every declared endpoint as a route.

``perform`` checks the role (403 before anything else), reads and validates the body and query
(marshmallow's refusal becomes ``InputError``), runs the view and returns an ``Answer``; the
route turns that ``Answer`` into a response (``respond``). The endpoints themselves are declared
on their views in ``gateway/resources``.
"""

import logging
from typing import Callable, Mapping

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from marshmallow import ValidationError

from . import uploads
from .directory import identity_problem
from .errors import ApiProblem, InputError
from .resources import BY_NAME, ENDPOINTS
from .kept import KeptAnswer
from .resources.declare import JSON, Answer, Ctx, Endpoint, Uploaded
from .tokens import InvalidToken, verify_token

log = logging.getLogger(__name__)

__all__ = ["BY_NAME", "ENDPOINTS", "Answer", "perform", "register", "respond"]

_SCHEMAS = {endpoint.name: (endpoint.body() if endpoint.body else None,
                            endpoint.query() if endpoint.query else None) for endpoint in ENDPOINTS}


def perform(name: str, identity, *, body: dict | Callable[[], dict] | None = None,
            query: Mapping | None = None, headers: Mapping[str, str] | None = None,
            correlation_id: str | None = None, rpc_timeout: float | None = None,
            upload: Uploaded | Callable[[], Uploaded] | None = None, **params) -> Answer:
    """Run one endpoint for an identity, exactly as ``/api/v1`` does after authentication: the
    agency check (known to the directory and active, ``gateway/directory.py``), the role check, the body and query schemas, the view. The web pages call this too, so a page can
    never do or show more than the API gives the same person.

    ``body`` is the JSON body, or a function that reads it (the API route's: a role that may not
    use the endpoint gets 403 before the body is read, never 415 or 422). ``rpc_timeout``
    shortens the view's service calls (a page's unread badge, which the page can do without).
    ``upload`` is an upload endpoint's file part, or a function that reads it (read after the
    role check and the form's fields, as the body is).
    Raises ``ApiProblem``
    (``InputError`` for refused input) or the service's error; returns the view's ``Answer``
    with the status and media type of the declaration unless the view set its own."""
    endpoint = BY_NAME[name]
    refused = identity_problem(current_app.extensions["refnet.directory"], identity)
    if refused is not None:  # the token's or session's agency is unknown or inactive
        raise refused
    if identity.role not in endpoint.roles:
        raise ApiProblem(403, "forbidden", "Forbidden",
                         f"The {identity.role} role may not use this endpoint.")
    body_schema, query_schema = _SCHEMAS[name]
    data = raw = None
    try:
        if body_schema is not None:
            raw = body() if callable(body) else (body if body is not None else {})
            data = body_schema.load(raw)
        loaded = query_schema.load(dict(query or {})) if query_schema is not None else {}
    except ValidationError as exc:
        raise InputError.from_validation(exc) from None
    if endpoint.upload:
        upload = uploads.checked(upload() if callable(upload) else upload,
                                 current_app.config["ATTACHMENT_MAX_BYTES"])
    ctx = Ctx(identity, data, loaded, raw, headers=headers or {}, correlation_id=correlation_id,
              extensions=current_app.extensions, rpc_timeout=rpc_timeout,
              upload=upload if endpoint.upload else None)
    result = endpoint.view(ctx, **params)
    if endpoint.changes_beds:  # beds changed: every worker's availability copy is dropped
        current_app.extensions["refnet.availability"].invalidate()
    if endpoint.changes_status:  # consent or status changed: so is every worker's status copy
        _drop_status_copies(name)
    answer = result if isinstance(result, Answer) else Answer(result)
    if answer.status is None:
        answer.status = endpoint.status
    if answer.media_type is None:
        answer.media_type = endpoint.media_type
    return answer


def _drop_status_copies(name: str) -> None:
    """Before a consent or status change answers, every worker of every gateway drops its
    status copy (docs/decisions/0048). If they cannot be told, the person is not told the
    change holds: 503, and the retry (the same change again) tells them."""
    try:
        current_app.extensions["refnet.statuscopy"].changed()
    except Exception as exc:  # noqa: BLE001 - answered as the service being away
        log.warning("%s: status copies not dropped (%s); answering 503", name,
                    type(exc).__name__)
        raise ApiProblem(503, "status-copies-not-dropped", "Change not yet shown everywhere",
                         "The change was recorded but could not yet be shown everywhere; "
                         "send it again.",
                         headers={"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])}
                         ) from None


def _jsonified(data) -> bytes:
    """What ``jsonify`` would send for ``data``."""
    return current_app.json.response(data).get_data()


def respond(answer: Answer) -> Response:
    """The HTTP response of an ``Answer``: JSON, or the view's text in its media type."""
    if answer.media_type == JSON and isinstance(answer.body, KeptAnswer):
        response = Response(answer.body.encoded(_jsonified), mimetype=JSON)
    elif answer.media_type == JSON:
        response = jsonify(answer.body)
    else:
        response = Response(answer.body, mimetype=answer.media_type)
    response.status_code = answer.status
    response.headers.extend(answer.headers)
    return response


# --- the routes ----------------------------------------------------------------------------------

def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "unauthenticated", "Unauthenticated", "A bearer token is required.",
                         field="Authorization", headers={"WWW-Authenticate": 'Bearer realm="refnet"'})
    invalid = ApiProblem(401, "invalid-token", "Unauthenticated", "The token is invalid, expired or revoked.",
                         field="Authorization",
                         headers={"WWW-Authenticate": 'Bearer realm="refnet", error="invalid_token"'})
    try:
        identity = verify_token(current_app.config["TOKEN_SECRET"], token.strip())
    except InvalidToken:
        raise invalid from None
    if current_app.extensions["refnet.revocations"].is_revoked(identity.jti, identity.user,
                                                              identity.issued_at):
        raise invalid
    wait = current_app.extensions["refnet.ratelimit"].take(identity.user)
    if wait:
        raise ApiProblem(429, "rate-limited", "Too many requests",
                         "Too many requests for this user; slow down.",
                         headers={"Retry-After": str(max(1, int(wait + 0.999)))})
    return identity


def _json_body() -> dict:
    if not request.is_json:
        raise ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                         "Send the body as application/json.", field="body")
    try:
        raw = request.get_json(silent=True)
    except RecursionError:  # nesting deeper than the parser goes (64 KiB of "[" does it)
        raw = None
    if raw is None:
        raise ApiProblem(400, "malformed-json", "Malformed JSON", "The body is not valid JSON.",
                         field="body")
    if not isinstance(raw, dict):
        raise ApiProblem(422, "invalid-input", "Invalid input", "The body must be a JSON object.",
                         field="body")
    return raw


def _route(endpoint: Endpoint):
    def view(**params):
        if endpoint.upload:  # multipart/form-data: the fields, then the file part
            body, upload = uploads.form_fields, uploads.file_part
        else:
            body, upload = (_json_body if endpoint.body is not None else None), None
        answer = perform(endpoint.name, _authenticate(), body=body, upload=upload,
                         query=request.args.to_dict(), headers=request.headers,
                         correlation_id=g.correlation_id, **params)
        return respond(answer)

    view.__name__ = endpoint.name
    return view


def register(app: Flask) -> None:
    """Every declared endpoint as an authenticated route under /api/v1."""
    blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
    for endpoint in ENDPOINTS:
        blueprint.add_url_rule(endpoint.path, endpoint=endpoint.name, view_func=_route(endpoint),
                               methods=[endpoint.method])
    app.register_blueprint(blueprint)
