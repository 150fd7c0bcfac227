"""What each process kind's broker user may touch (services/contracts/broker_users.py), read as
RabbitMQ reads the patterns; and how `refnet up` hands each process its own user."""

import re
import uuid

import pytest

from refnet.local import broker_users as local
from refnet.local import supervisor
from services.contracts import broker_users as b
from services.contracts import topology as t

REPLY_QUEUE = f"rpc.reply-gateway-{uuid.uuid4().hex}"


def may(kind: str, what: str, name: str) -> bool:
    return re.search(b.permissions(kind)[what], name) is not None


def may_key(kind: str, exchange: str, what: str, key: str) -> bool:
    return re.search(b.topic_permissions(kind)[exchange][what], key) is not None


def test_the_gateway_reads_and_configures_only_its_reply_and_status_queues():
    status_queue = f"gateway.status-{uuid.uuid4().hex}"  # the status copy's (decision 0048)
    for queue in (REPLY_QUEUE, status_queue):
        assert may("gateway", "configure", queue) and may("gateway", "read", queue), queue
    for queue in (t.INTAKE_QUEUE, "rpc-referral", "shelter.events", t.DEAD_LETTER_QUEUE,
                  "rpc.reply-gateway-x", "gateway.status-x", "referral.events"):
        assert not may("gateway", "read", queue), queue
        assert not may("gateway", "configure", queue), queue
    assert may("gateway", "write", "amq.default") and may("gateway", "write", b.RPC_EXCHANGE)
    assert not may("gateway", "write", t.EVENTS_EXCHANGE)
    assert not may("gateway", "configure", t.EVENTS_EXCHANGE)


def test_the_gateway_binds_to_the_events_only_with_the_status_copy_s_keys():
    """Its status queues hear what the referral service announces and what it consumes, no
    other service's events (decision 0048)."""
    assert set(t.STATUS_COPY_KEYS) == {"referral.#", *t.EVENT_QUEUES["referral.events"]}
    for key in t.STATUS_COPY_KEYS:
        assert may_key("gateway", t.EVENTS_EXCHANGE, "read", key), key
    for key in ("#", "notify.#", "*.#", "referral.*", "shelter.*"):
        assert not may_key("gateway", t.EVENTS_EXCHANGE, "read", key), key


@pytest.mark.parametrize("kind", b.SERVICES)
def test_a_service_reads_only_its_own_queues(kind):
    for queue in (f"rpc-{kind}", f"{kind}.events"):
        assert may(kind, "read", queue) and may(kind, "configure", queue), queue
    others = [s for s in b.SERVICES if s != kind]
    for queue in [REPLY_QUEUE, *(f"rpc-{o}" for o in others), *(f"{o}.events" for o in others)]:
        assert not may(kind, "read", queue) and not may(kind, "configure", queue), queue
    assert may(kind, "read", t.INTAKE_QUEUE) == (kind == "referral")
    assert not may(kind, "configure", t.DEAD_LETTER_QUEUE)


@pytest.mark.parametrize("kind", b.SERVICES)
def test_only_the_dead_letter_keeper_reads_the_parking_queue_and_replays(kind):
    """The administrators' dead-letter page lists and replays through one service (decision
    0043); no other service, and not the gateway, reads the parked bodies."""
    keeper = kind == b.DEAD_LETTER_KEEPER == "referral"
    assert may(kind, "read", t.DEAD_LETTER_QUEUE) == keeper
    assert may(kind, "write", "amq.default") == keeper


