"""Legal cases (legal team only): eligible referrals and what the shelter referred, opening a
case, the case with all its parts, counselling sessions and notes."""

from sqlalchemy import and_, insert, select, update

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, NotFound
from services.common.inputs import parse_date
from services.common.timeutil import iso
from services.contracts.references import is_reference

from ..domain import access
from ..domain import consent as consent_rules
from ..domain import legal_case as case_rules
from ..domain.inputs import check_text
from ..queries import hearings as hearing_queries
from ..queries import cases as case_queries
from ..queries.cases import (case_row, case_summary, referral_requests_seen, session_view,
                             visible)
from ..queries.court_cases import court_case_dict
from ..queries.documents import dispute_view, document_view
from ..queries.eligibility import eligible_row
from ..queries.filters import MAX_ROWS
from ..tables import (case_status_history, cases, court_cases, disputes, documents, eligible,
                      hearings, lawyer_history, notes, referral_requests, sessions)
from .common import emit, new_id, now_of


def list_eligible(db: Database, caller: Caller, *, clock=None) -> list[dict]:
    """Eligible referrals; a referral whose survivor withdrew consent to legal help shows as
    ``consent_withdrawn`` and nothing more."""
    caller.require("legal")
    with db.read() as s:
        rows = s.execute(select(eligible).where(eligible.c.status.in_(("eligible", "consent_withdrawn")))
                         .order_by(eligible.c.eligible_since).limit(MAX_ROWS)).all()
    now = now_of(clock)
    return [{"reference": r.reference, "status": consent_rules.shown_status(r._mapping, now),
             "eligible_since": iso(r.eligible_since)} for r in rows]


def list_referral_requests(db: Database, caller: Caller, *, clock=None) -> list[dict]:
    """What the shelter referred to the legal team, newest first (legal team only), for the
    referrals whose survivors' consent to legal help stands."""
    access.require_legal(caller)
    with db.read() as s:
        rows = s.execute(referral_requests_seen(caller, now_of(clock))
                         .order_by(referral_requests.c.received_at.desc()).limit(MAX_ROWS)).all()
    return [{"request_id": r.request_id, "reference": r.reference, "service": r.service,
             "requested_at": iso(r.requested_at), "received_at": iso(r.received_at)} for r in rows]


def open_case(db: Database, caller: Caller, reference: str, lawyer: str,
              correlation_id: str | None = None, *, clock=None) -> dict:
    """Open the legal case of an eligible referral (accepted, with consent to legal help)."""
    access.require_legal(caller)
    if not is_reference(reference):
        raise NotFound("no eligible referral with that reference", field="reference")
    case_rules.check_staff_id(lawyer)  # a user id, as the case's events carry it: never a name
    now = now_of(clock)
    with db.write() as s:
        row = eligible_row(s, reference)
        if row is None or consent_rules.shown_status(row._mapping, now) != "eligible":
            raise NotFound(f"no eligible referral {reference}", field="reference")
        if s.execute(select(cases.c.id).where(cases.c.reference == reference)).first():
            raise Conflict(f"referral {reference} already has a legal case", field="reference")
        case_id = new_id()
        s.execute(insert(cases).values(id=case_id, reference=reference, lawyer=lawyer, status="open",
                                       opened_at=now, opened_by=caller.user, updated_at=now))
        case_queries.record(s, case_status_history, case_rules.status_change(
            case_id, None, "open", None, now, caller.user, caller.role))
        case_queries.record(s, lawyer_history, case_rules.lawyer_change(
            case_id, None, lawyer, None, now, caller.user))
        emit(s, now, "legal.case_opened", {"reference": reference, "case_id": case_id, "opened_at": now},
             correlation_id)
    return {"case_id": case_id, "reference": reference, "lawyer": lawyer, "status": "open",
            "opened_at": iso(now), "opened_by": caller.user, "closed_at": None,
            "closure_reason": None}


def list_cases(db: Database, caller: Caller, *, clock=None) -> list[dict]:
    """The legal cases whose survivors' consent to legal help stands, newest first."""
    access.require_legal(caller)
    with db.read() as s:
        rows = s.execute(visible(caller, now_of(clock))
                         .order_by(cases.c.opened_at.desc()).limit(MAX_ROWS)).all()
    return [case_summary(r) for r in rows]


