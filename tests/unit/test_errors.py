"""Service errors, their flattening into problem+json, and the exception -> HTTP status table."""

import json
import socket

import amqp.exceptions
import kombu.exceptions
import pytest
from marshmallow import ValidationError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService, deserialize, serialize

from gateway.errors import PROBLEM, flatten_messages, map_service_exception
from services.common import errors as se
from services.contracts.submission import ReferralSubmissionSchema


# --- service errors ---------------------------------------------------------------------------------

def test_service_error_text_names_the_field():
    assert str(se.InvalidInput("must be a whole number", field="capacity")) == "capacity: must be a whole number"
    assert str(se.NotFound("no such referral")) == "no such referral"


@pytest.mark.parametrize("cls", [se.NotFound, se.Forbidden, se.Conflict, se.IllegalTransition,
                                 se.InvalidInput])
def test_service_errors_survive_nameko_serialisation(cls):
    """The gateway registers these with nameko, so they come back as themselves, field and all,
    instead of an opaque RemoteError."""
    import gateway.errors  # noqa: F401  (registers the classes)
    data = json.loads(json.dumps(serialize(cls("no referral RN-X", field="reference"))))
    rebuilt = deserialize(data)
    assert type(rebuilt) is cls
    assert (rebuilt.detail, rebuilt.field) == ("no referral RN-X", "reference")


def test_unregistered_exception_comes_back_as_remote_error():
    rebuilt = deserialize(serialize(KeyError("boom")))
    assert isinstance(rebuilt, RemoteError)


# --- flatten_messages -----------------------------------------------------------------------------

def test_flatten_nested_messages_gives_dotted_names():
    messages = {"survivor": {"phone": ["Not an E.164 phone number."], "age": ["Give age or birth_year."]},
                "children": {0: {"age": ["Too old."]}},
                "urgency": ["Must be one of: routine, urgent, emergency."]}
    flat = flatten_messages(messages)
    assert {(e["field"], e["message"]) for e in flat} == {
        ("survivor.phone", "Not an E.164 phone number."),
        ("survivor.age", "Give age or birth_year."),
        ("children.0.age", "Too old."),
        ("urgency", "Must be one of: routine, urgent, emergency."),
    }


def test_flatten_schema_level_messages_name_the_parent():
    flat = flatten_messages({"survivor": {"_schema": ["Invalid input type."]}})
    assert flat == [{"field": "survivor", "message": "Invalid input type."}]


def test_flatten_plain_message_names_the_body():
    assert flatten_messages(["Invalid input type."]) == [{"field": "body", "message": "Invalid input type."}]
    assert flatten_messages("oops") == [{"field": "body", "message": "oops"}]


def test_flatten_real_validation_errors(body):
    body["survivor"]["phone"] = "0750"
    body["children"][0]["hobby"] = "x"
    del body["officer"]["unit"]
    with pytest.raises(ValidationError) as info:
        ReferralSubmissionSchema().load(body)
    fields = {e["field"] for e in flatten_messages(info.value.messages)}
    assert fields == {"survivor.phone", "children.0.hobby", "officer.unit"}


# --- map_service_exception --------------------------------------------------------------------------

CASES = [
    (se.NotFound("no referral", field="reference"), 404, "not-found"),
    (se.Forbidden("role police may not do this"), 403, "forbidden"),
    (se.IllegalTransition("a referral that is closed cannot become received", field="status"), 409,
     "illegal-transition"),
    (se.Conflict("capacity 2 is below", field="capacity"), 409, "conflict"),
    (se.InvalidInput("must be accept or decline", field="decision"), 422, "invalid-input"),
    (RpcTimeout(5), 503, "service-timeout"),
    (UnknownService("shelter"), 503, "service-unavailable"),
    (kombu.exceptions.OperationalError("refused"), 503, "broker-unavailable"),
    (socket.timeout("timed out"), 503, "broker-unavailable"),
    (amqp.exceptions.MessageNacked(), 503, "broker-unavailable"),
    (RemoteError("KeyError", "boom"), 502, "service-error"),
]


@pytest.mark.parametrize("exc,status,code", CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_map_service_exception(app, exc, status, code):
    with app.test_request_context("/"):
        response = map_service_exception(exc, retry_after=7)
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"].endswith("/" + code)
    if status == 503:
        assert response.headers["Retry-After"] == "7"
    else:
        assert "Retry-After" not in response.headers


def test_service_error_detail_and_field_reach_the_problem(app):
    with app.test_request_context("/"):
        body = map_service_exception(se.InvalidInput("must be accept or decline", field="decision"),
                                     retry_after=5).get_json()
    assert body["detail"] == "must be accept or decline"
    assert body["field"] == "decision"


def test_remote_error_detail_does_not_leak_the_remote_message(app):
    with app.test_request_context("/"):
        body = map_service_exception(RemoteError("KeyError", "survivor Amina K."), retry_after=5).get_json()
    assert "Amina" not in json.dumps(body)


def test_unknown_exception_is_not_mapped(app):
    with app.test_request_context("/"):
        assert map_service_exception(ValueError("x"), retry_after=5) is None


def test_a_whole_body_error_is_reported_on_the_body_field():
    from gateway.errors import flatten_messages
    assert flatten_messages({"_schema": ["Bad body."]}) == [{"field": "body", "message": "Bad body."}]
    assert flatten_messages({"consent": {"_schema": ["No."]}}) == [{"field": "consent", "message": "No."}]
