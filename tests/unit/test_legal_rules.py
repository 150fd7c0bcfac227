"""Legal domain rules without I/O: the court-case status machine, hearings in the courts' time
zone, reminder timing, the test clock, and who sees which slice."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.caller import Caller
from services.common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from services.common.clock import OffsetClock, SystemClock, process_clock
from services.legal.domain import access
from services.legal.domain import consent as consent_rules
from services.legal.domain import court_case as cc
from services.legal.domain import hearings as hr
from services.legal.domain.documents import check_document_move
from services.legal.settings import SETTINGS

from .conftest import service_secrets

UTC = timezone.utc
T0 = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)


# --- court-case status machine ------------------------------------------------------------------

PATH = ["investigation", "filed", "trial", "verdict", "appeal", "closed"]


@pytest.mark.parametrize("current,new", list(zip(PATH, PATH[1:])))
def test_the_main_path_is_allowed(current, new):
    cc.check_transition(current, new, "convicted" if new == "verdict" else None)


@pytest.mark.parametrize("current,new", [
    ("investigation", "verdict"), ("investigation", "trial"), ("filed", "verdict"),
    ("trial", "closed"), ("trial", "filed"), ("verdict", "trial"), ("closed", "filed"),
    ("closed", "closed"), ("appeal", "trial"),
])
def test_illegal_moves_are_409_naming_both_statuses(current, new):
    with pytest.raises(IllegalTransition) as info:
        cc.check_transition(current, new, "convicted" if new == "verdict" else None)
    assert current in info.value.detail and new in info.value.detail
    assert info.value.field == "status"


def test_a_verdict_before_filing_is_refused():
    with pytest.raises(IllegalTransition):
        cc.check_transition("investigation", "verdict", "convicted")


@pytest.mark.parametrize("verdict", [None, "guilty", ""])
def test_the_verdict_status_needs_a_known_verdict(verdict):
    with pytest.raises(InvalidInput) as info:
        cc.check_transition("trial", "verdict", verdict)
    assert info.value.field == "verdict"


def test_a_verdict_value_only_goes_with_the_verdict_status():
    with pytest.raises(InvalidInput) as info:
        cc.check_transition("investigation", "filed", "acquitted")
    assert info.value.field == "verdict"


def test_appeal_ends_in_a_new_verdict_or_closes():
    cc.check_transition("appeal", "verdict", "acquitted")
    cc.check_transition("appeal", "closed", None)


def test_unknown_status_is_invalid_input():
    with pytest.raises(InvalidInput):
        cc.check_transition("filed", "archived", None)


def test_initial_status_and_fields():
    cc.check_initial("investigation")
    cc.check_initial("filed")
    with pytest.raises(InvalidInput):
        cc.check_initial("trial")
    with pytest.raises(InvalidInput):
        cc.check_court_id("Erbil Court")
    assert cc.check_court_id("erbil-criminal-court") == "erbil-criminal-court"
    with pytest.raises(InvalidInput):
        cc.check_standing("accused")


def test_charges_other_statute_needs_a_description():
    assert cc.normalise_charges([{"statute": "law-6-2018"}]) == [{"statute": "law-6-2018", "description": None}]
    with pytest.raises(InvalidInput) as info:
        cc.normalise_charges([{"statute": "law-6-2018"}, {"statute": "other"}])
    assert info.value.field == "charges.1.description"
    with pytest.raises(InvalidInput):
        cc.normalise_charges([])


def test_closed_cases_take_no_hearings():
    assert cc.accepts_hearings("trial") and not cc.accepts_hearings("closed")


# --- hearings: time zones ----------------------------------------------------------------------

def test_local_baghdad_time_is_stored_in_utc():
    assert hr.to_utc(datetime(2026, 12, 10, 9, 30), "Asia/Baghdad") == datetime(2026, 12, 10, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "/etc/localtime", "X" * 80])
def test_an_unknown_zone_names_the_field(zone):
    with pytest.raises(InvalidInput) as info:
        hr.to_utc(datetime(2026, 12, 10, 9, 30), zone)
    assert info.value.field == "time_zone"


def test_an_offset_in_the_local_time_is_refused():
    with pytest.raises(InvalidInput) as info:
        hr.to_utc(datetime(2026, 12, 10, 9, 30, tzinfo=UTC), "Asia/Baghdad")
    assert info.value.field == "starts_at"


def test_local_view_shows_the_courts_time():
    view = hr.local_view(datetime(2026, 12, 10, 6, 30, tzinfo=UTC), "Asia/Baghdad")
    assert view == {"starts_at": "2026-12-10T06:30:00Z", "local_date": "2026-12-10",
                    "local_time": "09:30", "time_zone": "Asia/Baghdad",
                    "starts_at_local": "2026-12-10T09:30:00+03:00"}


def test_hearings_are_in_the_future():
    with pytest.raises(InvalidInput):
        hr.check_in_future(T0, T0)
    hr.check_in_future(T0 + timedelta(seconds=1), T0)


@pytest.mark.parametrize("status,outcome,new,error", [
    ("scheduled", "held", None, None),
    ("scheduled", "cancelled", None, None),
    ("scheduled", "postponed", T0, None),
    ("scheduled", "postponed", None, InvalidInput),
    ("scheduled", "held", T0, InvalidInput),
    ("scheduled", "adjourned", None, InvalidInput),
    ("held", "held", None, IllegalTransition),
    ("postponed", "cancelled", None, IllegalTransition),
])
def test_outcomes(status, outcome, new, error):
    if error is None:
        hr.check_outcome(status, outcome, new)
    else:
        with pytest.raises(error):
            hr.check_outcome(status, outcome, new)


# --- reminders ---------------------------------------------------------------------------------

def _due(now, **kw):
    args = dict(status="scheduled", attendance_required=True, starts_at=T0 + timedelta(hours=72),
                reminder_sent_at=None, now=now)
    args.update(kw)
    return hr.reminder_is_due(**args)


def test_reminder_is_due_72_hours_before_and_not_a_second_earlier():
    assert not _due(T0 - timedelta(seconds=1))
    assert _due(T0)
    assert _due(T0 + timedelta(hours=71))
    assert hr.reminder_due_at(T0 + timedelta(hours=72)) == T0


def test_no_reminder_after_the_hearing_began_or_once_sent():
    assert not _due(T0 + timedelta(hours=72))
    assert not _due(T0, reminder_sent_at=T0)


def test_no_reminder_without_attendance_or_for_a_hearing_not_scheduled():
    assert not _due(T0, attendance_required=False)
    for status in ("held", "postponed", "cancelled"):
        assert not _due(T0, status=status)


def test_reminder_window_matches_the_rule():
    after, until = hr.reminder_window(T0)
    assert (after, until) == (T0, T0 + timedelta(hours=72))


def test_clock_settings_and_test_offset():
    defaults = SETTINGS.load(service_secrets())
    assert timedelta(seconds=defaults.reminder_lead_seconds) == timedelta(hours=72)
    assert timedelta(seconds=SETTINGS.load(service_secrets(REFNET_REMINDER_LEAD_SECONDS="60"))
                     .reminder_lead_seconds) == timedelta(seconds=60)
    assert defaults.reminder_poll_seconds == 30.0
    assert isinstance(process_clock(defaults), SystemClock)  # no offset
    assert OffsetClock("/nonexistent/x").offset() == timedelta(0)
    assert {"REFNET_REMINDER_LEAD_SECONDS", "REFNET_REMINDER_POLL_SECONDS", "LEGAL_DATABASE_URL",
            "AMQP_URI", "REFNET_FILE_KEYS", "REFNET_TEST_CLOCK_OFFSET_FILE"} <= {s.env for s in SETTINGS}


# --- who sees what ----------------------------------------------------------------------------

LEGAL = Caller("lawyer", "legal", "erbil-legal-aid")
COURT = Caller("clerk", "court", "erbil-criminal-court")
OTHER_COURT = Caller("clerk2", "court", "duhok-court")
SHELTER = Caller("staff", "shelter", "erbil-shelter")
OTHER_SHELTER = Caller("staff2", "shelter", "other-shelter")
POLICE = Caller("officer", "police", "erbil-tip-unit")
OTHER_POLICE = Caller("officer2", "police", "duhok-tip-unit")
ADMIN = Caller("admin", "admin", "refnet-admin")
ANALYST = Caller("analyst", "analyst", "refnet-analytics")

HEARING = {"id": "c" * 32, "court_case_id": "b" * 32, "case_id": "a" * 32, "court": "erbil-criminal-court",
           "starts_at": datetime(2026, 12, 10, 6, 30, tzinfo=UTC), "time_zone": "Asia/Baghdad",
           "purpose": "Testimony of the survivor", "attendance_required": True, "status": "scheduled",
           "outcome_note": "Judge asked for the labour contract", "postponed_from": None,
           "reference": "RN-ABCD-EFGH-IJKL-MNOP", "case_number": "123/2026",
           "referring_agency": "erbil-tip-unit", "share_status_with_referrer": True,
           "shelter_agency": "erbil-shelter"}


@pytest.mark.parametrize("caller,sees", [
    (LEGAL, True), (COURT, True), (OTHER_COURT, False), (SHELTER, True), (OTHER_SHELTER, False),
    (POLICE, True), (OTHER_POLICE, False), (ADMIN, False), (ANALYST, False),
])
def test_who_sees_a_hearing(caller, sees):
    assert access.sees_hearing(caller, HEARING, T0) is sees


def test_police_lose_sight_when_consent_is_withdrawn_or_unknown():
    assert not access.sees_hearing(POLICE, {**HEARING, "share_status_with_referrer": False}, T0)
    assert not access.sees_hearing(POLICE, {**HEARING, "share_status_with_referrer": None,
                                            "referring_agency": None}, T0)


# The one rule of who sees which hearing (``access.hearing_rule``): the query filters with it
# and ``sees_hearing`` checks it, so the two cannot disagree. Consent whose end date has passed
# no longer shares, and withdrawn consent to legal help hides the hearing from the legal team.
PASSED, AHEAD = T0 - timedelta(seconds=1), T0 + timedelta(days=1)
CONSENT_CASES = [
    (POLICE, {"referrer_consent_until": AHEAD}, True),
    (POLICE, {"referrer_consent_until": T0}, False),
    (POLICE, {"referrer_consent_until": PASSED}, False),
    (POLICE, {"share_status_with_referrer": False, "referrer_consent_until": AHEAD}, False),
    (LEGAL, {}, True),
    (LEGAL, {"legal_consent": True, "legal_consent_until": AHEAD}, True),
    (LEGAL, {"legal_consent": None}, True),
    (LEGAL, {"legal_consent": False}, False),
    (LEGAL, {"legal_consent": True, "legal_consent_until": PASSED}, False),
    (COURT, {"legal_consent": False, "share_status_with_referrer": False}, True),
    (SHELTER, {"legal_consent": False, "share_status_with_referrer": False}, True),
]


@pytest.mark.parametrize("caller,consent,sees", CONSENT_CASES)
def test_the_hearing_rule_honours_consent_and_its_end_date(caller, consent, sees):
    assert access.sees_hearing(caller, {**HEARING, **consent}, T0) is sees


def test_roles_without_a_hearing_rule_see_none_and_readers_have_one():
    for caller in (ADMIN, ANALYST):
        assert access.hearing_rule(caller, T0) is None
    assert {c.role for c in (LEGAL, COURT, SHELTER, POLICE)} == set(access.HEARING_READERS)
    assert all(access.hearing_rule(c, T0) is not None for c in (LEGAL, COURT, SHELTER, POLICE))


def test_the_shelter_slice_is_date_time_court_attendance_only():
    view = access.hearing_view(SHELTER, HEARING)
    assert set(view) == {"hearing_id", "reference", "court", "starts_at", "local_date", "local_time",
                         "time_zone", "starts_at_local", "attendance_required"}


def test_police_get_dates_and_status_but_no_purpose_or_outcome():
    view = access.hearing_view(POLICE, HEARING)
    assert "purpose" not in view and "outcome_note" not in view and "case_number" not in view
    assert view["status"] == "scheduled" and view["local_time"] == "09:30"


def test_a_court_sees_its_case_details_but_not_the_reference():
    view = access.hearing_view(COURT, HEARING)
    assert view["case_number"] == "123/2026" and view["purpose"] and "reference" not in view


def test_the_legal_team_sees_everything():
    view = access.hearing_view(LEGAL, HEARING)
    assert view["reference"] and view["case_id"] and view["outcome_note"]


def test_another_court_gets_not_found_and_other_roles_forbidden():
    case = {"court": "erbil-criminal-court"}
    assert access.require_court_case(COURT, case, "x", T0) is case
    with pytest.raises(NotFound):
        access.require_court_case(OTHER_COURT, case, "x", T0)
    with pytest.raises(NotFound):
        access.require_court_case(LEGAL, None, "x", T0)
    for caller in (SHELTER, POLICE, ADMIN, ANALYST):
        with pytest.raises(Forbidden):
            access.require_court_case(caller, case, "x", T0)
    with pytest.raises(NotFound):
        access.require_hearing(OTHER_COURT, HEARING, "x", T0)


@pytest.mark.parametrize("consent", [{"legal_consent": False},
                                     {"legal_consent": True, "legal_consent_until": PASSED}])
def test_without_consent_to_legal_help_the_legal_team_acts_on_nothing(consent):
    """The one consent predicate: a hearing, court case or case part whose consent to legal
    help is gone is ``NotFound`` for the legal team, as one that does not exist; a court's
    relation is not a matter of the survivor's consent."""
    withdrawn = {**HEARING, **consent}
    with pytest.raises(NotFound):
        access.require_hearing(LEGAL, withdrawn, "x", T0)
    with pytest.raises(NotFound):
        access.require_court_case(LEGAL, withdrawn, "x", T0)
    assert not access.sees_case(LEGAL, withdrawn, T0)
    assert access.require_hearing(COURT, withdrawn, "x", T0) is withdrawn
    assert access.require_hearing(LEGAL, HEARING, "x", T0) is HEARING
    assert access.sees_case(LEGAL, HEARING, T0)
    for caller in (COURT, SHELTER, POLICE, ADMIN, ANALYST):
        assert not access.sees_case(caller, HEARING, T0)