def get_case(db: Database, caller: Caller, case_id: str, *, clock=None) -> dict:
    """The whole legal case, notes included: for the legal team only."""
    access.require_legal(caller)
    with db.read() as s:
        row = case_row(s, caller, case_id, now_of(clock))
        note_rows = s.execute(select(notes).where(notes.c.case_id == case_id)
                              .order_by(notes.c.created_at)).all()
        session_rows = s.execute(select(sessions).where(sessions.c.case_id == case_id)
                                 .order_by(sessions.c.held_on)).all()
        court_rows = s.execute(select(court_cases).where(court_cases.c.case_id == case_id)
                               .order_by(court_cases.c.created_at)).all()
        hearing_rows = s.execute(hearing_queries.with_referral().where(cases.c.id == case_id)
                                 .order_by(hearings.c.starts_at)).all()
        document_rows = s.execute(select(documents).where(documents.c.case_id == case_id)
                                  .order_by(documents.c.requested_on)).all()
        dispute_rows = s.execute(select(disputes).where(disputes.c.case_id == case_id)
                                 .order_by(disputes.c.opened_on)).all()
        history = case_queries.status_history(s, case_id)
        lawyer_rows = case_queries.lawyers(s, case_id)
    return access.shape("legal_case", caller.role, {
        **case_summary(row),
        "status_history": history,
        "lawyer_history": lawyer_rows,
        "notes": [{"note_id": n.id, "author": n.author, "text": n.text,
                   "created_at": iso(n.created_at)} for n in note_rows],
        "counselling_sessions": [session_view(r) for r in session_rows],
        "court_cases": [access.court_case_view(caller, court_case_dict(r, row.reference))
                        for r in court_rows],
        "hearings": [access.hearing_view(caller, hearing_queries.hearing_dict(h))
                     for h in hearing_rows],
        "documents": [document_view(d) for d in document_rows],
        "labour_disputes": [dispute_view(d) for d in dispute_rows],
    })


def add_session(db: Database, caller: Caller, case_id: str, held_on: str, topic: str,
                lawyer: str | None = None, *, clock=None) -> dict:
    """Record a counselling session of a legal case (by default, held by the caller)."""
    access.require_legal(caller)
    day = parse_date(held_on, "held_on")
    check_text(topic, 200, "topic")
    lawyer = case_rules.check_staff_id(lawyer or caller.user)
    now = now_of(clock)
    with db.write() as s:
        case_row(s, caller, case_id, now)
        session_id = new_id()
        s.execute(insert(sessions).values(id=session_id, case_id=case_id, held_on=day, topic=topic,
                                          lawyer=lawyer, recorded_at=now))
    return {"session_id": session_id, "held_on": day.isoformat(), "topic": topic, "lawyer": lawyer}


def add_note(db: Database, caller: Caller, case_id: str, text: str, *, clock=None) -> dict:
    """A legal note: stored here (encrypted), shown to the legal team only, never in an event
    or a log."""
    access.require_legal(caller)
    check_text(text, 10_000, "text")
    now = now_of(clock)
    with db.write() as s:
        case_row(s, caller, case_id, now)
        note_id = new_id()
        s.execute(insert(notes).values(id=note_id, case_id=case_id, author=caller.user,
                                       text=text, created_at=now))
    return {"note_id": note_id, "author": caller.user, "text": text, "created_at": iso(now)}


def reassign_lawyer(db: Database, caller: Caller, case_id: str, lawyer: str, reason_code: str,
                    *, clock=None) -> dict:
    """Hand an open legal case to another lawyer (a staff id) with a coded reason; the change
    is kept in the case's lawyer history. No event: nobody else keeps the lawyer (the events
    that name one read it at the time they are sent)."""
    access.require_legal(caller)
    now = now_of(clock)
    with db.write() as s:
        row = case_row(s, caller, case_id, now)
        case_rules.check_reassign(row.status, row.lawyer, lawyer, reason_code)
        changed = s.execute(update(cases).where(and_(
            cases.c.id == row.id, cases.c.status == "open", cases.c.lawyer == row.lawyer))
            .values(lawyer=lawyer, updated_at=now)).rowcount
        if changed != 1:  # another request changed the case meanwhile
            raise Conflict("the legal case changed meanwhile; read it again", field="lawyer")
        case_queries.record(s, lawyer_history, case_rules.lawyer_change(
            row.id, row.lawyer, lawyer, reason_code, now, caller.user))
        row = s.execute(select(cases).where(cases.c.id == row.id)).first()
        lawyer_rows = case_queries.lawyers(s, row.id)
    return access.shape("legal_case", caller.role, {**case_summary(row),
                                                    "lawyer_history": lawyer_rows})
