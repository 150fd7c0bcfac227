"""Fixtures and helpers of the legal integration tests (kept apart from conftest.py, which
another change is editing). Import after the package conftest has monkey-patched eventlet."""

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, inspect, select, text

from services.common.caller import Caller
from services.contracts.envelope import make_event
from services.contracts.references import random_reference
from services.legal import usecases as legal_app
from services.legal.tables import outbox as legal_outbox

LEGAL = Caller("lawyer.one", "legal", "erbil-legal-aid")
COURT = Caller("clerk.one", "court", "erbil-criminal-court")
OTHER_COURT = Caller("clerk.two", "court", "duhok-criminal-court")
SHELTER = Caller("staff.one", "shelter", "erbil-shelter")
POLICE = Caller("officer.one", "police", "erbil-tip-unit")
OTHER_POLICE = Caller("officer.two", "police", "duhok-tip-unit")
ADMIN = Caller("admin.one", "admin", "refnet-admin")
ANALYST = Caller("analyst.one", "analyst", "refnet-analytics")
ALL = (LEGAL, COURT, OTHER_COURT, SHELTER, POLICE, OTHER_POLICE, ADMIN, ANALYST)


def count(db, table) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(table)).scalar_one()


def table_dump(db) -> str:
    """Every row of every table as text, to compare before and after."""
    parts = []
    with db.engine.connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                parts.append(f"{table}: {tuple(str(v) for v in row)}")
    return "\n".join(sorted(parts))


NOTE = "Strategy: the employer's lawyer will argue consent; keep the contract"


def accepted_event(reference: str, *, legal_consent=True, share_status=True, version=2) -> dict:
    payload = {"reference": reference, "decided_at": datetime.now(timezone.utc),
               "legal_consent": legal_consent}
    if version == 2:
        payload.update(referring_agency=POLICE.agency, share_status_with_referrer=share_status,
                       shelter_agency=SHELTER.agency)
    return make_event("referral.accepted", payload, source="referral", version=version)


def local(dt: datetime) -> str:
    """A UTC instant as Baghdad wall time (UTC+3, no daylight saving), as a client sends it."""
    return (dt + timedelta(hours=3)).replace(tzinfo=None).isoformat(timespec="seconds")


def open_case_with_court_case(db, *, reference=None, share_status=True, court="erbil-criminal-court"):
    reference = reference or random_reference()
    legal_app.apply_event(db, accepted_event(reference, share_status=share_status))
    case = legal_app.open_case(db, LEGAL, reference, "lawyer.one")
    court_case = legal_app.file_court_case(db, LEGAL, case["case_id"], court,
                                           f"{reference[-4:]}/2026", [{"statute": "law-6-2018"}],
                                           "victim", "investigation")
    return reference, case, court_case


def outbox_events(db, event_type=None) -> list[dict]:
    with db.read() as s:
        rows = s.execute(select(legal_outbox.c.body).order_by(legal_outbox.c.id)).all()
    events = [json.loads(r.body) for r in rows]
    return [e for e in events if event_type is None or e["type"] == event_type]
