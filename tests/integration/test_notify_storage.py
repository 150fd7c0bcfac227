"""The notify service's use cases on real SQLite and PostgreSQL (migrated; no broker): events
become notifications once whatever the replicas, consent withdrawn means nothing made or shown,
the inbox of a person and their desk, read state, deliveries after quiet hours, the hold warning
claimed once, preferences that bad input leaves as they were, and nothing personal stored."""

import json
import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from services.common import atrest
from services.common.caller import Caller
from services.common.clock import FixedClock
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.sealing import FileCipher
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.contracts.vocabulary import (MILESTONES, NOTIFY_MOMENTS, OFFER_REASONS,
                                           REFERRAL_STATUSES, TASK_KINDS)
from services.notify import report, usecases
from services.notify.domain import moments
from services.notify.domain.messages import render
from services.notify.tables import (deliveries, hold_watches, inbox_reads, known_referrals,
                                    notifications, processed_events, subscribers)
from services.notify.usecases.notifications import audience_allows, make_notification
from tests.integration.conftest import SURVIVOR_NAME, count, table_dump

T0 = datetime(2026, 12, 10, 9, 0, tzinfo=timezone.utc)          # 12:00 in Baghdad
VALUES = SimpleNamespace(hold_warning_minutes=60, public_url="https://refnet.example.org")
UNIT, SHELTER = "erbil-police", "erbil-shelter"
OFFICER = Caller(user="officer.one", role="police", agency=UNIT)
OFFICER2 = Caller(user="officer.two", role="police", agency=UNIT)
OTHER_UNIT = Caller(user="officer.three", role="police", agency="duhok-police")
STAFF = Caller(user="staff.one", role="shelter", agency=SHELTER)
STAFF2 = Caller(user="staff.two", role="shelter", agency=SHELTER)
ADMIN = Caller(user="admin.one", role="admin", agency="refnet-admin")
ANALYST = Caller(user="analyst.one", role="analyst", agency="refnet-admin")
EMAIL = "officer.one@police.example.org"
PHONE = "+9647501112233"


@pytest.fixture
def cipher():
    """The process's file keys, as the service's ``FileKeys`` sets them; unset afterwards."""
    before = atrest.current_keys()
    keys = FileCipher(FileCipher.new_key())
    atrest.use_keys(keys)
    yield keys
    atrest.use_keys(before)


@pytest.fixture
def db(databases, cipher):
    return databases.database(databases.migrated("notify"))


@pytest.fixture
def clock():
    return FixedClock(T0)


def apply(db, event, clock):
    return usecases.apply_event(db, event, VALUES, clock=clock)


# --- events ----------------------------------------------------------------------------------

def status_changed(ref, change="accepted", *, share=True, urgency="routine", at=T0, status=None):
    return make_event("referral.status_changed", {
        "reference": ref, "change": change, "status": status or change, "agency": SHELTER,
        "referring_agency": UNIT, "submitted_by": OFFICER.user, "urgency": urgency,
        "share_status_with_referrer": share, "changed_at": at}, source="referral")


def consent_changed(ref, granted, at, until=None):
    return make_event("referral.consent_changed", {
        "reference": ref, "audience": "referring_police", "agency": None, "granted": granted,
        "until": until, "changed_at": at}, source="referral")


def submitted(ref, urgency="routine"):
    return make_event("referral.submitted", {
        "reference": ref, "population_group": "women", "urgency": urgency, "needs": ["shelter"],
        "children_count": 0, "beds_needed": 1, "referring_agency": UNIT, "submitted_at": T0,
        "requested_provider": None, "service_languages": [],
        "survivor_minor": False}, source="referral")


def offered(ref, agency=SHELTER, why="routed"):
    return make_event("shelter.referral_offered", {
        "reference": ref, "agency": agency, "previous_agency": None, "why": why,
        "reason_code": None, "offered_at": T0, "answer_due_at": None}, source="shelter")


def bed_held(ref, expires_at):
    return make_event("shelter.bed_held", {
        "reference": ref, "facility": "f1", "population_group": "women", "beds": 1,
        "agency": SHELTER, "held_at": T0, "expires_at": expires_at,
        "offered_from_waitlist": False}, source="shelter")


