"""Rules about a referral as submitted: population group, beds, consent flags, who may see it."""

from datetime import date, datetime, timedelta, timezone

import pytest

from services.common.caller import Caller
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.contracts.submission import ReferralSubmissionSchema
from services.referral.domain import referral as rules

ON = date(2026, 11, 20)


def submission(sex="female", *, age=None, birth_year=None, children=(), **consent):
    survivor = {"sex": sex}
    if age is not None:
        survivor["age"] = age
    if birth_year is not None:
        survivor["birth_year"] = birth_year
    return {"survivor": survivor, "identified_on": ON, "children": list(children),
            "urgency": "urgent", "needs": ["shelter"],
            "consent": {"given": True, "basis": "informed_consent", **consent}}


# --- population group and beds -------------------------------------------------------------------

@pytest.mark.parametrize("case,expected", [
    (submission("female", age=30), "women"),
    (submission("male", age=30), "men"),
    (submission("female", age=17), "children"),
    (submission("male", age=12), "children"),
    (submission("female", age=18), "women"),                 # 18 is adult
    (submission("male", birth_year=1990), "men"),            # age derived from birth year
    (submission("female", birth_year=2010), "children"),     # 16 on the identification date
    (submission("female", age=30, children=[{"sex": "male", "age": 4}]), "children"),
    (submission("male", age=40, children=[{"sex": "female", "age": 9}]), "children"),
])
def test_population_group(case, expected):
    assert rules.population_group(case) == expected


def test_stated_age_wins_over_birth_year():
    case = submission("female", age=16, birth_year=1990)
    assert rules.population_group(case) == "children"


def test_population_group_of_the_canonical_body(body):
    """Adult woman with a child: a family place, counted under children."""
    loaded = ReferralSubmissionSchema().load(body)
    assert rules.population_group(loaded) == "children"


@pytest.mark.parametrize("children,beds", [([], 1), ([{"sex": "male", "age": 3}], 2),
                                           ([{"sex": "male", "age": 3}] * 4, 5)])
def test_beds_needed_counts_every_person(children, beds):
    assert rules.beds_needed(submission(age=30, children=children)) == beds


def test_beds_needed_without_children_key():
    case = submission(age=30)
    del case["children"]
    assert rules.beds_needed(case) == 1


# --- summary ---------------------------------------------------------------------------------------

def test_summary_fields_of_a_family():
    case = submission("female", age=30, children=[{"sex": "male", "age": 4}, {"sex": "female", "age": 7}])
    case["needs"] = ["shelter", "legal"]
    assert rules.summary_fields(case) == {
        "population_group": "children", "urgency": "urgent", "needs": ["shelter", "legal"],
        "children_count": 2, "beds_needed": 3,
        "share_status_with_referrer": True, "share_with_legal": True, "survivor_minor": False,
    }


def test_summary_consent_flags_default_to_true_when_absent():
    summary = rules.summary_fields(submission(age=30))
    assert summary["share_status_with_referrer"] is True
    assert summary["share_with_legal"] is True


def test_summary_consent_flags_follow_the_survivor():
    summary = rules.summary_fields(submission(age=30, share_status_with_referrer=False,
                                              share_with_legal=False))
    assert summary["share_status_with_referrer"] is False
    assert summary["share_with_legal"] is False


def test_schema_defaults_consent_flags_and_summary_keeps_them(body):
    loaded = ReferralSubmissionSchema().load(body)
    assert loaded["consent"]["share_status_with_referrer"] is True
    assert loaded["consent"]["share_with_legal"] is True
    summary = rules.summary_fields(loaded)
    assert (summary["share_status_with_referrer"], summary["share_with_legal"]) == (True, True)


def test_summary_holds_no_personal_data(body):
    loaded = ReferralSubmissionSchema().load(body)
    summary = rules.summary_fields(loaded)
    assert set(summary) == {"population_group", "urgency", "needs", "children_count", "beds_needed",
                            "share_status_with_referrer", "share_with_legal", "survivor_minor"}
    text = repr(summary)
    for personal in ("Amina", "+964", "1998", "Hawre", "Erbil", "ET"):
        assert personal not in text


