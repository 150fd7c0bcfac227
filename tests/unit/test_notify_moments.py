"""Which notifications each event makes (services/notify/domain/moments.py), without I/O: the
recipients of the table in docs/decisions/0042, links, codes, urgency and consent."""

from datetime import datetime, timedelta, timezone

import pytest

from services.contracts.vocabulary import NOTIFY_MOMENTS
from services.notify.domain import moments as m

REF = "RN-ABCD-EFGH-IJKL-MNOP"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def keys(planned):
    return [p.recipient.key for p in planned]


def status_event(change="accepted", urgency="routine", share=True, status=None):
    return {"reference": REF, "change": change, "status": status or change, "agency": "shelter-a",
            "referring_agency": "erbil-police", "submitted_by": "officer.one",
            "urgency": urgency, "share_status_with_referrer": share, "changed_at": T0}


@pytest.mark.parametrize("change,moment", sorted(m.POLICE_MOMENTS.items()))
def test_a_police_step_tells_the_officer_and_the_unit_desk(change, moment):
    planned = m.status_changed(status_event(change, status="accepted"), consent=True)
    assert keys(planned) == ["user:officer.one", "desk:police@erbil-police"]
    assert {p.moment for p in planned} == {moment}
    assert {p.link for p in planned} == {f"/police/referrals/{REF}"}
    assert {p.audience for p in planned} == {"referring_police"}


def test_without_consent_the_police_are_told_nothing():
    assert m.status_changed(status_event(share=False), consent=False) == []


@pytest.mark.parametrize("change", ["submitted", "received", "screening", "withdrawn",
                                    "waitlisted", "discharged", "closed"])
def test_steps_that_are_not_moments_make_nothing(change):
    assert m.status_changed(status_event(change), consent=True) == []


def test_police_moments_are_urgent_for_urgent_referrals_and_escalations():
    assert not m.status_changed(status_event("accepted"), True)[0].urgent
    assert m.status_changed(status_event("accepted", "urgent"), True)[0].urgent
    assert m.status_changed(status_event("accepted", "emergency"), True)[0].urgent
    assert m.status_changed(status_event("escalated", status="received"), True)[0].urgent


def test_an_offer_goes_to_the_holders_shelter_desk():
    offer = {"reference": REF, "agency": "shelter-b", "why": "declined", "offered_at": T0}
    [planned] = m.referral_offered(offer, "routine")
    assert planned.recipient.key == "desk:shelter@shelter-b"
    assert planned.moment == "referral_offered" and not planned.urgent
    assert planned.params == {"why": "declined"}
    assert planned.link == f"/shelter/referrals/{REF}"
    assert m.referral_offered(offer, "emergency")[0].urgent
    assert not m.referral_offered(offer, None)[0].urgent


def test_hold_expiring_is_urgent_for_the_provider_desk():
    [planned] = m.hold_expiring(REF, "shelter-a")
    assert (planned.recipient.key, planned.urgent) == ("desk:shelter@shelter-a", True)


def milestone_event(manager="manager.one", case_manager="cm.one"):
    return {"reference": REF, "admission_id": 3, "milestone": "psychological_screening",
            "due_at": T0, "facility": "f1", "case_manager": case_manager, "noticed_at": T0,
            "agency": "shelter-a", "facility_manager": manager}


def test_an_overdue_milestone_tells_the_case_manager_and_the_facility_manager():
    planned = m.milestone_overdue(milestone_event())
    assert keys(planned) == ["user:cm.one", "user:manager.one"]
    assert planned[0].params == {"milestone": "psychological_screening"}
    assert planned[0].link == "/shelter/milestones"


def test_without_a_facility_manager_the_shelter_desk_is_told():
    assert keys(m.milestone_overdue(milestone_event(None))) == ["user:cm.one",
                                                                "desk:shelter@shelter-a"]


def test_a_case_manager_who_manages_the_facility_is_told_once():
    assert keys(m.milestone_overdue(milestone_event("cm.one"))) == ["user:cm.one"]


def reminder(lawyer="lawyer.one", shelter="shelter-a"):
    return {"reference": REF, "hearing_id": "a" * 32, "court": "erbil-court", "starts_at": T0,
            "time_zone": "Asia/Baghdad", "due_at": T0, "sent_at": T0, "case_id": "b" * 32,
            "lawyer": lawyer, "shelter_agency": shelter}


