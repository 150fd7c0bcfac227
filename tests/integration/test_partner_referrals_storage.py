"""Partner referrals on real SQLite and PostgreSQL (no broker), docs/decisions/0040: the loop
sent -> accepted -> done, a decline with its code, each change's event in its transaction, the
partner's own list, another agency's 404, bad input changing nothing, the plan item showing the
status, and the referral service putting each change on the provider's timeline once."""

import json

import pytest
from sqlalchemy import select

from services.common.caller import Caller
from services.common.clock import SystemClock
from services.common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from services.contracts.envelope import parse_event
from services.referral import usecases as referral_app
from services.shelter import usecases
from services.shelter.tables import outbox, partner_referrals
from tests.integration.conftest import caller, count, intake_command, submission
from tests.integration.test_care_storage import (CM, T0, admitted, cipher,  # noqa: F401 - fixtures
                                                 shelter)

IOM = Caller(user="iom.officer", role="partner", agency="iom-erbil")
EMBASSY = Caller(user="consul.one", role="partner", agency="embassy-np")
OTHER_PROVIDER = Caller(user="cm.two", role="shelter", agency="duhok-gov-shelter")


def _events(db) -> list[dict]:
    with db.read() as s:
        bodies = s.execute(select(outbox.c.body).where(
            outbox.c.type == "shelter.partner_referral_changed").order_by(outbox.c.id)).scalars().all()
    return [json.loads(b) for b in bodies]


def _referred(db, service="return_reintegration", item_service="case_management"):
    plan_id = admitted(db)["plan_id"]
    item = usecases.add_item(db, CM, plan_id, T0, item_service, "cm.one")
    view = usecases.refer_item_to_partner(db, CM, plan_id, item["item_id"], T0, "iom-erbil", service)
    return plan_id, item["item_id"], view


def test_the_whole_loop_sent_accepted_done(shelter):
    plan_id, item_id, view = _referred(shelter)
    sent = view["partner_referral"]
    assert (sent["status"], sent["partner_agency"], sent["service"]) == (
        "sent", "iom-erbil", "return_reintegration")
    (listed,) = usecases.list_partner_referrals(shelter, IOM)
    assert listed["status"] == "sent" and "plan_id" not in listed and "item_id" not in listed
    rid = listed["partner_referral_id"]

    assert usecases.answer_partner_referral(shelter, IOM, rid, T0, "accepted")["status"] == "accepted"
    done = usecases.answer_partner_referral(shelter, IOM, rid, T0, "done",
                                            outcome_code="service_delivered")
    assert (done["status"], done["outcome_code"]) == ("done", "service_delivered")
    assert [(e["payload"]["status"], e["payload"]["outcome_code"]) for e in _events(shelter)] == [
        ("sent", None), ("accepted", None), ("done", "service_delivered")]
    assert all(set(e["payload"]) == {"reference", "partner_referral_id", "agency",
                                     "partner_agency", "service", "status", "reason_code",
                                     "outcome_code", "changed_at"} for e in _events(shelter))
    with pytest.raises(IllegalTransition):  # done is final
        usecases.answer_partner_referral(shelter, IOM, rid, T0, "declined", reason_code="other")


def test_a_decline_with_a_code_and_the_item_may_be_referred_again(shelter):
    plan_id, item_id, view = _referred(shelter)
    rid = view["partner_referral"]["partner_referral_id"]
    with pytest.raises(IllegalTransition):   # still open
        usecases.refer_item_to_partner(shelter, CM, plan_id, item_id, T0, "embassy-np", "travel_document")
    declined = usecases.answer_partner_referral(shelter, IOM, rid, T0, "declined",
                                                reason_code="no_capacity")
    assert (declined["status"], declined["reason_code"]) == ("declined", "no_capacity")
    again = usecases.refer_item_to_partner(shelter, CM, plan_id, item_id, T0, "embassy-np",
                                           "travel_document")
    assert again["partner_referral"]["partner_agency"] == "embassy-np"
    assert [r["status"] for r in usecases.list_partner_referrals(shelter, EMBASSY)] == ["sent"]


def test_another_partner_agency_gets_not_found_and_sees_nothing(shelter):
    _, _, view = _referred(shelter)
    rid = view["partner_referral"]["partner_referral_id"]
    assert usecases.list_partner_referrals(shelter, EMBASSY) == []
    with pytest.raises(NotFound) as exc:
        usecases.answer_partner_referral(shelter, EMBASSY, rid, T0, "accepted")
    assert exc.value.field == "partner_referral"
    with pytest.raises(NotFound):
        usecases.answer_partner_referral(shelter, IOM, "not-an-id", T0, "accepted")
    with pytest.raises(Forbidden):
        usecases.list_partner_referrals(shelter, CM)
    with pytest.raises(Forbidden):
        usecases.answer_partner_referral(shelter, CM, rid, T0, "accepted")