def test_summary_needs_is_a_copy():
    case = submission(age=30)
    summary = rules.summary_fields(case)
    summary["needs"].append("medical")
    assert case["needs"] == ["shelter"]


# --- who may read what -------------------------------------------------------------------------------

def referral(agency="erbil-police", share_status=True, share_legal=True):
    return {"reference": "RN-ABCD-EFGH-IJKL-MNOP", "referring_agency": agency,
            "share_status_with_referrer": share_status, "share_with_legal": share_legal}


def caller(role, agency="erbil-police"):
    return Caller(user=f"{role}-1", role=role, agency=agency)


@pytest.mark.parametrize("who,record,allowed", [
    (caller("shelter", "erbil-shelter"), referral(), True),
    (caller("shelter", "erbil-shelter"), referral(share_status=False, share_legal=False), True),
    (caller("police"), referral(), True),
    (caller("police", "duhok-police"), referral(), False),            # another agency
    (caller("police"), referral(share_status=False), False),          # survivor said no
    (caller("legal", "legal-aid"), referral(share_legal=True), True),
    (caller("legal", "legal-aid"), referral(share_legal=False), False),
    (caller("court", "erbil-court"), referral(), False),
    (caller("admin", "erbil-police"), referral(), False),
    (caller("analyst", "erbil-police"), referral(), False),
])
def test_may_read_status(who, record, allowed):
    assert bool(rules.may_read_status(who, record)) is allowed


@pytest.mark.parametrize("role,allowed", [("shelter", True), ("police", False), ("legal", False),
                                          ("court", False), ("admin", False), ("analyst", False)])
def test_only_shelter_may_read_the_file(role, allowed):
    """Even the referring police agency cannot read the file back once submitted."""
    record = {**referral(), "file_consents": {"*": {"granted": True, "until": None}}}
    assert rules.may_read_file(caller(role), record) is allowed


def test_require_status_access_returns_the_referral():
    record = referral()
    assert rules.require_status_access(caller("police"), record, record["reference"]) is record


@pytest.mark.parametrize("who,record", [
    (caller("police", "duhok-police"), referral()),
    (caller("police"), referral(share_status=False)),
    (caller("legal"), referral(share_legal=False)),
    (caller("court"), referral()),
    (caller("police"), None),
])
def test_require_status_access_hides_existence(who, record):
    """NotFound (not Forbidden): another agency cannot tell a real reference from a made-up one."""
    with pytest.raises(NotFound) as info:
        rules.require_status_access(who, record, "RN-ABCD-EFGH-IJKL-MNOP")
    assert not isinstance(info.value, Forbidden)
    assert info.value.field == "reference"


def test_not_found_for_another_agency_reads_the_same_as_for_no_referral():
    with pytest.raises(NotFound) as other_agency:
        rules.require_status_access(caller("police", "duhok-police"), referral(), "RN-ABCD-EFGH-IJKL-MNOP")
    with pytest.raises(NotFound) as missing:
        rules.require_status_access(caller("police", "duhok-police"), None, "RN-ABCD-EFGH-IJKL-MNOP")
    assert str(other_agency.value) == str(missing.value)


@pytest.mark.parametrize("who,record,allowed", [
    (caller("police"), referral(), True),
    (caller("police"), referral(share_status=False), True),   # withdrawing needs no status sharing
    (caller("police", "duhok-police"), referral(), False),
    (caller("shelter"), referral(), False),
    (caller("admin"), referral(), False),
    (caller("police"), None, False),
])
def test_require_withdraw_access(who, record, allowed):
    if allowed:
        assert rules.require_withdraw_access(who, record, "RN-ABCD-EFGH-IJKL-MNOP") is record
    else:
        with pytest.raises(NotFound):
            rules.require_withdraw_access(who, record, "RN-ABCD-EFGH-IJKL-MNOP")


# --- the caller identity ----------------------------------------------------------------------------

def test_caller_round_trip():
    data = {"user": "u1", "role": "police", "agency": "erbil-police"}
    assert Caller.from_dict(data).to_dict() == data