def admitted(ref):
    return make_event("shelter.admitted", {
        "reference": ref, "facility": "f1", "population_group": "women", "beds": 1,
        "agency": SHELTER, "admission_id": 1, "case_manager": "cm.one", "admitted_at": T0},
        source="shelter")


def cash_request(ref, requested_by=STAFF.user):
    return make_event("shelter.task_changed", {
        "task_id": "c" * 32, "kind": "cash_approval", "status": "to_arrange", "reference": ref,
        "agency": SHELTER, "facility": "f1", "assignee": None, "requested_by": requested_by,
        "due_at": None, "changed_by": requested_by, "changed_at": T0}, source="shelter")


def milestone_overdue(ref):
    return make_event("shelter.milestone_overdue", {
        "reference": ref, "admission_id": 1, "milestone": "psychological_screening",
        "due_at": T0, "facility": "f1", "case_manager": "cm.one", "noticed_at": T0,
        "agency": SHELTER, "facility_manager": None}, source="shelter")


def rows(db, table, *where):
    with db.read() as s:
        query = select(table)
        for condition in where:
            query = query.where(condition)
        return s.execute(query).all()


def recipients(db, ref):
    return sorted(r.recipient for r in rows(db, notifications, notifications.c.reference == ref))


def inbox_refs(db, caller, clock, **kw):
    return [i["reference"] for i in usecases.list_inbox(db, caller, clock=clock, values=VALUES,
                                                        **kw)["items"]]


def subscribe(db, caller, clock, **prefs):
    base = {"language": "en", "email": EMAIL, "phone": PHONE,
            "moments": {m: ["email"] for m in NOTIFY_MOMENTS}}
    return usecases.save_preferences(db, caller, base | prefs, clock=clock)


# --- once per event per recipient ------------------------------------------------------------

def test_an_event_applied_twice_makes_one_notification_per_recipient(db, clock):
    ref = random_reference()
    event = status_changed(ref)
    assert apply(db, event, clock) is True
    assert apply(db, event, clock) is False               # redelivered
    assert recipients(db, ref) == [f"desk:police@{UNIT}", f"user:{OFFICER.user}"]
    [row] = rows(db, notifications, notifications.c.user_id == OFFICER.user)
    assert (row.moment, row.link, row.audience, row.urgent) == (
        "referral_accepted", f"/police/referrals/{ref}", "referring_police", False)
    assert json.loads(row.params) == {"status": "accepted"}



def test_the_police_hear_of_the_acceptance_once_not_again_when_a_hold_expires(db, clock):
    ref = random_reference()
    apply(db, status_changed(ref), clock)
    apply(db, status_changed(ref, "bed_held"), clock)
    apply(db, status_changed(ref, "accepted", at=T0 + timedelta(hours=1)), clock)  # hold expired
    apply(db, status_changed(ref, "bed_held", at=T0 + timedelta(hours=2)), clock)  # held again
    told = [r.moment for r in rows(db, notifications, notifications.c.user_id == OFFICER.user)]
    assert sorted(told) == ["bed_held", "bed_held", "referral_accepted"]

def test_making_a_notification_again_changes_nothing(db, clock):
    [planned] = moments.hold_expiring(random_reference(), SHELTER)
    with db.write() as s:
        first = make_notification(s, planned, event_id="e" * 8, now=T0)
    with db.write() as s:
        again = make_notification(s, planned, event_id="e" * 8, now=T0)
    assert first is not None and again is None
    assert count(db, notifications) == 1


