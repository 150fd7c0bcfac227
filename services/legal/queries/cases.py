"""Legal cases and what hangs off them (sessions, notes, documents, disputes, what the shelter
referred): every read goes through ``access.case_rule`` (the legal team, while the survivor's
consent to legal help stands), as SQL; and the dicts rows become."""

from datetime import datetime

from sqlalchemy import Table, insert, select
from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.errors import NotFound
from services.common.timeutil import iso

from ..domain import access
from ..domain.inputs import check_id
from ..tables import (case_status_history, cases, eligible, lawyer_history,
                      referral_requests)
from .eligibility import CONSENT_COLUMNS
from .filters import rule_clause


def _seen(caller: Caller, now: datetime):
    """SQL: ``access.case_rule`` for the joined eligible row at ``now``."""
    return rule_clause(access.case_rule(caller, now), CONSENT_COLUMNS)


def visible(caller: Caller, now: datetime):
    """Legal cases with their referral's consent, cut to what ``caller`` sees."""
    return (select(cases, *CONSENT_COLUMNS.values())
            .join(eligible, eligible.c.reference == cases.c.reference)
            .where(_seen(caller, now)))


def whom_it_concerns(s: WriteTransaction, case_id: str) -> dict:
    """Who a legal case's events name (v2): its lawyer (a user id) and the shelter provider that
    accepted the referral (null when learnt from a v1 acceptance)."""
    row = s.execute(select(cases.c.lawyer, eligible.c.shelter_agency)
                    .join(eligible, eligible.c.reference == cases.c.reference)
                    .where(cases.c.id == case_id)).first()
    return {"lawyer": row.lawyer if row else None,
            "shelter_agency": row.shelter_agency if row else None}


def _one(s: WriteTransaction, caller: Caller, query, now: datetime, missing: str, field: str):
    """The one row of ``query`` if ``caller`` sees it (checked again in memory), else
    ``NotFound`` with the same answer as for an id that does not exist."""
    row = s.execute(query).first()
    if row is None or not access.sees_case(caller, row._mapping, now):
        raise NotFound(missing, field=field)
    return row


def case_row(s: WriteTransaction, caller: Caller, case_id: str, now: datetime):
    """The case, if ``caller`` sees it (consent to legal help stands); else ``NotFound``."""
    query = visible(caller, now).where(cases.c.id == check_id(case_id, "case_id"))
    return _one(s, caller, query, now, f"no legal case {case_id}", "case_id")


def part_row(s: WriteTransaction, caller: Caller, table: Table, part_id: str, now: datetime, missing: str,
             field: str):
    """A part of a legal case (document request, labour dispute), locked, with its referral's
    reference, if ``caller`` sees its case; else ``NotFound``."""
    query = (select(table, cases.c.reference, *CONSENT_COLUMNS.values())
             .join(cases, cases.c.id == table.c.case_id)
             .join(eligible, eligible.c.reference == cases.c.reference)
             .where(table.c.id == check_id(part_id, field), _seen(caller, now))
             .with_for_update(of=table))
    return _one(s, caller, query, now, f"{missing} {part_id}", field)


def referral_requests_seen(caller: Caller, now: datetime):
    """What the shelter referred to the legal team, for referrals whose consent stands."""
    return (select(referral_requests)
            .join(eligible, eligible.c.reference == referral_requests.c.reference)
            .where(_seen(caller, now)))


def case_summary(r) -> dict:
    """A legal case without its parts (``closed_at`` and ``closure_reason`` null while open)."""
    return {"case_id": r.id, "reference": r.reference, "lawyer": r.lawyer, "status": r.status,
            "opened_at": iso(r.opened_at), "opened_by": r.opened_by,
            "closed_at": iso(r.closed_at), "closure_reason": r.closure_reason}


def record(s: WriteTransaction, table: Table, row: dict) -> None:
    """Add a history row (``legal_case.status_change`` or ``legal_case.lawyer_change``)."""
    s.execute(insert(table).values(**row))


def status_history(s: WriteTransaction, case_id: str) -> list[dict]:
    """Every status change of a legal case, oldest first."""
    rows = s.execute(select(case_status_history).where(case_status_history.c.case_id == case_id)
                     .order_by(case_status_history.c.id)).all()
    return [{"from": r.from_status, "to": r.to_status, "reason_code": r.reason_code,
             "at": iso(r.at), "by": r.by_user, "role": r.by_role} for r in rows]


def lawyers(s: WriteTransaction, case_id: str) -> list[dict]:
    """Every lawyer a legal case was assigned to, oldest first."""
    rows = s.execute(select(lawyer_history).where(lawyer_history.c.case_id == case_id)
                     .order_by(lawyer_history.c.id)).all()
    return [{"from": r.from_lawyer, "to": r.to_lawyer, "reason_code": r.reason_code,
             "at": iso(r.at), "by": r.by_user} for r in rows]


def session_view(r) -> dict:
    """A counselling session."""
    return {"session_id": r.id, "held_on": r.held_on.isoformat(), "topic": r.topic, "lawyer": r.lawyer}
