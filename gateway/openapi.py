"""The OpenAPI 3 document, generated from the declared endpoints and their marshmallow schemas,
and the schema of the problem document every error answers with."""

import functools
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from services.contracts.attachments import MEDIA_TYPES

from .resources.declare import FORM, JSON, Endpoint
from .resources.shapes import answer, integers, strings

# an ``application/problem+json`` error (RFC 9457), as ``gateway/errors.py`` writes it
Problem = answer("Problem", strings("type title"), integers("status"),
                 strings("detail code field"), errors=fields.List(fields.Dict()),
                 correlation_id=fields.String())

_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
_REASONS = {400: "Malformed request", 401: "Missing or invalid token", 403: "Role not allowed",
            404: "Not found (or not yours)", 409: "Conflicts with the current state",
            413: "Body (or uploaded file) too large",
            415: "Not JSON (an upload: not multipart/form-data)", 422: "Invalid field(s)",
            429: "Too many requests for this user; retry after Retry-After",
            503: "A service or the broker is unavailable; retry after Retry-After"}


def build(endpoints: tuple[Endpoint, ...], *, prefix: str = "/api/v1") -> dict:
    spec = APISpec(title="refnet API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "refnet, the referral network: police, shelter, legal "
                                        "team and courts share status, not files."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=Problem)
    paths: dict[str, dict] = {}
    for ep in endpoints:
        path = prefix + _PARAM.sub(r"{\1}", ep.path)
        operation = {
            "operationId": ep.name,
            "summary": ep.summary,
            "description": f"Roles: {', '.join(ep.roles)}.",
            "security": [{"bearer": []}],
            "parameters": [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                           for name in _PARAM.findall(ep.path)],
            "responses": {str(ep.status): {"description": "Success"}},
        }
        operation["parameters"] += [{"in": "header", "name": h, "required": False,
                                     "schema": {"type": "string", "maxLength": 200}} for h in ep.headers]
        if ep.query is not None:
            operation["parameters"].append({"in": "query", "schema": ep.query})
        if ep.upload:  # the form's fields and the file, as one multipart/form-data body
            operation["requestBody"] = {"required": True, "content": {FORM: {
                "schema": _upload_schema(spec, ep), "encoding": {"file": {"contentType": ", ".join(
                    MEDIA_TYPES)}}}}}
        elif ep.body is not None:
            operation["requestBody"] = {"required": True,
                                        "content": {"application/json": {"schema": ep.body}}}
        if ep.response is None and ep.media_type != JSON:  # a file: its bytes
            operation["responses"][str(ep.status)]["content"] = {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in (ep.media_type, *ep.also_as)}
        if ep.response is not None:
            schema = {"type": "array", "items": ep.response} if ep.many else ep.response
            operation["responses"][str(ep.status)]["content"] = {ep.media_type: {"schema": schema}}
            for media_type in ep.also_as:
                operation["responses"][str(ep.status)]["content"][media_type] = {
                    "schema": {"type": "string"}}
        for code in sorted(set(ep.errors) | {401, 429}):  # every endpoint authenticates and limits
            operation["responses"][str(code)] = {
                "description": _REASONS.get(code, "Error"),
                "content": {"application/problem+json": {"schema": "Problem"}}}
        paths.setdefault(path, {})[ep.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    for path, summary in (("/healthz", "The process is up"),
                          ("/readyz", "The broker and every service answer")):
        spec.path(path=path, operations={"get": {"operationId": path.strip("/"), "summary": summary,
                                                 "security": [],
                                                 "responses": {"200": {"description": "OK"},
                                                               "503": {"description": "Not ready"}}}})
    return spec.to_dict()


def _upload_schema(spec: APISpec, ep: Endpoint) -> dict:
    """An upload's body: the fields of its form schema (as JSON Schema) and ``file``."""
    converter = spec.plugins[0].converter  # the MarshmallowPlugin's
    fields_schema = converter.schema2jsonschema(ep.body)
    return {"type": "object", "required": sorted({*fields_schema.get("required", ()), "file"}),
            "properties": {**fields_schema["properties"],
                           "file": {"type": "string", "format": "binary",
                                    "description": "A PDF, JPEG or PNG (checked by content)"}}}


@functools.cache
def document() -> dict:
    """The gateway's own OpenAPI document, built on first request and kept for the process:
    it depends only on the declared endpoints, and building it costs more than the rest of
    ``create_app`` (each worker and each test app would otherwise pay for it at start)."""
    from . import api
    return build(api.ENDPOINTS)
