"""The one envelope every event travels in, and helpers to build and read events."""

import functools
import uuid
from datetime import datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate

from .events import EVENT_SCHEMAS, latest_version


class UnknownEvent(Exception):
    """An event whose (type, version) has no contract in this package."""


class EnvelopeSchema(Schema):
    """The envelope every event travels in, around its payload."""
    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[a-z]+\.[a-z_]+$"))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    source = fields.String(required=True, validate=validate.OneOf(["referral", "shelter", "legal"]))
    correlation_id = fields.String(required=True, allow_none=True, validate=validate.Length(max=100))
    payload = fields.Dict(required=True)


_ENVELOPE = EnvelopeSchema()


def make_event(event_type: str, payload: dict, *, source: str, correlation_id: str | None = None,
               version: int | None = None, occurred_at: datetime | None = None) -> dict:
    """Build a JSON-ready envelope, validating the payload against its contract.

    ``occurred_at`` is the publishing service's "now" (its clock); an event built without one
    (test fixtures) is stamped with the system clock."""
    try:
        version = version or latest_version(event_type)
    except KeyError:
        raise UnknownEvent(event_type) from None
    payload = {key: _jsonable(value) for key, value in payload.items()}
    schema = _schema(event_type, version)
    schema.load(payload)  # raises ValidationError on a payload that breaks its contract
    envelope = {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": (occurred_at or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(),
        "source": source,
        "correlation_id": correlation_id,
        "payload": payload,
    }
    errors = _ENVELOPE.validate(envelope)  # validate() returns errors, it does not raise
    if errors:
        raise ValidationError(errors)
    return envelope


def _jsonable(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def parse_event(body: dict) -> tuple[dict, dict]:
    """Validate an incoming envelope and its payload; return (envelope, payload).

    Raises ``UnknownEvent`` for a type/version without a contract, ``ValidationError`` for a
    malformed message.
    """
    envelope = _ENVELOPE.load(body)
    schema = _schema(envelope["type"], envelope["version"])
    payload = schema.load(envelope["payload"])
    return envelope, payload


def _schema(event_type: str, version: int) -> Schema:
    try:
        return _schema_instance(event_type, version)
    except KeyError:
        raise UnknownEvent(f"{event_type} v{version}") from None


@functools.lru_cache(maxsize=None)
def _schema_instance(event_type: str, version: int) -> Schema:
    """One instance per contract: building a schema deep-copies its fields, which cost more than
    the load itself on every event published or consumed; a loaded schema keeps no state."""
    return EVENT_SCHEMAS[(event_type, version)]()
