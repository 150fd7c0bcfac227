"""Every error as ``application/problem+json`` (RFC 9457), and the one table that maps service
exceptions, timeouts and broker failures to HTTP status and problem codes."""

import amqp.exceptions
import kombu.exceptions
from flask import Flask, g, jsonify
from marshmallow import ValidationError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService, deserialize_to_instance
from werkzeug.exceptions import HTTPException

from services.common import errors as service_errors

PROBLEM = "application/problem+json"

# service exception class -> (HTTP status, problem code, title)
SERVICE_ERRORS = {
    service_errors.NotFound: (404, "not-found", "Not found"),
    service_errors.Forbidden: (403, "forbidden", "Forbidden"),
    service_errors.IllegalTransition: (409, "illegal-transition", "Illegal status transition"),
    service_errors.Conflict: (409, "conflict", "Conflict"),
    service_errors.InvalidInput: (422, "invalid-input", "Invalid input"),
    # the service did not believe the gateway's signature: keys or clocks disagree, not the user
    service_errors.CallerRefused: (502, "caller-refused", "A service refused the gateway"),
}
# infrastructure failure -> (HTTP status, problem code, title); all say "try again later"
UNAVAILABLE = {
    RpcTimeout: (503, "service-timeout", "A service did not answer in time"),
    UnknownService: (503, "service-unavailable", "A service is not running"),
    kombu.exceptions.OperationalError: (503, "broker-unavailable", "The message broker is unreachable"),
    amqp.exceptions.ConnectionError: (503, "broker-unavailable", "The message broker is unreachable"),
    # the broker refused to take a message (a quorum queue electing a new leader after its
    # node died): nothing was queued, so the client's retry is safe
    amqp.exceptions.MessageNacked: (503, "broker-unavailable", "The message broker is unreachable"),
    ConnectionError: (503, "broker-unavailable", "The message broker is unreachable"),
    TimeoutError: (503, "broker-unavailable", "The message broker is unreachable"),
}

for _cls in SERVICE_ERRORS:  # let nameko rebuild these (with their field) instead of RemoteError
    deserialize_to_instance(_cls)


class ApiProblem(Exception):
    """An error raised by the gateway itself."""

    def __init__(self, status: int, code: str, title: str, detail: str, field: str | None = None,
                 errors: list | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.field, self.errors, self.headers = field, errors, headers or {}


def problem(status: int, code: str, title: str, detail: str, *, field: str | None = None,
            errors: list | None = None, headers: dict | None = None):
    body = {"type": f"https://refnet.example/problems/{code}", "title": title, "status": status,
            "detail": detail, "code": code}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    correlation_id = getattr(g, "correlation_id", None)
    if correlation_id:
        body["correlation_id"] = correlation_id
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    for name, value in (headers or {}).items():
        response.headers[name] = str(value)
    return response


def flatten_messages(messages, prefix: str = "") -> list[dict]:
    """marshmallow's nested messages as a flat list of {field, message}."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                name = prefix or "body"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out += flatten_messages(value, name)
    elif isinstance(messages, list):
        for item in messages:
            out += flatten_messages(item, prefix) if isinstance(item, (dict, list)) else [
                {"field": prefix or "body", "message": str(item)}]
    else:
        out.append({"field": prefix or "body", "message": str(messages)})
    return out


class InputError(ApiProblem):
    """The one error for input the caller can correct (422, or 400 for a header): it names
    the field, and ``errors`` lists every refused field with its message. A web form shows
    each message next to its input."""

    def __init__(self, detail: str, field: str, errors: list | None = None, *, status: int = 422,
                 code: str = "invalid-input", title: str = "Invalid input"):
        super().__init__(status, code, title, detail, field=field, errors=errors)

    @classmethod
    def from_validation(cls, exc: ValidationError) -> "InputError":
        """marshmallow's refusal of a body or query, naming every refused field."""
        errors = flatten_messages(exc.messages)
        fields = sorted({e["field"] for e in errors})
        return cls(f"Invalid field(s): {', '.join(fields)}", fields[0], errors)


def map_service_exception(exc: Exception, retry_after: int):
    """The problem response for an exception that came back from (or on the way to) a service,
    or None if it is not one this table knows."""
    for cls, (status, code, title) in SERVICE_ERRORS.items():
        if isinstance(exc, cls):
            return problem(status, code, title, exc.detail, field=exc.field)
    for cls, (status, code, title) in UNAVAILABLE.items():
        if isinstance(exc, cls):
            return problem(status, code, title, "Try again shortly.",
                           headers={"Retry-After": retry_after})
    if isinstance(exc, RemoteError):
        return problem(502, "service-error", "A service failed",
                       "The service could not complete the request.")
    return None


def register(app: Flask) -> None:
    retry_after = app.config["RETRY_AFTER_SECONDS"]

    @app.errorhandler(ApiProblem)
    def _api_problem(exc: ApiProblem):
        return problem(exc.status, exc.code, exc.title, exc.detail, field=exc.field,
                       errors=exc.errors, headers=exc.headers)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return _api_problem(InputError.from_validation(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        field = "body" if exc.code in (400, 413, 415) else None
        return problem(exc.code or 500, exc.name.lower().replace(" ", "-"), exc.name,
                       exc.description or exc.name, field=field)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        mapped = map_service_exception(exc, retry_after)
        if mapped is not None:
            return mapped
        app.logger.exception("unhandled error (%s)", type(exc).__name__)
        return problem(500, "internal-error", "Internal error", "Something went wrong on our side.")
