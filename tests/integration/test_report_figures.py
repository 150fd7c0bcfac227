"""Each service's report RPC use case on real SQLite and PostgreSQL.

Times are set with a test clock handed to every use case (as `refnet demo-year` moves the demo
clock of a running network), so the stored dates fall in and out of the period at will.
Each answer holds counts and quartiles only.
"""

import json
from datetime import datetime, timedelta, timezone

import pytest

from services.common.caller import Caller
from services.common.clock import FixedClock, SystemClock
from services.common.errors import Forbidden, InvalidInput
from services.contracts.envelope import make_event
from services.legal import usecases as legal_app
from services.legal import report as legal_report
from services.referral import usecases as referral_app
from services.shelter import usecases as shelter_app
from services.shelter.usecases import care_plans as care
from services.shelter.usecases import report as shelter_report
from tests.integration.conftest import intake_command, submission

ANALYST = Caller("analyst.one", "analyst", "refnet-analytics")
MANAGER = Caller("manager.one", "shelter", "erbil-shelter")
ADMIN = Caller("admin.one", "admin", "refnet-admin")
LAWYER = Caller("lawyer.one", "legal", "erbil-legal-aid")
POLICE = Caller("officer.one", "police", "erbil-police")
DAY0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
PERIOD = ("2025-03-01", "2025-03-31")
CLOCK = SystemClock()  # the referral use cases' clock


class DayClock(FixedClock):
    """A test clock: ``clock(day)`` stops it at DAY0 + day days and returns that time."""

    def __call__(self, day: float) -> datetime:
        self.set(DAY0 + timedelta(days=day))
        return self.now()


@pytest.fixture
def clock():
    return DayClock(DAY0)


def _json_safe(answer):
    json.dumps(answer)  # what crosses the broker: plain data
    return answer