def test_a_hearing_reminder_tells_the_shelter_desk_and_the_lawyer_each_when_named():
    assert keys(m.hearing_reminder(reminder())) == ["desk:shelter@shelter-a", "user:lawyer.one"]
    assert keys(m.hearing_reminder(reminder(lawyer=None))) == ["desk:shelter@shelter-a"]
    assert keys(m.hearing_reminder(reminder(shelter=None))) == ["user:lawyer.one"]
    assert m.hearing_reminder(reminder(None, None)) == []


def task(kind="accompaniment", status="assigned", assignee="staff.two", requested_by=None):
    return {"task_id": "c" * 32, "kind": kind, "status": status, "reference": REF,
            "agency": "shelter-a", "facility": "f1", "assignee": assignee,
            "requested_by": requested_by, "due_at": None, "changed_by": "staff.one",
            "changed_at": T0}


def test_an_assigned_task_tells_its_assignee():
    [planned] = m.task_changed(task())
    assert (planned.moment, planned.recipient.key) == ("task_assigned", "user:staff.two")
    assert planned.params == {"kind": "accompaniment"} and planned.link == "/shelter/tasks"


def test_a_cash_request_to_approve_tells_the_desk_but_not_its_requester():
    [planned] = m.task_changed(task("cash_approval", "to_arrange", None, "staff.one"))
    assert planned.moment == "approval_awaited"
    assert planned.recipient == m.desk("shelter", "shelter-a", "staff.one")


@pytest.mark.parametrize("status", ["done", "not_needed"])
def test_finished_tasks_make_nothing(status):
    assert m.task_changed(task(status=status)) == []
    assert m.task_changed(task("accompaniment", "to_arrange", None)) == []


def test_a_court_status_change_tells_the_lawyer_only_when_named():
    event = {"reference": REF, "court_case_id": "d" * 32, "court": "erbil-court",
             "case_id": "b" * 32, "status": "verdict", "previous_status": "trial",
             "verdict": "convicted", "changed_at": T0, "lawyer": "lawyer.one"}
    [planned] = m.court_status_changed(event)
    assert planned.recipient.key == "user:lawyer.one"
    assert planned.params == {"status": "verdict", "verdict": "convicted"}
    assert planned.link == f"/court-cases/{'d' * 32}"
    assert m.court_status_changed({**event, "lawyer": None}) == []


def test_a_failed_delivery_tells_every_admin_urgently():
    [planned] = m.delivery_failed(REF, "email", "referral_accepted")
    assert planned.recipient.key == "desk:admin@*" and planned.recipient.agency is None
    assert planned.urgent and planned.link == "/inbox"


def test_every_moment_of_the_vocabulary_has_a_planner():
    made = set()
    made |= {p.moment for c in m.POLICE_MOMENTS for p in m.status_changed(status_event(c), True)}
    made |= {p.moment for p in m.referral_offered({"reference": REF, "agency": "a",
                                                   "why": "routed"}, None)}
    made |= {p.moment for p in m.hold_expiring(REF, "a") + m.milestone_overdue(milestone_event())
             + m.hearing_reminder(reminder()) + m.task_changed(task())
             + m.task_changed(task("cash_approval", "to_arrange", None))
             + m.delivery_failed(None, "sms", "admitted")}
    made.add("court_status_changed")
    assert made == set(NOTIFY_MOMENTS)


def test_an_unknown_moment_is_refused():
    with pytest.raises(ValueError):
        m.Planned("lunch_served", m.person("a"), REF, "/inbox")


def test_internal_event_ids_are_stable_and_distinct():
    assert m.internal_event_id("hold", REF, "x") == m.internal_event_id("hold", REF, "x")
    assert m.internal_event_id("hold", REF, "x") != m.internal_event_id("hold", REF, "y")
    assert len(m.internal_event_id("a")) == 36


def test_consent_stands_while_granted_and_not_past_its_end():
    assert m.consent_stands(True, None, T0)
    assert m.consent_stands(True, T0 + timedelta(days=1), T0)
    assert not m.consent_stands(True, T0, T0)
    assert not m.consent_stands(False, None, T0)
    assert not m.consent_stands(None, None, T0)


def test_the_newer_consent_wins():
    assert m.newer_consent(None, T0)
    assert m.newer_consent(T0, T0 + timedelta(seconds=1))
    assert not m.newer_consent(T0, T0 - timedelta(seconds=1))
