"""The notify service in a nameko container on the real broker (a fresh vhost) and a real
database: events published on the exchange become inbox notifications once, even redelivered,
and the inbox and preference RPCs answer signed callers with field-naming errors."""

import eventlet
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from refnet.harness.signed_rpc import signing
from services.common import broker
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.notify.tables import notifications, processed_events

from tests.integration.conftest import caller, count, finished_workers, observed, wait_for

OFFICER = caller("police", "erbil-police", "officer.one").to_dict()
OFFICER2 = caller("police", "erbil-police", "officer.two").to_dict()


@pytest.fixture
def notify(fresh_vhost, databases, keys, container_factory, monkeypatch):
    """The notify service started in a container with this test's secrets; stopped at the end
    before its database is dropped."""
    _name, uri = fresh_vhost
    url = databases.migrated("notify")
    monkeypatch.setenv("REFNET_FILE_KEYS", keys.file_keys)
    monkeypatch.setenv("REFNET_INTAKE_PRIVATE_KEY", keys.intake_private)
    monkeypatch.setenv("REFNET_CALLER_VERIFY_KEY", keys.caller_verify)
    from services.notify.service import NotifyService
    container = container_factory(observed(NotifyService), {"AMQP_URI": uri,
                                                             "DB_URIS": {"notify": url},
                                                             "OUTBOX_POLL_SECONDS": 0.5})
    container.start()
    try:
        yield uri, databases.database(url), container
    finally:
        try:
            with eventlet.Timeout(20):
                container.stop()
        except eventlet.Timeout:
            container.kill()


def publish(uri, body):
    publisher = broker.ConfirmingPublisher(uri)
    try:
        publisher.publish(body, exchange=broker.EVENTS_EXCHANGE, routing_key=body["type"],
                          message_id=str(body["event_id"]))
    finally:
        publisher.close()


def test_an_event_reaches_the_inbox_once_and_the_rpcs_answer(notify, keys):
    uri, db, container = notify
    ref = random_reference()
    event = make_event("referral.status_changed", {
        "reference": ref, "change": "accepted", "status": "accepted", "agency": "erbil-shelter",
        "referring_agency": "erbil-police", "submitted_by": "officer.one", "urgency": "urgent",
        "share_status_with_referrer": True, "changed_at": "2026-12-10T09:00:00+00:00"},
        source="referral")
    publish(uri, event)
    publish(uri, event)                                   # redelivered: one effect
    workers = finished_workers(container)
    wait_for(lambda: workers.runs("on_event", event["event_id"]) == [None, None],
             what="both copies handled")
    assert count(db, notifications) == 2 and count(db, processed_events) == 1

    with ClusterRpcProxy({"AMQP_URI": uri}, timeout=15) as proxy:
        rpc = signing(proxy, keys.signer)
        inbox = rpc.notify.list_inbox(OFFICER, language="ar")
        [item] = inbox["items"]
        assert (item["reference"], item["moment"], item["urgent"], inbox["unread"]) == \
            (ref, "referral_accepted", True, 1)
        from services.notify.service import VALUES   # read once, when the module was loaded
        assert item["text"] == f"تم قبول الإحالة {ref} — افتح refnet: " \
                               f"{VALUES.public_url}/police/referrals/{ref}"
        assert rpc.notify.mark_read(OFFICER, item["id"]) == {"id": item["id"], "read": True}
        assert rpc.notify.unread_count(OFFICER) == {"unread": 0}
        assert rpc.notify.unread_count(OFFICER2) == {"unread": 1}
        with pytest.raises(RemoteError) as missing:
            rpc.notify.mark_read(caller("police", "duhok-police", "x").to_dict(), item["id"])
        assert missing.value.exc_type == "NotFound"

        assert rpc.notify.get_preferences(OFFICER)["language"] == "en"
        with pytest.raises(RemoteError) as bad:
            rpc.notify.save_preferences(OFFICER, {"moments": {"admitted": ["email"]}})
        assert bad.value.exc_type == "InvalidInput" and "moments.admitted" in str(bad.value)
        saved = rpc.notify.save_preferences(OFFICER, {"language": "ckb",
                                                      "email": "officer@example.org",
                                                      "moments": {"admitted": ["email"]}})
        assert rpc.notify.get_preferences(OFFICER) == saved
