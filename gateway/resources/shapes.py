"""Field helpers every resource module shares: the strict base of request schemas, the id and
reference patterns, the compact way to write an answer (response) schema, and the conversions
views apply to paths and dates on their way to a service."""

from marshmallow import RAISE, Schema, fields, validate

from services.contracts.interpreters import STATUSES as INTERPRETER_STATUSES
from services.contracts.references import PATTERN as REFERENCE

from ..errors import ApiProblem

STAFF_ID = r"^[A-Za-z0-9._@-]{1,100}$"
OPAQUE_ID = {"metadata": {"description": "Opaque id (32 hex characters)."}}


class Strict(Schema):
    """A request body or query: unknown fields are refused."""
    class Meta:
        unknown = RAISE


class InterpreterBody(Strict):
    """An interpreter booking: the shelter's first-week occasions and the legal team's hearings."""
    language = fields.String(required=True, validate=validate.Regexp(r"^[a-z]{2,3}$"),
                             metadata={"description": "ISO 639 code of the language"})
    status = fields.String(required=True, validate=validate.OneOf(INTERPRETER_STATUSES), metadata={
        "description": "requested -> booked -> done, or not_needed (done is final)"})


def reference_field(**kw) -> fields.String:
    """A referral reference (RN-XXXX-XXXX-XXXX-XXXX)."""
    return fields.String(validate=validate.Regexp(REFERENCE), **kw)


def staff_id(**kw) -> fields.String:
    """A staff user id (not a name)."""
    return fields.String(validate=validate.Regexp(STAFF_ID), **kw)


def sized(low: int, high: int, **kw) -> fields.String:
    """A string of ``low`` to ``high`` characters."""
    return fields.String(validate=validate.Length(min=low, max=high), **kw)


def one_of(choices, **kw) -> fields.String:
    """A string that is one of ``choices``."""
    return fields.String(validate=validate.OneOf(choices), **kw)


# --- answers: response schemas, which only document what a service returns -------------------------

def strings(names: str, **kw) -> dict:
    """One string field per space-separated name (``allow_none=True`` for nullable ones)."""
    return {name: fields.String(**kw) for name in names.split()}


def integers(names: str, **kw) -> dict:
    """One integer field per space-separated name."""
    return {name: fields.Integer(**kw) for name in names.split()}


def answer(name: str, /, *parts: dict, base: type[Schema] = Schema, **declared) -> type[Schema]:
    """A response schema named ``name`` (its OpenAPI component) with the fields of ``parts``
    and ``declared``, in that order, extending ``base``."""
    attrs: dict = {}
    for part in parts:
        attrs.update(part)
    attrs.update(declared)
    return type(name, (base,), attrs)


# a document on a record (docs/decisions/0056), as a listing and an upload's answer show it
Attachment = answer("Attachment", strings("attachment_id kind media_type file_name uploaded_by"),
                    integers("size"), uploaded_at=fields.String(
                        metadata={"description": "ISO 8601 time"}))


# --- on the way to a service -----------------------------------------------------------------------

def iso(value):
    """A date or datetime as ISO text, None as None."""
    return value.isoformat() if value is not None else None


def numeric_id(value: str, field: str) -> int:
    """A numeric id from a path; anything else is 404 (no such object)."""
    if not value.isdigit() or len(value) > 12:
        raise ApiProblem(404, "not-found", "Not found", f"No such {field}.", field=field)
    return int(value)