@pytest.mark.parametrize("kind", b.SERVICES)
def test_a_service_binds_only_its_own_keys_and_publishes_only_its_own_events(kind):
    assert may_key(kind, b.RPC_EXCHANGE, "read", f"{kind}.*")
    assert not may_key(kind, b.RPC_EXCHANGE, "read", uuid.uuid4().hex)  # the gateway's replies
    assert not may_key(kind, b.RPC_EXCHANGE, "read", "#")
    assert may_key(kind, b.RPC_EXCHANGE, "write", uuid.uuid4().hex)  # it answers the gateway
    assert may_key(kind, t.EVENTS_EXCHANGE, "write", f"{kind}.something_happened")
    for other in (s for s in b.SERVICES if s != kind):
        assert not may_key(kind, t.EVENTS_EXCHANGE, "write", f"{other}.accepted")
    for key in t.EVENT_QUEUES[f"{kind}.events"]:
        assert may_key(kind, t.EVENTS_EXCHANGE, "read", key)
    assert not may_key(kind, t.EVENTS_EXCHANGE, "read", "#")


def test_the_gateway_publishes_requests_and_binds_only_its_reply_keys():
    assert may_key("gateway", b.RPC_EXCHANGE, "write", "referral.get_file")
    assert not may_key("gateway", b.RPC_EXCHANGE, "write", uuid.uuid4().hex)  # no forged replies
    assert may_key("gateway", b.RPC_EXCHANGE, "read", uuid.uuid4().hex)
    assert not may_key("gateway", b.RPC_EXCHANGE, "read", "referral.*")
    assert not may_key("gateway", t.EVENTS_EXCHANGE, "write", "referral.submitted")


def test_refnet_up_gives_each_process_its_own_uri_and_no_broker_password():
    environ = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/%2F",
               **{f"REFNET_BROKER_PASSWORD_{k.upper()}": f"pw-{k}" for k in b.KINDS}}
    uris = local.process_uris(environ)
    assert uris["shelter"] == "amqp://refnet-shelter:pw-shelter@127.0.0.1:5672/%2F"
    specs = supervisor.plan([("shelter", "run shelter"), ("gateway", "run gateway")], 2, 9500,
                            ("shelter",), {k: {"AMQP_URI": u} for k, u in uris.items()})
    assert [dict(s.env)["AMQP_URI"] for s in specs] == [uris["shelter"], uris["shelter"], uris["gateway"]]
    assert local.process_uris({"AMQP_URI": "amqp://guest:guest@h:5672/"}) == {}  # no passwords: as before


def test_without_the_management_api_every_user_goes_in_one_rabbitmqctl_call_as_a_hash(monkeypatch):
    """A broker without the management plugin gets every kind's user, permissions and topic
    permissions in ONE ``rabbitmqctl import_definitions`` (one Erlang VM, not four per user),
    through standard input, with each password only as RabbitMQ's salted SHA-256 hash (so a
    password that begins with "-" is never read as an option)."""
    import base64
    import hashlib
    import json
    import requests

    calls = []

    def run(argv, **kw):
        calls.append((argv, kw.get("input")))

        class Done:
            returncode = 0
        return Done()

    def refuse(*_a, **_kw):
        raise requests.ConnectionError("no management plugin")

    monkeypatch.setattr(local.subprocess, "run", run)
    monkeypatch.setattr(local.requests, "get", refuse)
    passwords = {"shelter": "-hFj0secret", "gateway": "other-secret"}
    made = local.create("amqp://admin:pw@127.0.0.1:5672/refnet", "http://127.0.0.1:15672", passwords)
    assert made == ["refnet-shelter", "refnet-gateway"]
    [(argv, given)] = calls
    assert argv == ["rabbitmqctl", "-q", "import_definitions", "--format", "json"]
    assert "secret" not in given
    definitions = json.loads(given)
    for user in definitions["users"]:
        raw = base64.b64decode(user["password_hash"])
        password = passwords[user["name"].removeprefix("refnet-")]
        assert raw[4:] == hashlib.sha256(raw[:4] + password.encode()).digest()
    assert {(p["user"], p["vhost"]) for p in definitions["permissions"]} == \
        {("refnet-shelter", "refnet"), ("refnet-gateway", "refnet")}
    assert all(t["vhost"] == "refnet" for t in definitions["topic_permissions"])