@pytest.mark.parametrize("data,field", [
    ({"role": "police", "agency": "a"}, "caller"),
    (None, "caller"),
    ({"user": "u", "role": "janitor", "agency": "a"}, "caller.role"),
])
def test_caller_from_bad_dict(data, field):
    with pytest.raises(InvalidInput) as info:
        Caller.from_dict(data)
    assert info.value.field == field


def test_caller_require():
    shelter = caller("shelter")
    shelter.require("shelter", "admin")
    with pytest.raises(Forbidden, match="shelter"):
        shelter.require("admin")


# --- the referral service's clock -------------------------------------------------------------

def test_the_referral_clock_is_the_process_clock_moved_by_the_demo_clock_and_a_test_offset(tmp_path):
    """One clock per process: the referral service records and compares times by the same
    clock every process of the network reads (the demo clock and a test's offset move it)."""
    from datetime import timedelta

    from services.common.clock import SystemClock, process_clock
    from services.referral.settings import SETTINGS
    from .conftest import service_secrets
    demo, offset = tmp_path / "demo", tmp_path / "offset"
    demo.write_text(str(-86400 * 30))
    offset.write_text(str(86400 * 8))
    assert isinstance(process_clock(SETTINGS.load(service_secrets())), SystemClock)
    clock = process_clock(SETTINGS.load(service_secrets(REFNET_DEMO_CLOCK_FILE=str(demo),
                                                        REFNET_TEST_CLOCK_OFFSET_FILE=str(offset))))
    assert clock.offset() == timedelta(days=-22)


def test_a_status_change_tells_codes_and_the_consent_as_it_stands():
    now = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    row = {"reference": "RN-AAAA-BBBB-CCCC-DDDD", "status": "accepted", "referring_agency": "erbil-police",
           "submitted_by": "officer.one", "urgency": "urgent", "share_status_with_referrer": True,
           "referrer_consent_until": now - timedelta(minutes=1)}
    change = rules.status_change(row, "accepted", "erbil-shelter", now)
    assert change == {"reference": "RN-AAAA-BBBB-CCCC-DDDD", "change": "accepted",
                      "status": "accepted", "agency": "erbil-shelter",
                      "referring_agency": "erbil-police", "submitted_by": "officer.one",
                      "urgency": "urgent", "share_status_with_referrer": False, "changed_at": now}
    assert rules.status_change({**row, "referrer_consent_until": None}, "escalated", "b",
                               now)["share_status_with_referrer"] is True


# --- a minor survivor's guardian and consent (services/referral/domain/minors.py) ----------------

def test_a_minors_grant_is_recorded_with_a_guardian_who_consented():
    from services.common.errors import Conflict, InvalidInput
    from services.referral.domain import minors

    child, adult = {"stat_age_band": "child"}, {"stat_age_band": "adult"}
    assert minors.guardian_consent_of(child, True, True, has_guardian=True) is True
    assert minors.guardian_consent_of(child, False, None, has_guardian=False) is None  # never waits
    assert minors.guardian_consent_of(adult, True, None, has_guardian=False) is None
    with pytest.raises(Conflict) as info:
        minors.guardian_consent_of(child, True, True, has_guardian=False)
    assert info.value.field == "guardian"
    for given in (None, False):
        with pytest.raises(InvalidInput) as info:
            minors.guardian_consent_of(child, True, given, has_guardian=True)
        assert info.value.field == "guardian_consent"
    with pytest.raises(InvalidInput) as info:
        minors.guardian_consent_of(adult, True, True, has_guardian=False)
    assert info.value.field == "guardian_consent"


def test_a_guardian_has_a_name_and_a_known_relationship_and_only_a_minor_has_one():
    from services.common.errors import Conflict, InvalidInput
    from services.referral.domain import minors

    assert minors.check_guardian("  Hana M. ", "relative") == "Hana M."
    for name, relationship, field in (("", "parent", "name"), ("x" * 201, "parent", "name"),
                                      ("Hana", "uncle", "relationship")):
        with pytest.raises(InvalidInput) as info:
            minors.check_guardian(name, relationship)
        assert info.value.field == field
    minors.check_has_guardian_role({"stat_age_band": "child"})
    with pytest.raises(Conflict) as info:
        minors.check_has_guardian_role({"stat_age_band": "adult"})
    assert info.value.field == "reference"