@pytest.mark.parametrize("status,codes,field", [
    ("done", {"outcome_code": "service_delivered"}, "status"),   # done before accepted
    ("declined", {"reason_code": "too_busy"}, "reason_code"),
    ("done", {"outcome_code": "great"}, "outcome_code"),
])
def test_bad_answers_name_the_field_and_change_nothing(shelter, status, codes, field):
    _, _, view = _referred(shelter)
    rid = view["partner_referral"]["partner_referral_id"]
    before = (count(shelter, partner_referrals), len(_events(shelter)))
    with pytest.raises((InvalidInput, IllegalTransition)) as exc:
        usecases.answer_partner_referral(shelter, IOM, rid, T0, status, **codes)
    assert exc.value.field == field
    assert usecases.list_partner_referrals(shelter, IOM)[0]["status"] == "sent"
    assert (count(shelter, partner_referrals), len(_events(shelter))) == before


def test_bad_referrals_name_the_field_and_change_nothing(shelter):
    plan_id = admitted(shelter)["plan_id"]
    item = usecases.add_item(shelter, CM, plan_id, T0, "case_management", "cm.one")
    for agency, service, field in (("iom-erbil", "haircut", "service"),
                                   ("IOM!", "mhpss", "partner_agency")):
        with pytest.raises(InvalidInput) as exc:
            usecases.refer_item_to_partner(shelter, CM, plan_id, item["item_id"], T0, agency, service)
        assert exc.value.field == field
    with pytest.raises(NotFound):
        usecases.refer_item_to_partner(shelter, CM, plan_id, 99999, T0, "iom-erbil", "mhpss")
    with pytest.raises(Forbidden):
        usecases.refer_item_to_partner(shelter, IOM, plan_id, item["item_id"], T0, "iom-erbil", "mhpss")
    with pytest.raises(NotFound) as exc:  # another provider's staff: the plan is not theirs
        usecases.refer_item_to_partner(shelter, OTHER_PROVIDER, plan_id, item["item_id"], T0,
                                       "iom-erbil", "mhpss")
    assert exc.value.field == "plan"
    assert count(shelter, partner_referrals) == 0 and _events(shelter) == []


def test_the_plan_shows_each_items_partner_status(shelter, cipher):
    plan_id, item_id, view = _referred(shelter)
    rid = view["partner_referral"]["partner_referral_id"]
    usecases.answer_partner_referral(shelter, IOM, rid, T0, "accepted")
    plan = usecases.get_plan(shelter, CM, cipher, plan_id, T0)
    (item,) = [i for i in plan["items"] if i["item_id"] == item_id]
    assert item["partner_referral"]["status"] == "accepted"
    assert all(i["partner_referral"] is None for i in plan["items"] if i["item_id"] != item_id)


def test_the_referral_service_puts_each_change_on_the_providers_timeline_once(
        shelter, databases, keys):
    referral_db = databases.database(databases.migrated("referral"))
    command = intake_command(keys.intake_public, submission())
    reference, _ = referral_app.submit(referral_db, SystemClock(), keys.cipher, keys.intake_private,
                                       command)
    _, _, view = _referred(shelter)
    rid = view["partner_referral"]["partner_referral_id"]
    usecases.answer_partner_referral(shelter, IOM, rid, T0, "declined", reason_code="no_capacity")
    for event in _events(shelter):
        event["payload"]["reference"] = reference   # the shelter's plan is of another reference here
        assert referral_app.apply_event(referral_db, SystemClock(), event)
        assert not referral_app.apply_event(referral_db, SystemClock(), event)  # once
    status = referral_app.get_status(referral_db, SystemClock(), caller("shelter", "erbil-shelter"),
                                     reference)
    partner = [e for e in status["timeline"] if e.get("kind") == "partner"]
    assert [(e["status"], e["agency"], e.get("reason_code")) for e in partner] == [
        ("partner_sent", "erbil-shelter", None), ("partner_declined", "iom-erbil", "no_capacity")]
    police = referral_app.get_status(referral_db, SystemClock(), caller("police", "erbil-police"),
                                     reference)
    assert not [e for e in police["timeline"] if e.get("kind") == "partner"]