def test_referral_figures(databases, keys, clock):
    db = databases.database(databases.migrated("referral"))
    refs = []
    people = [("female", 30, "ET", ["labour"]), ("female", 15, "ET", ["sexual", "labour"]),
              ("male", 40, "BD", ["labour"]), ("female", 25, "PH", ["sexual"])]
    for i, (sex, age, nationality, forms) in enumerate(people):
        body = submission(sex=sex, age=age)
        body["survivor"]["nationality"], body["exploitation_types"] = nationality, forms
        if age < 18:
            body["consent"]["basis"] = "best_interest"
        command = intake_command(keys.intake_public, body, agency="directorate" if i < 3 else "police")
        command["submitted_at"] = clock(i).isoformat()
        refs.append(referral_app.submit(db, CLOCK, keys.cipher, keys.intake_private, command)[0])
    # one submitted the day after the period: not counted
    late = intake_command(keys.intake_public, submission(), agency="directorate")
    late["submitted_at"] = clock(31).isoformat()
    referral_app.submit(db, CLOCK, keys.cipher, keys.intake_private, late)

    def shelter_event(kind, ref, day, **payload):
        at = DAY0 + timedelta(days=day)
        base = {"reference": ref, "agency": "erbil-shelter"}
        if kind == "received":
            body = {**base, "received_at": at}
        elif kind in ("accepted", "declined"):
            body = {**base, "decided_at": at, "reason_code": payload.get("reason_code")}
            kind = f"referral_{kind}"
        else:
            body = {**base, "admission_id": payload["admission_id"], "facility": "f-1",
                    "population_group": "women", "beds": 1, f"{kind}_at": at,
                    **({"case_manager": "cm.one"} if kind == "admitted" else {"outcome": "repatriated"})}
        kind = kind if kind.startswith("referral_") or kind in ("admitted", "discharged") else "referral_received"
        assert referral_app.apply_event(db, CLOCK, make_event(f"shelter.{kind}", body, source="shelter"))

    for i, ref in enumerate(refs):
        shelter_event("received", ref, i + 0.1)
    for i, ref in enumerate(refs[:3]):                    # three accepted 2 days after referral
        shelter_event("accepted", ref, i + 2)
        shelter_event("admitted", ref, i + 3, admission_id=i + 1)
    shelter_event("declined", refs[3], 4.5, reason_code="no_bed_in_group")   # 1.5 days
    shelter_event("discharged", refs[0], 20, admission_id=1)

    answer = _json_safe(referral_app.report_figures(db, ANALYST, *PERIOD))
    assert answer["referrals"] == {"total": 4, "by_source": {
        "directorate": {"accepted": 3}, "police": {"declined": 1}}}
    served = answer["served"]
    assert served["total"] == 3
    assert served["by_sex_age"] == {"female": {"adult": 1, "child": 1}, "male": {"adult": 1}}
    assert served["by_nationality"] == {"BD": 1, "ET": 2}
    assert served["by_exploitation"] == {"labour": 2, "labour_and_sexual": 1}
    assert answer["durations"]["referral_to_decision"] == {"n": 4, "q1": 1.9, "median": 2.0, "q3": 2.0}
    assert answer["durations"]["referral_to_admission"] == {"n": 3, "q1": 3.0, "median": 3.0, "q3": 3.0}
    # discharged on 21 March: served on that day, not in a period that starts the day after
    assert referral_app.report_figures(db, MANAGER, "2025-03-21", "2025-03-31")["served"]["total"] == 3
    assert referral_app.report_figures(db, MANAGER, "2025-03-22", "2025-03-31")["served"]["total"] == 2
    # several periods in one read (a public report's 17) answer what each does alone
    several = [PERIOD, ("2025-03-21", "2025-03-31"), ("2025-03-22", "2025-03-31"),
               ("2025-03-01", "2025-03-02"), ("2025-02-01", "2025-02-28"), ("2025-04-01", "2025-04-30")]
    together = referral_app.report_figures_for(db, MANAGER, several)
    assert together == [referral_app.report_figures(db, MANAGER, *p) for p in several]
    assert [(f["referrals"]["total"], f["served"]["total"]) for f in together] == [
        (4, 3), (0, 3), (0, 2), (2, 0), (0, 0), (1, 2)]
    assert referral_app.report_figures_for(db, ANALYST, [PERIOD])[0] == answer
    for who in (POLICE, LAWYER, ADMIN):
        with pytest.raises(Forbidden):
            referral_app.report_figures(db, who, *PERIOD)
    with pytest.raises(InvalidInput) as bad:
        referral_app.report_figures(db, ANALYST, "2025-03-31", "2025-03-01")
    assert bad.value.field == "to"


