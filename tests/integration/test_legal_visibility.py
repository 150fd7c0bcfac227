"""The SQL filter of who sees which hearing, on real SQLite and PostgreSQL: it honours the same
cases as the in-memory rule (tests/unit/test_legal_rules.py), consent end dates and withdrawn
legal consent included, because both come from ``access.hearing_rule``."""

from datetime import timedelta

import pytest
from sqlalchemy import insert

from services.legal.domain import access
from services.legal.queries import hearings as hearing_queries
from services.legal.tables import cases, court_cases, eligible, hearings
from tests.unit.test_legal_rules import (ADMIN, ANALYST, CONSENT_CASES, COURT, HEARING, LEGAL,
                                         OTHER_COURT, OTHER_POLICE, OTHER_SHELTER, POLICE, SHELTER,
                                         T0)

CALLERS = (LEGAL, COURT, OTHER_COURT, SHELTER, OTHER_SHELTER, POLICE, OTHER_POLICE, ADMIN, ANALYST)
REFERRAL = {k: HEARING[k] for k in ("referring_agency", "share_status_with_referrer", "shelter_agency")}


@pytest.fixture
def db(databases):
    return databases.database(databases.migrated("legal"))


def _store(db, i: int, consent: dict) -> str:
    """One referral with ``consent`` applied, its legal case, court case and one hearing."""
    reference, case_id, court_case_id, hearing_id = (f"RN-TEST-0000-0000-{i:04d}", f"{i:032x}",
                                                     f"{i + 1000:032x}", f"{i + 2000:032x}")
    with db.write() as s:
        s.execute(insert(eligible).values(reference=reference, status="eligible", eligible_since=T0,
                                          updated_at=T0, **{**REFERRAL, **consent}))
        s.execute(insert(cases).values(id=case_id, reference=reference, lawyer="lawyer.one",
                                       status="open", opened_at=T0, opened_by="lawyer.one",
                                       updated_at=T0))
        s.execute(insert(court_cases).values(
            id=court_case_id, case_id=case_id, court=HEARING["court"], case_number=f"{i}/2026",
            charges="[]", standing="victim", status="filed", created_at=T0, updated_at=T0))
        s.execute(insert(hearings).values(
            id=hearing_id, court_case_id=court_case_id, court=HEARING["court"],
            starts_at=T0 + timedelta(days=9), time_zone="Asia/Baghdad", purpose="Testimony",
            attendance_required=True, status="scheduled", created_at=T0, updated_at=T0))
    return hearing_id


def _visible(db, caller) -> set[str]:
    with db.read() as s:
        return {r.id for r in s.execute(hearing_queries.visible(caller, T0)).all()}


def test_the_query_honours_every_case_of_the_rule(db):
    stored = [(_store(db, i, consent), caller, sees)
              for i, (caller, consent, sees) in enumerate(CONSENT_CASES)]
    for hearing_id, caller, sees in stored:
        assert (hearing_id in _visible(db, caller)) is sees, (caller.role, hearing_id)


def test_the_query_and_the_in_memory_check_agree_for_every_caller(db):
    for i, (_caller, consent, _sees) in enumerate(CONSENT_CASES):
        _store(db, i, consent)
    with db.read() as s:
        rows = [hearing_queries.hearing_dict(r) for r in s.execute(hearing_queries.with_referral()).all()]
    assert len(rows) == len(CONSENT_CASES)
    for caller in CALLERS:
        expected = {h["id"] for h in rows if access.sees_hearing(caller, h, T0)}
        assert _visible(db, caller) == expected, caller.role
    assert _visible(db, ADMIN) == _visible(db, ANALYST) == set()
