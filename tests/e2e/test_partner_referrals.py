"""Partner referrals that report back (issue 18 item 6, docs/decisions/0040), over real
processes on a fresh vhost: a care-plan item referred to a partner agency goes sent -> accepted
-> done with an outcome code, another is declined with a reason code; the provider's staff see
the status on the plan item and on the referral's timeline (the police do not); a partner user
of another agency gets 404 and an empty list; bad input is a 4xx naming the field and changes
nothing."""

import pytest

from refnet import demo
from refnet.harness.polling import poll
from tests.e2e.conftest import CANONICAL, own_network

FACILITY = demo.FACILITY["id"]
SHELTER = next(u["agency"] for u in demo.USERS if u["role"] == "shelter")
IOM, EMBASSY, LABOUR = "iom-erbil", "embassy-np", "labour-office-erbil"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    yield from own_network(tmp_path_factory, "partners")


def _admitted(net, police, staff) -> dict:
    r = net.api("POST", "/referrals", police, json=CANONICAL)
    assert r.status_code == 202, r.text
    reference = r.json()["reference"]
    net.wait_status(reference, "received", police)
    assert net.api("POST", f"/referrals/{reference}/decision", staff,
                   json={"decision": "accept"}).status_code == 200
    net.wait_status(reference, "bed_held", police)
    r = net.api("POST", f"/shelters/{FACILITY}/admissions", staff,
                json={"reference": reference, "case_manager": "cm.partners"})
    assert r.status_code == 201, r.text
    return r.json()


def _item(net, staff, plan_id, service="case_management") -> int:
    r = net.api("POST", f"/shelter/plans/{plan_id}/items", staff,
                json={"service": service, "owner": "cm.partners"})
    assert r.status_code == 201, r.text
    return r.json()["item_id"]


def _refer(net, staff, plan_id, item_id, partner, service):
    return net.api("POST", f"/shelter/plans/{plan_id}/items/{item_id}/partner-referral", staff,
                   json={"partner_agency": partner, "service": service})


def _listed(net, token) -> list[dict]:
    r = net.api("GET", "/partner-referrals", token)
    assert r.status_code == 200, r.text
    return r.json()


def _answer(net, token, rid, **body):
    return net.api("POST", f"/partner-referrals/{rid}/status", token, json=body)


def _item_status(net, staff, plan_id, item_id) -> dict:
    plan = net.api("GET", f"/shelter/plans/{plan_id}", staff).json()
    return next(i for i in plan["items"] if i["item_id"] == item_id)["partner_referral"]


def test_the_whole_loop_a_decline_another_agency_and_bad_input(net):
    police, staff = net.token("police", agency="tip-unit-partners"), net.token("shelter", user="cm.partners")
    iom = net.token("partner", agency=IOM, user="iom.officer")
    embassy = net.token("partner", agency=EMBASSY, user="consul.one")
    labour = net.token("partner", agency=LABOUR, user="labour.inspector")
    admission = _admitted(net, police, staff)
    plan_id, reference = admission["plan_id"], admission["reference"]

    # sent -> accepted -> done, with an outcome code
    return_item = _item(net, staff, plan_id)
    r = _refer(net, staff, plan_id, return_item, IOM, "return_reintegration")
    assert r.status_code == 201, r.text
    assert r.json()["partner_referral"]["status"] == "sent"
    (listed,) = _listed(net, iom)
    assert (listed["reference"], listed["service"], listed["status"], listed["agency"]) == (
        reference, "return_reintegration", "sent", SHELTER)
    assert set(listed) == {"partner_referral_id", "reference", "agency", "partner_agency",
                           "service", "status", "reason_code", "outcome_code", "sent_at",
                           "updated_at"}   # status only: no plan, no note, no file
    rid = listed["partner_referral_id"]

    # another partner agency: nothing listed, 404 on the referral; its answer changes nothing
    assert _listed(net, labour) == []
    r = _answer(net, labour, rid, status="accepted")
    assert r.status_code == 404 and "partner_referral" in r.text
    # bad input: done before accepted, an unknown outcome, an unknown service: 4xx naming the field
    r = _answer(net, iom, rid, status="done", outcome_code="service_delivered")
    assert r.status_code == 409 and '"status"' in r.text
    r = _answer(net, iom, rid, status="declined", reason_code="too_busy")
    assert r.status_code == 422 and "reason_code" in r.text
    r = _refer(net, staff, plan_id, _item(net, staff, plan_id), IOM, "haircut")
    assert r.status_code == 422 and "service" in r.text
    assert [i["status"] for i in _listed(net, iom)] == ["sent"]       # nothing changed

    r = _answer(net, iom, rid, status="accepted")
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    assert _item_status(net, staff, plan_id, return_item)["status"] == "accepted"
    r = _answer(net, iom, rid, status="done", outcome_code="service_delivered")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["outcome_code"]) == ("done", "service_delivered")
    seen = _item_status(net, staff, plan_id, return_item)
    assert (seen["status"], seen["outcome_code"]) == ("done", "service_delivered")

    # a decline with a code
    document_item = _item(net, staff, plan_id)
    assert _refer(net, staff, plan_id, document_item, EMBASSY, "travel_document").status_code == 201
    (sent,) = _listed(net, embassy)
    r = _answer(net, embassy, sent["partner_referral_id"], status="declined",
                reason_code="missing_documents")
    assert r.status_code == 200 and r.json()["reason_code"] == "missing_documents", r.text
    assert _item_status(net, staff, plan_id, document_item)["status"] == "declined"

    # the provider's staff see each change on the referral's timeline; the police do not
    def partner_entries():
        timeline = net.api("GET", f"/referrals/{reference}/status", staff).json()["timeline"]
        entries = [(e["status"], e["agency"], e.get("reason_code"))
                   for e in timeline if e.get("kind") == "partner"]
        return entries if len(entries) == 5 else None
    assert poll(partner_entries, "the partner entries on the timeline", timeout=20) == [
        ("partner_sent", SHELTER, None), ("partner_accepted", IOM, None),
        ("partner_done", IOM, "service_delivered"), ("partner_sent", SHELTER, None),
        ("partner_declined", EMBASSY, "missing_documents")]
    police_view = net.api("GET", f"/referrals/{reference}/status", police).json()
    assert not [e for e in police_view["timeline"] if e.get("kind") == "partner"]

    # a partner's user is refused everywhere else
    for method, path in (("GET", "/referrals"), ("GET", f"/referrals/{reference}"),
                         ("GET", f"/shelter/plans/{plan_id}"), ("GET", "/shelters/availability")):
        assert net.api(method, path, iom).status_code == 403, path