def test_shelter_figures(databases, clock):
    db = databases.database(databases.migrated("shelter"))
    clock(-10)
    shelter_app.register_facility(db, ADMIN, "f-1", "Report shelter", provider="erbil-shelter", now=clock.now())
    shelter_app.set_capacity(db, ADMIN, "f-1", "women", 10, now=clock.now())
    clock(15)
    shelter_app.set_capacity(db, ADMIN, "f-1", "women", 20, now=clock.now())  # from day 15: 20 beds
    admissions = []
    for i in range(3):
        ref = f"RN-AAAA-BBBB-CCCC-DDD{'FGH'[i]}"
        clock(i)
        assert shelter_app.apply_event(db, make_event("referral.submitted", {
            "reference": ref, "population_group": "women", "urgency": "urgent",
            "needs": ["shelter"], "children_count": 0, "beds_needed": 1,
            "referring_agency": "directorate", "submitted_at": clock(i),
            "survivor_minor": False}, source="referral"),
            agency="erbil-shelter", now=clock.now())
        shelter_app.decide(db, MANAGER, ref, "accept", None, now=clock.now())
        at = clock(i + 1)
        admissions.append(shelter_app.admit(db, MANAGER, "f-1", ref, "cm.one", now=at))
    plan = admissions[0]["plan_id"]
    clock(3)                                              # day 3: on time (due day 8)
    care.complete_milestone(db, MANAGER, plan, "legal_rights_briefing", clock(3))
    clock(12)                                             # day 12: late
    care.complete_milestone(db, MANAGER, plan, "plan_agreed", clock(12))
    clock(11)
    shelter_app.discharge(db, MANAGER, "f-1", admissions[0]["admission_id"], "repatriated",
                          now=clock.now())

    answer = _json_safe(shelter_report.report_figures(db, ANALYST, *PERIOD))
    assert answer["admissions"] == {"total": 3, "by_group": {"women": 3, "men": 0, "children": 0}}
    assert answer["discharges"]["total"] == 1 and answer["discharges"]["by_outcome"]["repatriated"] == 1
    assert answer["length_of_stay"]["n"] == 1 and answer["length_of_stay"]["mean_days"] == 10.0
    assert answer["occupancy"]["residents"] == 3
    assert answer["occupancy"]["capacity_bed_nights"] == 15 * 10 + 16 * 20  # 20 from 16 March
    # 10 days (day 1 to 11, 09:00) + two stays from days 2 and 3 at 09:00 to the end of March
    assert answer["occupancy"]["occupied_bed_nights"] == pytest.approx(10 + 29 + 28 - 2 * 9 / 24, abs=0.1)
    ms = answer["milestones"]
    assert ms["legal_rights_briefing"] == {"on_time": 1, "late": 0, "not_done": 2}
    assert ms["plan_agreed"] == {"on_time": 0, "late": 1, "not_done": 2}
    assert ms["psychological_screening"] == {"on_time": 0, "late": 0, "not_done": 3}
    # several periods in one read (a public report's 17) answer what each does alone: cut at
    # an admission's day (day 1 = 2 March), the discharge's (day 11 = 12 March), a milestone's
    # due day and the capacity change's (day 15 = 16 March)
    several = [PERIOD, ("2025-03-01", "2025-03-01"), ("2025-03-02", "2025-03-12"),
               ("2025-03-12", "2025-03-16"), ("2025-03-17", "2025-03-31"),
               ("2025-02-01", "2025-02-28"), ("2025-03-01", "2025-04-30")]
    together = shelter_report.report_figures_for(db, MANAGER, several)  # staff: any days
    assert together == [shelter_report.report_figures_for(db, MANAGER, [p])[0] for p in several]
    assert shelter_report.report_figures_for(db, ANALYST, [PERIOD, ("2025-02-01", "2025-02-28")]
                                             ) == [answer, together[5]]
    assert [(f["admissions"]["total"], f["discharges"]["total"], f["occupancy"]["residents"])
            for f in together] == [(3, 1, 3), (0, 0, 0), (3, 1, 3), (0, 1, 3), (0, 0, 2),
                                   (0, 0, 0), (3, 1, 3)]
    with pytest.raises(Forbidden):
        shelter_report.report_figures(db, POLICE, *PERIOD)


