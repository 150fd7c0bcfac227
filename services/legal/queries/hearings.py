"""Hearings: one query with the court case and the referral's consent joined, each caller's
slice from ``access.hearing_rule``, and the dict a row becomes."""

from datetime import datetime

from sqlalchemy import and_, select
from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.timeutil import aware

from ..domain import access
from ..domain.inputs import check_id
from ..tables import cases, court_cases, eligible, hearings
from .eligibility import CONSENT_COLUMNS
from .filters import rule_clause

COLUMNS = {**CONSENT_COLUMNS, "court": hearings.c.court}


def with_referral():
    """Hearings with their court case number, legal case and referral (consent included)."""
    return (select(hearings, court_cases.c.case_number, court_cases.c.case_id, cases.c.reference,
                   *CONSENT_COLUMNS.values())
            .join(court_cases, court_cases.c.id == hearings.c.court_case_id)
            .join(cases, cases.c.id == court_cases.c.case_id)
            .join(eligible, eligible.c.reference == cases.c.reference))


def visible(caller: Caller, now: datetime):
    """The hearings ``caller`` sees at ``now``: ``access.hearing_rule`` as SQL."""
    return with_referral().where(rule_clause(access.hearing_rule(caller, now), COLUMNS))


def hearing_dict(row) -> dict:
    """A hearing row as a dict, its start aware in UTC."""
    data = dict(row._mapping)
    data["starts_at"] = aware(data["starts_at"])
    data["attendance_required"] = bool(data["attendance_required"])
    return data


def hearing(s: WriteTransaction, hearing_id: str) -> dict:
    """One hearing (known to exist)."""
    return hearing_dict(s.execute(with_referral().where(hearings.c.id == hearing_id)).first())


def hearing_for_outcome(s: WriteTransaction, caller: Caller, hearing_id: str, now: datetime) -> dict:
    """The hearing, locked, if ``caller`` may record its outcome (``access.require_hearing``:
    the legal team while consent to legal help stands, or the court it is at)."""
    row = s.execute(with_referral()
                    .where(hearings.c.id == check_id(hearing_id, "hearing_id"),
                           rule_clause(access.court_case_rule(caller, now), COLUMNS))
                    .with_for_update(of=hearings)).first()
    return access.require_hearing(caller, hearing_dict(row) if row else None, hearing_id, now)


def due_for_reminder(after: datetime, until: datetime, limit: int):
    """Scheduled hearings the survivor must attend, starting in (after, until], not yet reminded,
    soonest first (``hearings.reminder_window`` gives the bounds)."""
    return (with_referral().where(and_(hearings.c.status == "scheduled",
                                       hearings.c.attendance_required.is_(True),
                                       hearings.c.reminder_sent_at.is_(None),
                                       hearings.c.starts_at > after,
                                       hearings.c.starts_at <= until))
            .order_by(hearings.c.starts_at).limit(limit))
