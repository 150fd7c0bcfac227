"""``ServiceSkeleton`` and ``@rpc`` (services/common/runtime) in a real nameko container on a
real broker and a real SQLite database: the RPCs every service answers the same way, and the
caller handed to a method as a ``Caller``."""

import pytest
from nameko.exceptions import IncorrectSignature, RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import MetaData

from services.common.audit import audit_table, audited
from services.common.caller import Caller
from services.common.errors import InvalidInput
from services.common.db import Database
from services.common.messaging import messaging_tables
from services.common.sealing import FileCipher
from services.common.signed_caller import Signer, new_keypair
from services.common.runtime.entrypoints import rpc
from services.common.runtime.providers import Outbox, ServiceDatabase
from services.common.runtime import skeleton
from refnet.harness.signed_rpc import signing

METADATA = MetaData()
OUTBOX, _PROCESSED = messaging_tables(METADATA)
AUDIT = audit_table(METADATA)
ADMIN = {"user": "ops-1", "role": "admin", "agency": "refnet", "correlation_id": "req-12345678"}
POLICE = {"user": "officer-1", "role": "police", "agency": "erbil-tip"}


def figures(db, caller, first_day, last_day):
    return {"period": [first_day, last_day], "asked_by": caller.role}


class Probe(skeleton.ServiceSkeleton):
    name = "skeletonprobe"
    db = ServiceDatabase("skeletonprobe")
    outbox = Outbox("skeletonprobe", OUTBOX)
    audit_table = AUDIT
    report_figures_of = staticmethod(figures)

    @rpc
    @audited("probe.whoami", "probe", "note")
    def whoami(self, caller, note=None):
        return {"is_caller": isinstance(caller, Caller), "agency": caller.agency,
                "correlation_id": caller.correlation_id, "note": note}


@pytest.fixture
def probe(fresh_vhost, container_factory, tmp_path, monkeypatch):
    _name, uri = fresh_vhost
    # what every service reads (services.common.settings.SERVICE) includes the file keys: a
    # service process does not start without them, and neither does this one
    monkeypatch.setenv("REFNET_FILE_KEYS", FileCipher.new_key())
    signing_key, verify_key = new_keypair()
    monkeypatch.setenv("REFNET_CALLER_VERIFY_KEY", verify_key)
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    METADATA.create_all(Database.for_url(url).engine)
    container = container_factory(Probe, {"AMQP_URI": uri, "DB_URIS": {"skeletonprobe": url}})
    container.start()
    with ServiceRpcProxy("skeletonprobe", {"AMQP_URI": uri}, timeout=10) as proxy:
        yield signing(proxy, Signer(signing_key), service="skeletonprobe")
    container.stop()
    Database._instances.pop(url).dispose()


def test_a_method_gets_its_caller_as_a_caller_and_the_call_is_audited(probe):
    answer = probe.whoami(caller=ADMIN, note="x")
    assert answer == {"is_caller": True, "agency": "refnet", "correlation_id": "req-12345678",
                      "note": "x"}
    trail = probe.audit_query(caller=ADMIN, object="probe:x")  # the object's id is kept
    assert [(e["action"], e["actor"], e["outcome"], e["correlation_id"]) for e in trail] == [
        ("probe.whoami", "ops-1", "ok", "req-12345678")]
    assert probe.whoami(ADMIN, "y")["is_caller"] is True  # given by position, converted too


def test_a_caller_without_an_identity_or_a_wrong_call_is_refused(probe):
    with pytest.raises(InvalidInput):  # the signer signs only a whole identity
        probe.whoami(caller={"user": "someone"})
    with pytest.raises(IncorrectSignature):  # as nameko answers a call its method cannot take
        probe.whoami(caller=ADMIN, colour="red")


def test_the_skeleton_answers_ping_audit_and_report_figures_once_for_every_service(probe):
    assert probe.ping() == {"service": "skeletonprobe", "outbox_published": 0}
    with pytest.raises(RemoteError) as refused:
        probe.audit_query(caller=POLICE)
    assert refused.value.exc_type == "Forbidden"
    assert probe.report_figures(caller=POLICE, first_day="2026-01-01", last_day="2026-01-31") == {
        "period": ["2026-01-01", "2026-01-31"], "asked_by": "police"}
    outcomes = [(e["action"], e["outcome"]) for e in probe.audit_query(caller=ADMIN)]
    assert ("audit.query", "denied") in outcomes and ("report.figures", "ok") in outcomes


def test_report_figures_for_answers_every_period_in_one_audited_call(probe):
    periods = [{"first_day": "2026-01-01", "last_day": "2026-12-31"},
               {"first_day": "2026-02-01", "last_day": "2026-02-28"}]
    before = len(probe.audit_query(caller=ADMIN))
    assert probe.report_figures_for(caller=POLICE, periods=periods) == [
        {"period": ["2026-01-01", "2026-12-31"], "asked_by": "police"},
        {"period": ["2026-02-01", "2026-02-28"], "asked_by": "police"}]
    trail = probe.audit_query(caller=ADMIN)
    # one entry for the call (the audit query of `before` is one more entry of its own)
    assert [e["action"] for e in trail[:2]] == ["report.figures", "audit.query"]
    assert len(trail) == before + 2


@pytest.mark.parametrize("periods", [
    [], [{"first_day": "2026-01-01"}], "2026", [{"first_day": "2026-01-01", "last_day": "2026-01-31",
                                                 "name": "x"}],
    [{"first_day": "2026-01-01", "last_day": "2026-01-31"}] * 18,
])
def test_report_figures_for_refuses_a_bad_list_of_periods_naming_it(probe, periods):
    with pytest.raises(RemoteError) as refused:
        probe.report_figures_for(caller=POLICE, periods=periods)
    assert refused.value.exc_type == "InvalidInput" and "periods" in str(refused.value)