def test_two_replicas_applying_the_same_events_make_each_notification_once(databases, db, clock):
    second = databases.database(db.url)                   # another replica: its own engine
    refs = [random_reference() for _ in range(4)]
    events = [status_changed(ref, urgency="urgent") for ref in refs] + \
        [offered(ref) for ref in refs]
    subscribe(db, OFFICER, clock)
    errors = []

    def consume(target):
        try:
            for event in events:
                apply(target, event, clock)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(d,)) for d in (db, second, db, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(db, processed_events) == 8
    assert count(db, notifications) == 12                 # officer + unit desk + shelter desk, x4
    for ref in refs:
        assert recipients(db, ref) == [f"desk:police@{UNIT}", f"desk:shelter@{SHELTER}",
                                       f"user:{OFFICER.user}"]
    assert count(db, deliveries) == 4                     # the officer's email, once per step


# --- consent ----------------------------------------------------------------------------------

def test_without_consent_the_police_are_told_nothing(db, clock):
    ref = random_reference()
    subscribe(db, OFFICER, clock)
    apply(db, status_changed(ref, share=False), clock)
    assert recipients(db, ref) == [] and count(db, deliveries) == 0
    assert usecases.unread_count(db, OFFICER, clock=clock) == {"unread": 0}


def test_a_newer_withdrawal_wins_over_an_older_step_that_arrives_later(db, clock):
    ref = random_reference()
    apply(db, consent_changed(ref, False, T0), clock)
    apply(db, status_changed(ref, "bed_held", share=True, at=T0 - timedelta(minutes=5)), clock)
    assert recipients(db, ref) == []
    [known] = rows(db, known_referrals, known_referrals.c.reference == ref)
    assert known.share_status_with_referrer is False


def test_after_a_withdrawal_the_police_see_nothing_of_the_referral_and_get_nothing_new(db, clock):
    ref = random_reference()
    apply(db, status_changed(ref, "accepted"), clock)
    assert inbox_refs(db, OFFICER, clock) == [ref]
    apply(db, consent_changed(ref, False, T0 + timedelta(minutes=1)), clock)
    assert inbox_refs(db, OFFICER, clock) == [] and inbox_refs(db, OFFICER2, clock) == []
    assert usecases.unread_count(db, OFFICER, clock=clock) == {"unread": 0}
    apply(db, status_changed(ref, "admitted", share=False, at=T0 + timedelta(hours=1)), clock)
    assert recipients(db, ref) == [f"desk:police@{UNIT}", f"user:{OFFICER.user}"]  # the first
    apply(db, consent_changed(ref, True, T0 + timedelta(hours=2)), clock)
    assert inbox_refs(db, OFFICER, clock) == [ref]       # shown again while consent stands


def test_the_send_time_check_follows_the_last_consent(db, clock):
    ref = random_reference()
    apply(db, status_changed(ref, "accepted"), clock)
    with db.read() as s:
        assert audience_allows(s, None, ref, T0)
        assert audience_allows(s, "referring_police", ref, T0)
        assert not audience_allows(s, "referring_police", random_reference(), T0)  # unknown
        assert not audience_allows(s, "legal_team", ref, T0)
    apply(db, consent_changed(ref, False, T0 + timedelta(minutes=1)), clock)
    with db.read() as s:
        assert not audience_allows(s, "referring_police", ref, T0)


def test_a_consent_with_an_end_stops_showing_after_it(db, clock):
    ref = random_reference()
    apply(db, status_changed(ref, "accepted"), clock)
    apply(db, consent_changed(ref, True, T0 + timedelta(minutes=1), until=T0 + timedelta(days=1)),
          clock)
    assert inbox_refs(db, OFFICER, clock) == [ref]
    assert inbox_refs(db, OFFICER, FixedClock(T0 + timedelta(days=2))) == []


# --- the inbox ----------------------------------------------------------------------------------

def test_a_person_sees_an_event_once_their_desk_sees_it_too(db, clock):
    ref = random_reference()
    apply(db, status_changed(ref), clock)
    mine = usecases.list_inbox(db, OFFICER, clock=clock, values=VALUES)
    assert [(i["reference"], i["moment"]) for i in mine["items"]] == [(ref, "referral_accepted")]
    [item] = mine["items"]
    assert item["link"] == f"/police/referrals/{ref}" and item["read"] is False
    assert item["text"] == f"Referral {ref} was accepted — open refnet: " \
                           f"https://refnet.example.org/police/referrals/{ref}"
    assert item["created_at"] == "2026-12-10T09:00:00Z" and mine["unread"] == 1
    assert inbox_refs(db, OFFICER2, clock) == [ref]       # the unit's desk row
    assert inbox_refs(db, OTHER_UNIT, clock) == []
    assert inbox_refs(db, STAFF, clock) == []


def test_the_inbox_is_in_the_language_asked_else_the_persons_own(db, clock):
    ref = random_reference()
    apply(db, status_changed(ref), clock)
    subscribe(db, OFFICER, clock, language="ckb")
    [own] = usecases.list_inbox(db, OFFICER, clock=clock, values=VALUES)["items"]
    assert own["text"].startswith(f"ڕەوانەکردنی {ref} پەسەندکرا")
    [asked] = usecases.list_inbox(db, OFFICER, language="ar", clock=clock, values=VALUES)["items"]
    assert asked["text"].startswith(f"تم قبول الإحالة {ref}")
    with pytest.raises(InvalidInput) as bad:
        usecases.list_inbox(db, OFFICER, language="xx", clock=clock, values=VALUES)
    assert bad.value.field == "language"


def test_a_desk_row_is_not_shown_to_the_person_it_excludes(db, clock):
    ref = random_reference()
    subscribe(db, STAFF, clock)
    subscribe(db, STAFF2, clock)
    apply(db, cash_request(ref, requested_by=STAFF.user), clock)
    assert inbox_refs(db, STAFF, clock) == []
    assert inbox_refs(db, STAFF2, clock) == [ref]
    assert [r.user_id for r in rows(db, deliveries)] == [STAFF2.user]
    [row] = rows(db, notifications, notifications.c.reference == ref)
    with pytest.raises(NotFound):
        usecases.mark_read(db, STAFF, row.id, clock=clock)


def test_admins_of_every_agency_see_a_desk_for_any_agency(db, clock):
    [planned] = moments.delivery_failed(random_reference(), "email", "admitted")
    with db.write() as s:
        make_notification(s, planned, event_id=moments.internal_event_id("delivery", "1"), now=T0)
    assert inbox_refs(db, ADMIN, clock) == [planned.reference]
    assert inbox_refs(db, Caller(user="admin.two", role="admin", agency="other"), clock) == \
        [planned.reference]
    assert inbox_refs(db, STAFF, clock) == []


def test_mark_read_is_idempotent_and_only_for_the_callers_own(db, clock):
    refs = [random_reference() for _ in range(3)]
    for ref in refs:
        apply(db, status_changed(ref), clock)
    mine = usecases.list_inbox(db, OFFICER, clock=clock, values=VALUES)["items"]
    first = mine[-1]["id"]
    assert usecases.mark_read(db, OFFICER, first, clock=clock) == {"id": first, "read": True}
    assert usecases.mark_read(db, OFFICER, first, clock=clock) == {"id": first, "read": True}
    assert count(db, inbox_reads) == 1
    assert usecases.unread_count(db, OFFICER, clock=clock) == {"unread": 2}
    assert usecases.unread_count(db, OFFICER2, clock=clock) == {"unread": 3}  # read is per person
    assert inbox_refs(db, OFFICER, clock, unread_only=True) == [refs[2], refs[1]]
    for stranger in (OTHER_UNIT, STAFF):
        with pytest.raises(NotFound) as missing:
            usecases.mark_read(db, stranger, first, clock=clock)
        assert missing.value.field == "notification_id"
    with pytest.raises(NotFound):
        usecases.mark_read(db, OFFICER, 999999, clock=clock)
    with pytest.raises(InvalidInput):
        usecases.mark_read(db, OFFICER, "one", clock=clock)
    assert count(db, inbox_reads) == 1


def test_the_inbox_pages_newest_first(db, clock):
    refs = [random_reference() for _ in range(5)]
    for ref in refs:
        apply(db, status_changed(ref), clock)
    page = usecases.list_inbox(db, OFFICER, limit=2, clock=clock, values=VALUES)
    seen = [i["reference"] for i in page["items"]]
    while page["next_cursor"]:
        page = usecases.list_inbox(db, OFFICER, limit=2, cursor=page["next_cursor"], clock=clock,
                                   values=VALUES)
        seen += [i["reference"] for i in page["items"]]
    assert seen == refs[::-1]
    for bad, field in (({"cursor": "!!"}, "cursor"), ({"limit": 0}, "limit")):
        with pytest.raises(InvalidInput) as caught:
            usecases.list_inbox(db, OFFICER, clock=clock, values=VALUES, **bad)
        assert caught.value.field == field


# --- deliveries -------------------------------------------------------------------------------

def test_quiet_hours_hold_a_message_and_urgent_ones_go_at_once(db, clock):
    subscribe(db, OFFICER, clock, quiet_hours={"start": "22:00", "end": "07:00"},
              moments={"referral_accepted": ["email", "sms"], "referral_escalated": ["sms"]})
    night = FixedClock(datetime(2026, 12, 10, 20, 30, tzinfo=timezone.utc))   # 23:30 Baghdad
    calm, urgent = random_reference(), random_reference()
    apply(db, status_changed(calm, "accepted"), night)
    apply(db, status_changed(urgent, "escalated", status="received"), night)
    by_ref = {}
    for row in rows(db, deliveries):
        [n] = rows(db, notifications, notifications.c.id == row.notification_id)
        by_ref.setdefault(n.reference, []).append(row)
    assert sorted(r.channel for r in by_ref[calm]) == ["email", "sms"]
    assert {(r.status, _utc(r.not_before)) for r in by_ref[calm]} == \
        {("pending", datetime(2026, 12, 11, 4, 0, tzinfo=timezone.utc))}
    assert [(r.channel, r.status, _utc(r.not_before)) for r in by_ref[urgent]] == \
        [("sms", "pending", night.now())]
    assert {r.user_id for r in rows(db, deliveries)} == {OFFICER.user}


def test_a_digest_reader_s_email_waits_for_the_digest(db, clock):
    subscribe(db, OFFICER, clock, digest={"enabled": True, "hour": 8})
    apply(db, status_changed(random_reference(), "accepted"), clock)
    [row] = rows(db, deliveries)
    assert (row.status, _utc(row.not_before)) == ("digest",
                                                 datetime(2026, 12, 11, 5, 0, tzinfo=timezone.utc))


def test_a_desk_s_people_get_a_message_unless_told_in_person(db, clock):
    subscribe(db, OFFICER, clock)
    subscribe(db, OFFICER2, clock)
    subscribe(db, OTHER_UNIT, clock)
    apply(db, status_changed(random_reference()), clock)
    got = sorted((r.user_id, r.channel) for r in rows(db, deliveries))
    assert got == [(OFFICER.user, "email"), (OFFICER2.user, "email")]


def _utc(value):
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- the hold warning ---------------------------------------------------------------------------

def test_a_hold_is_warned_about_once_before_it_expires(db, clock):
    ref = random_reference()
    apply(db, bed_held(ref, T0 + timedelta(hours=4)), clock)
    assert usecases.warn_expiring_holds(db, VALUES, clock=clock) == []
    later = FixedClock(T0 + timedelta(hours=3, minutes=1))
    assert usecases.warn_expiring_holds(db, VALUES, clock=later) == [ref]
    assert usecases.warn_expiring_holds(db, VALUES, clock=later) == []
    [row] = rows(db, notifications)
    assert (row.moment, row.recipient, row.urgent) == ("hold_expiring", f"desk:shelter@{SHELTER}",
                                                       True)
    assert inbox_refs(db, STAFF, later) == [ref]


def test_an_arrival_closes_the_watch(db, clock):
    ref = random_reference()
    apply(db, bed_held(ref, T0 + timedelta(hours=4)), clock)
    apply(db, admitted(ref), clock)
    assert usecases.warn_expiring_holds(db, VALUES, clock=FixedClock(T0 + timedelta(hours=3, minutes=30))) == []
    assert count(db, notifications) == 0
    [watch] = rows(db, hold_watches)
    assert watch.closed_at is not None


def test_two_replicas_warn_about_each_hold_once(databases, db, clock):
    refs = [random_reference() for _ in range(6)]
    for ref in refs:
        apply(db, bed_held(ref, T0 + timedelta(hours=1)), clock)
    second = databases.database(db.url)
    warned, errors = [], []

    def sweep(target):
        try:
            for _ in range(3):
                warned.extend(usecases.warn_expiring_holds(target, VALUES, clock=clock))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(d,)) for d in (db, second, db, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(warned) == sorted(refs)
    assert count(db, notifications) == 6


# --- preferences ------------------------------------------------------------------------------

def test_preferences_default_then_saved_then_left_alone_by_bad_input(db, clock):
    assert usecases.get_preferences(db, OFFICER, clock=clock)["language"] == "en"
    saved = subscribe(db, OFFICER, clock, language="ar",
                      quiet_hours={"start": "22:00", "end": "07:00"})
    assert usecases.get_preferences(db, OFFICER, clock=clock) == saved
    for bad, field in (({"language": "fr"}, "language"),
                       ({"phone": None, "moments": {"admitted": ["sms"]}}, "moments.admitted"),
                       ({"quiet_hours": {"start": "22:00", "end": "24:00"}}, "quiet_hours.end")):
        with pytest.raises(InvalidInput) as caught:
            subscribe(db, OFFICER, clock, **bad)
        assert caught.value.field == field
        assert EMAIL not in str(caught.value)
    assert usecases.get_preferences(db, OFFICER, clock=clock) == saved
    assert count(db, subscribers) == 1
    [row] = rows(db, subscribers)
    assert (row.agency, row.role) == (UNIT, "police")    # as the caller was vouched for


def test_contact_details_are_sealed_at_rest(db, clock):
    subscribe(db, OFFICER, clock)
    dump = table_dump(db)
    assert EMAIL not in dump and PHONE not in dump
    assert usecases.get_preferences(db, OFFICER, clock=clock)["email"] == EMAIL


# --- privacy ----------------------------------------------------------------------------------

def test_nothing_but_references_and_codes_is_stored_or_shown(db, clock):
    """Events carry no name; a name planted in the one free field a person fills (their own
    preferences) is sealed, and every stored param is a code of the vocabulary."""
    ref = random_reference()
    for event in (submitted(ref), offered(ref), status_changed(ref, "accepted"),
                  milestone_overdue(ref), cash_request(ref), bed_held(ref, T0 + timedelta(hours=1))):
        apply(db, event, clock)
    usecases.warn_expiring_holds(db, VALUES, clock=clock)
    subscribe(db, STAFF, clock, email=f"{SURVIVOR_NAME.split()[0].lower()}@example.org")
    assert SURVIVOR_NAME not in table_dump(db)
    assert SURVIVOR_NAME.split()[0].lower() not in table_dump(db)
    codes = set(MILESTONES) | set(OFFER_REASONS) | set(REFERRAL_STATUSES) | set(TASK_KINDS)
    for row in rows(db, notifications):
        assert row.reference == ref
        assert set(json.loads(row.params).values()) <= codes
    for caller in (OFFICER, STAFF2, Caller(user="cm.one", role="shelter", agency=SHELTER)):
        for item in usecases.list_inbox(db, caller, clock=clock, values=VALUES)["items"]:
            [row] = rows(db, notifications, notifications.c.id == item["id"])
            assert item["text"] == render(row.moment, ref, VALUES.public_url + row.link, "en",
                                          json.loads(row.params))[1]


# --- figures ----------------------------------------------------------------------------------

def test_report_figures_count_notifications_by_moment_for_admins_and_analysts(db, clock):
    subscribe(db, OFFICER, clock)
    for _ in range(2):
        apply(db, status_changed(random_reference()), clock)
    apply(db, offered(random_reference()), clock)
    figures = report.report_figures(db, ADMIN, "2026-12-01", "2026-12-31")
    assert figures["notifications"]["by_moment"]["referral_accepted"] == 4
    assert figures["notifications"]["by_moment"]["referral_offered"] == 1
    assert figures["notifications"]["total"] == 5
    assert figures["messages"] == {"email": {"sent": 0, "dead": 0}, "sms": {"sent": 0, "dead": 0}}
    assert report.report_figures(db, ANALYST, "2026-11-01", "2026-11-30")["notifications"][
        "total"] == 0
    with pytest.raises(Forbidden):
        report.report_figures(db, OFFICER, "2026-12-01", "2026-12-31")