def test_legal_figures(databases, clock):
    db = databases.database(databases.migrated("legal"))
    verdicts = ("convicted", "acquitted", None)
    for i, verdict in enumerate(verdicts):
        ref = f"RN-AAAA-BBBB-CCCC-DDD{'FGH'[i]}"
        legal_app.apply_event(db, make_event("referral.accepted", {
            "reference": ref, "decided_at": clock(i), "legal_consent": True,
            "referring_agency": "erbil-police", "share_status_with_referrer": True,
            "shelter_agency": "erbil-shelter"}, source="referral", version=2), clock=clock)
        clock(i + 1)
        case = legal_app.open_case(db, LAWYER, ref, "lawyer.one", clock=clock)
        clock(i + 2)
        court = legal_app.file_court_case(db, LAWYER, case["case_id"], "erbil-criminal-court",
                                          f"C/{i}", [{"statute": "law-6-2018", "description": "TIP"}],
                                          "victim", "filed", clock=clock)
        if verdict:
            clock(i + 5)
            legal_app.change_court_status(db, LAWYER, court["court_case_id"], "trial", clock=clock)
            clock(i + 40 if verdict == "acquitted" else i + 9)   # the acquittal comes in April
            legal_app.change_court_status(db, LAWYER, court["court_case_id"], "verdict", verdict,
                                          clock=clock)
    answer = _json_safe(legal_report.report_figures(db, ANALYST, *PERIOD))
    assert answer["legal_cases_opened"] == 3
    outcomes = {k: v for k, v in answer["court_cases"]["by_outcome"].items() if v}
    assert outcomes == {"convicted": 1, "trial": 1, "filed": 1}   # as it stood on 31 March
    april = legal_report.report_figures(db, MANAGER, "2025-03-01", "2025-04-30")
    assert {k: v for k, v in april["court_cases"]["by_outcome"].items() if v} == {
        "convicted": 1, "acquitted": 1, "filed": 1}
    # several periods in one read answer what each does alone (cut at the days cases opened)
    several = [PERIOD, ("2025-03-01", "2025-04-30"), ("2025-03-02", "2025-03-03"),
               ("2025-03-04", "2025-03-31"), ("2025-04-01", "2025-04-30")]
    together = legal_report.report_figures_for(db, MANAGER, several)  # staff: any days
    assert together == [legal_report.report_figures_for(db, MANAGER, [p])[0] for p in several]
    assert together[1] == april
    assert legal_report.report_figures_for(db, ANALYST, [PERIOD, ("2025-04-01", "2025-04-30")]
                                           ) == [answer, together[4]]
    assert [(f["legal_cases_opened"], f["court_cases"]["total"]) for f in together] == [
        (3, 3), (3, 3), (2, 1), (1, 2), (0, 0)]
    with pytest.raises(Forbidden):
        legal_report.report_figures(db, LAWYER, *PERIOD)


def test_backfill_fills_codes_of_referrals_recorded_before_them(databases, keys):
    from sqlalchemy import select, update

    from services.referral.tables import referrals
    db = databases.database(databases.migrated("referral"))
    refs = []
    for sex, age in (("female", 30), ("male", 16), ("female", 45)):
        body = submission(sex=sex, age=age)
        if age < 18:
            body["consent"]["basis"] = "best_interest"
        refs.append(referral_app.submit(db, CLOCK, keys.cipher, keys.intake_private,
                                        intake_command(keys.intake_public, body))[0])
    with db.write() as s:   # as if recorded before migration 0004; the third one anonymised
        s.execute(update(referrals).values(stat_sex=None, stat_age_band=None,
                                           stat_nationality=None, stat_exploitation=None))
        s.execute(update(referrals).where(referrals.c.reference == refs[2]).values(
            anonymised_at=DAY0, file_ciphertext=keys.cipher.encrypt(b"{}")))
    assert referral_app.backfill_report_codes(db, CLOCK, keys.cipher) == 2
    assert referral_app.backfill_report_codes(db, CLOCK, keys.cipher) == 0   # nothing left to fill
    with db.read() as s:
        rows = {r.reference: (r.stat_sex, r.stat_age_band, r.stat_nationality, r.stat_exploitation)
                for r in s.execute(select(referrals))}
    assert rows[refs[0]] == ("female", "adult", "IQ", "labour")
    assert rows[refs[1]] == ("male", "child", "IQ", "labour")
    assert rows[refs[2]] == (None, None, None, None)    # no file left: counted as unknown


def test_analysts_get_whole_calendar_periods_only(databases):
    """Each service refuses an analyst a day range (the public audience's figures could be
    subtracted from each other); shelter staff keep any day range."""
    figures = {"referral": referral_app.report_figures, "shelter": shelter_report.report_figures,
               "legal": legal_report.report_figures}
    for service, report_figures in figures.items():
        db = databases.database(databases.migrated(service))
        for first, last, field in (("2025-03-01", "2025-03-30", "to"),
                                   ("2025-03-02", "2025-03-31", "from")):
            with pytest.raises(InvalidInput) as cut:
                report_figures(db, ANALYST, first, last)
            assert cut.value.field == field, service
        assert report_figures(db, ANALYST, "2025-01-01", "2025-03-31")["period"]["to"] == "2025-03-31"
        assert report_figures(db, MANAGER, "2025-03-01", "2025-03-30")["period"]["to"] == "2025-03-30"