def test_the_consent_predicate_is_per_audience():
    assert access.consent_rule(LEGAL, T0) == consent_rules.legal_consent_stands(T0)
    assert access.consent_rule(POLICE, T0) == consent_rules.referrer_consent_stands(T0)
    assert access.consent_rule(COURT, T0) == access.consent_rule(SHELTER, T0) == ()
    for caller in (LEGAL, COURT, POLICE):  # every rule carries its role's consent predicate
        assert set(access.consent_rule(caller, T0)) <= set(access.hearing_rule(caller, T0))
    assert set(access.consent_rule(LEGAL, T0)) <= set(access.case_rule(LEGAL, T0))
    assert set(access.consent_rule(LEGAL, T0)) <= set(access.court_case_rule(LEGAL, T0))


def test_a_consent_change_sets_its_own_audience_time_only():
    police = consent_rules.consent_values("referring_police", False, AHEAD, T0)
    assert police == {"share_status_with_referrer": False, "referrer_consent_until": None,
                      "referrer_consent_changed_at": T0}
    legal = consent_rules.consent_values("legal_team", True, AHEAD, PASSED)
    assert legal == {"legal_consent": True, "legal_consent_until": AHEAD,
                     "legal_consent_changed_at": PASSED}
    row = {**police, "legal_consent_changed_at": AHEAD}
    assert consent_rules.last_change_at(row, "referring_police") == T0
    assert consent_rules.last_change_at(row, "legal_team") == AHEAD
    assert consent_rules.ever_changed(row)
    assert not consent_rules.ever_changed({"legal_consent_changed_at": None,
                                           "referrer_consent_changed_at": None})


def test_legal_only_operations():
    access.require_legal(LEGAL)
    for caller in (COURT, SHELTER, POLICE, ADMIN, ANALYST):
        with pytest.raises(Forbidden):
            access.require_legal(caller)


def test_document_moves():
    check_document_move("requested", "submitted")
    check_document_move("submitted", "issued")
    check_document_move("requested", "rejected")
    for current, new in (("requested", "issued"), ("issued", "rejected"), ("rejected", "submitted")):
        with pytest.raises(IllegalTransition):
            check_document_move(current, new)
