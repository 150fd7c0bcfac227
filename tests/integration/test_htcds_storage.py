"""The HTCDS export over a real database (SQLite and PostgreSQL): which stays a calendar period
holds, each stay's cas_Status at the period's end, codes recorded again replace the old, and
who may ask."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.caller import Caller
from services.common.errors import Forbidden, InvalidInput
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.shelter import usecases as shelter_app

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
AGENCY = "erbil-shelter"
ADMIN = Caller(user="admin.one", role="admin", agency="refnet-admin")
STAFF = Caller(user="cm.one", role="shelter", agency=AGENCY)
ANALYST = Caller(user="analyst.one", role="analyst", agency="refnet-analytics")
CODES = {"methods_of_control": ["DebtBondage"], "types_of_exploitation": ["Forced labour"],
         "country_of_origin": "ET", "countries_of_exploitation": ["IQ"]}
MARCH, APRIL = ("2026-03-01", "2026-03-31"), ("2026-04-01", "2026-04-30")


@pytest.fixture
def shelter_db(databases, db_url):
    db = databases.database(databases.migrated("shelter", db_url))
    shelter_app.register_facility(db, ADMIN, "htcds-shelter", "Shelter", provider=AGENCY, now=T0)
    shelter_app.set_capacity(db, ADMIN, "htcds-shelter", "women", 20, now=T0)
    return db


def _resident(db, codes=CODES) -> dict:
    reference = random_reference()
    shelter_app.apply_event(db, make_event("referral.submitted", {
        "reference": reference, "population_group": "women", "urgency": "urgent",
        "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
        "referring_agency": "erbil-tip-unit", "submitted_at": T0, "survivor_minor": False},
        source="referral"),
        agency=AGENCY, now=T0)
    shelter_app.decide(db, STAFF, reference, "accept", None, now=T0)
    admission = shelter_app.admit(db, STAFF, "htcds-shelter", reference, "cm.one", now=T0)
    shelter_app.set_case_data(db, STAFF, admission["plan_id"], codes, T0)
    return admission


def test_a_period_holds_the_stays_overlapping_it_with_their_status_at_its_end(shelter_db):
    stays = [_resident(shelter_db) for _ in range(12)]
    shelter_app.discharge(shelter_db, STAFF, "htcds-shelter", stays[0]["admission_id"],
                          "reintegrated", now=T0 + timedelta(days=3))
    shelter_app.discharge(shelter_db, STAFF, "htcds-shelter", stays[1]["admission_id"],
                          "transferred", now=T0 + timedelta(days=4))
    shelter_app.discharge(shelter_db, STAFF, "htcds-shelter", stays[2]["admission_id"],
                          "repatriated", now=T0 + timedelta(days=40))  # in April

    march = shelter_app.htcds_export(shelter_db, ANALYST, *MARCH)
    assert march["suppression"]["records"] == 12 and march["suppression"]["suppressed_records"] == 0
    statuses = sorted(r["cas_Status"] for r in march["records"])
    assert statuses == ["Active"] * 10 + ["Closed", "ClosedReferred"]
    assert march["period"] == {"from": MARCH[0], "to": MARCH[1]}

    # April: the two discharged in March are gone; ten stays are fewer than 11: all left out
    april = shelter_app.htcds_export(shelter_db, ANALYST, *APRIL)
    assert (april["suppression"]["records"], april["suppression"]["suppressed_records"]) == (10, 10)
    assert april["records"] == []


def test_codes_recorded_again_replace_the_old(shelter_db):
    stays = [_resident(shelter_db) for _ in range(12)]
    plan_id = stays[0]["plan_id"]
    again = shelter_app.set_case_data(shelter_db, STAFF, plan_id,
                                      {**CODES, "country_of_origin": "SY"}, T0)
    assert again["country_of_origin"] == "SY" and again["methods_of_control"] == ["DebtBondage"]
    march = shelter_app.htcds_export(shelter_db, ANALYST, *MARCH)
    assert march["suppression"]["records"] == 12 and march["suppression"]["suppressed_records"] == 1
    assert {r["prs_Nationality"] for r in march["records"]} == {"ET"}


def test_only_analysts_and_whole_calendar_periods(shelter_db):
    with pytest.raises(Forbidden):
        shelter_app.htcds_export(shelter_db, STAFF, *MARCH)
    with pytest.raises(InvalidInput) as refused:
        shelter_app.htcds_export(shelter_db, ANALYST, "2026-03-02", "2026-03-31")
    assert refused.value.field == "from"
    with pytest.raises(InvalidInput):
        shelter_app.htcds_export(shelter_db, ANALYST, "2026-03-31", "2026-03-01")
