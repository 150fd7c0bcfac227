"""The legal service's use cases: eligibility, legal cases, court cases, hearings, reminders,
documents and labour disputes.

Each use case checks the caller (role and object, services/legal/domain/access.py), applies the
domain rules, and writes the change and the event announcing it in one short transaction
(outbox). Time comes in as ``now`` where a rule depends on it, so tests drive the clock.
"""

import json
import logging
import uuid
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from services.common.messaging import add_to_outbox, first_time
from services.common.timeutil import aware, iso, utcnow
from services.contracts.envelope import UnknownEvent, make_event, parse_event
from services.contracts.references import is_reference
from services.contracts.vocabulary import (DISPUTE_CLAIMS, DISPUTE_STATUSES, DOCUMENT_KINDS,
                                           DOCUMENT_STATUSES)

from .domain import access
from .domain import court_case as court_rules
from .domain import hearings as hearing_rules
from .domain.documents import check_document_move
from .domain import consent as consent_rules
from .domain.eligibility import eligible_on_acceptance
from .tables import (cases, court_cases, court_status_history, disputes, documents, eligible,
                     hearings, notes, outbox, processed_events, referral_requests, sessions)

log = logging.getLogger(__name__)
SOURCE = "legal"
MAX_ROWS = 500


def _new_id() -> str:
    return uuid.uuid4().hex


def _event(s: Session, event_type: str, payload: dict, correlation_id: str | None) -> None:
    add_to_outbox(s, outbox, make_event(event_type, payload, source=SOURCE,
                                        correlation_id=correlation_id))


# --- events from other services ----------------------------------------------------------------

def apply_event(db: Database, body: dict) -> bool:
    """Record eligibility on ``referral.accepted`` (with legal consent), once per event.

    v2 of the event also says who referred, whether the survivor lets them see status, and
    which shelter accepted: the police and shelter slices of hearings rest on these.
    """
    try:
        envelope, payload = parse_event(body)
    except UnknownEvent:
        return False
    if envelope["type"] == "shelter.legal_referral_requested":
        return _on_legal_referral_requested(db, envelope, payload)
    if envelope["type"] not in ("referral.accepted", "referral.withdrawn", "referral.consent_changed"):
        return False
    with db.write() as s:
        if not first_time(s, processed_events, envelope):
            return False
        ref = payload["reference"]
        if envelope["type"] == "referral.consent_changed":
            _apply_consent(s, ref, payload["audience"], payload["granted"], payload.get("until"),
                           payload["changed_at"])
            return True
        known = s.execute(select(eligible).where(eligible.c.reference == ref)).first()
        if envelope["type"] == "referral.accepted" and known is not None and known.referring_agency is None \
                and known.consent_changed_at is not None:
            # consent changed before the acceptance arrived: the later choice wins
            legal_ok = known.legal_consent if known.legal_consent is not None else payload["legal_consent"]
            share = payload.get("share_status_with_referrer")
            s.execute(update(eligible).where(eligible.c.reference == ref).values(
                status="eligible" if legal_ok else "consent_withdrawn",
                eligible_since=payload["decided_at"], updated_at=utcnow(),
                referring_agency=payload.get("referring_agency"),
                share_status_with_referrer=share if known.share_status_with_referrer is None
                else known.share_status_with_referrer,
                shelter_agency=payload.get("shelter_agency")))
        elif envelope["type"] == "referral.accepted":
            if eligible_on_acceptance(payload["legal_consent"]) and not known:
                s.execute(insert(eligible).values(
                    reference=ref, status="eligible", eligible_since=payload["decided_at"],
                    updated_at=utcnow(), referring_agency=payload.get("referring_agency"),
                    share_status_with_referrer=payload.get("share_status_with_referrer"),
                    shelter_agency=payload.get("shelter_agency")))
        elif known:
            s.execute(update(eligible).where(eligible.c.reference == ref)
                      .values(status="withdrawn", updated_at=utcnow()))
    return True


def _on_legal_referral_requested(db: Database, envelope: dict, payload: dict) -> bool:
    """Shelter staff referred a plan item to the legal team: record the reference and the
    service asked for, once per event (and once per request id)."""
    with db.write() as s:
        if not first_time(s, processed_events, envelope):
            return False
        if s.execute(select(referral_requests.c.request_id)
                     .where(referral_requests.c.request_id == payload["request_id"])).first():
            return False
        s.execute(insert(referral_requests).values(
            request_id=payload["request_id"], reference=payload["reference"],
            service=payload["service"], requested_at=payload["requested_at"],
            received_at=utcnow()))
    log.info("legal referral request %s for %s recorded", payload["request_id"], payload["reference"])
    return True


def list_referral_requests(db: Database, caller: Caller) -> list[dict]:
    """What the shelter referred to the legal team, newest first (legal team only)."""
    access.require_legal(caller)
    with db.read() as s:
        rows = s.execute(select(referral_requests).order_by(referral_requests.c.received_at.desc())
                         .limit(MAX_ROWS)).all()
    return [{"request_id": r.request_id, "reference": r.reference, "service": r.service,
             "requested_at": iso(r.requested_at), "received_at": iso(r.received_at)} for r in rows]


def _apply_consent(s: Session, ref: str, audience: str, granted: bool, until, changed_at) -> None:
    """The survivor's latest choice for an audience, applied once, newest wins (the event and
    the gateway's synchronous call may arrive in either order)."""
    until, changed_at = aware(until), aware(changed_at)
    row = s.execute(select(eligible).where(eligible.c.reference == ref)).first()
    if row is not None and row.consent_changed_at is not None and aware(row.consent_changed_at) >= changed_at:
        return  # an older or repeated change
    values = consent_rules.consent_values(audience, granted, until, changed_at)
    if row is None:
        # not accepted yet: remember the choice so a later acceptance cannot undo it
        s.execute(insert(eligible).values(reference=ref, status="pending", eligible_since=changed_at,
                                          updated_at=utcnow(), **values))
        return
    values["status"] = consent_rules.eligible_status(row.status, audience, granted)
    s.execute(update(eligible).where(eligible.c.reference == ref).values(updated_at=utcnow(), **values))


def apply_consent(db: Database, caller: Caller, reference: str, audience: str, granted: bool,
                  until=None, changed_at=None) -> dict:
    """The gateway relays a consent change it just recorded in the referral service, so the
    legal team's very next read honours it (the event covers a missed call)."""
    caller.require("shelter")
    if not is_reference(reference):
        raise NotFound("no such referral", field="reference")
    if audience not in consent_rules.AUDIENCES or not isinstance(granted, bool):
        raise InvalidInput("unknown audience", field="audience")
    when = _parse_when(changed_at) if changed_at else utcnow()
    with db.write() as s:
        _apply_consent(s, reference, audience, granted, _parse_when(until) if until else None, when)
    return {"reference": reference, "audience": audience, "granted": granted}


def _parse_when(value):
    from datetime import datetime as _dt
    try:
        return aware(_dt.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        raise InvalidInput("not a time", field="until") from None


def _legal_consent_ok():
    """SQL: the legal team's consent stands for this eligible row."""
    now = utcnow()
    return and_(or_(eligible.c.legal_consent.is_(None), eligible.c.legal_consent.is_(True)),
                or_(eligible.c.legal_consent_until.is_(None), eligible.c.legal_consent_until > now))


def list_eligible(db: Database, caller: Caller) -> list[dict]:
    """Eligible referrals; a referral whose survivor withdrew consent to legal help shows as
    ``consent_withdrawn`` and nothing more."""
    caller.require("legal")
    with db.read() as s:
        rows = s.execute(select(eligible).where(eligible.c.status.in_(("eligible", "consent_withdrawn")))
                         .order_by(eligible.c.eligible_since).limit(MAX_ROWS)).all()
    now = utcnow()
    return [{"reference": r.reference, "status": consent_rules.shown_status(r._mapping, now),
             "eligible_since": iso(r.eligible_since)} for r in rows]


# --- legal cases (legal team only) -----------------------------------------------------------------

def open_case(db: Database, caller: Caller, reference: str, lawyer: str,
              correlation_id: str | None = None) -> dict:
    """Open the legal case of an eligible referral (accepted, with consent to legal help)."""
    access.require_legal(caller)
    if not is_reference(reference):
        raise NotFound("no eligible referral with that reference", field="reference")
    _check_text(lawyer, 100, "lawyer")
    now = utcnow()
    with db.write() as s:
        row = s.execute(select(eligible).where(eligible.c.reference == reference)).first()
        if row is None or consent_rules.shown_status(row._mapping, now) != "eligible":
            raise NotFound(f"no eligible referral {reference}", field="reference")
        if s.execute(select(cases.c.id).where(cases.c.reference == reference)).first():
            raise Conflict(f"referral {reference} already has a legal case", field="reference")
        case_id = _new_id()
        s.execute(insert(cases).values(id=case_id, reference=reference, lawyer=lawyer, status="open",
                                       opened_at=now, opened_by=caller.user, updated_at=now))
        _event(s, "legal.case_opened", {"reference": reference, "case_id": case_id, "opened_at": now},
               correlation_id)
    return {"case_id": case_id, "reference": reference, "lawyer": lawyer, "status": "open",
            "opened_at": iso(now)}


def list_cases(db: Database, caller: Caller) -> list[dict]:
    access.require_legal(caller)
    with db.read() as s:
        rows = s.execute(select(cases).join(eligible, eligible.c.reference == cases.c.reference)
                         .where(_legal_consent_ok())
                         .order_by(cases.c.opened_at.desc()).limit(MAX_ROWS)).all()
    return [_case_summary(r) for r in rows]


NOTE_PREFIX = "fernet:"


def seal_note(cipher, text: str) -> str:
    """A legal note at rest: Fernet under ``REFNET_FILE_KEYS`` (the service passes its cipher)."""
    return text if cipher is None else NOTE_PREFIX + cipher.encrypt(text.encode()).decode()


def open_note(cipher, stored: str) -> str:
    if not stored.startswith(NOTE_PREFIX):
        return stored  # written before notes were encrypted, or without a cipher (unit use)
    if cipher is None:
        raise RuntimeError("legal notes are encrypted: REFNET_FILE_KEYS is needed")
    return cipher.decrypt(stored[len(NOTE_PREFIX):].encode()).decode()


def rotate_notes(db: Database, cipher) -> int:
    """Re-encrypt every legal note with the newest key (and encrypt any older plain one)."""
    done = 0
    with db.write() as s:
        for n in s.execute(select(notes.c.id, notes.c.text)).all():
            text = open_note(cipher, n.text)
            s.execute(update(notes).where(notes.c.id == n.id).values(text=seal_note(cipher, text)))
            done += 1
    return done


def get_case(db: Database, caller: Caller, case_id: str, cipher=None) -> dict:
    """The whole legal case, notes included: for the legal team only."""
    access.require_legal(caller)
    with db.read() as s:
        row = _case_row(s, case_id)
        note_rows = s.execute(select(notes).where(notes.c.case_id == case_id)
                              .order_by(notes.c.created_at)).all()
        session_rows = s.execute(select(sessions).where(sessions.c.case_id == case_id)
                                 .order_by(sessions.c.held_on)).all()
        court_rows = s.execute(select(court_cases).where(court_cases.c.case_id == case_id)
                               .order_by(court_cases.c.created_at)).all()
        hearing_rows = s.execute(_hearing_query().where(cases.c.id == case_id)
                                 .order_by(hearings.c.starts_at)).all()
        document_rows = s.execute(select(documents).where(documents.c.case_id == case_id)
                                  .order_by(documents.c.requested_on)).all()
        dispute_rows = s.execute(select(disputes).where(disputes.c.case_id == case_id)
                                 .order_by(disputes.c.opened_on)).all()
    return {
        **_case_summary(row),
        "notes": [{"note_id": n.id, "author": n.author, "text": open_note(cipher, n.text),
                   "created_at": iso(n.created_at)} for n in note_rows],
        "counselling_sessions": [_session_view(r) for r in session_rows],
        "court_cases": [access.court_case_view(caller, _court_case_dict(r, row.reference))
                        for r in court_rows],
        "hearings": [access.hearing_view(caller, _hearing_dict(h)) for h in hearing_rows],
        "documents": [_document_view(d) for d in document_rows],
        "labour_disputes": [_dispute_view(d) for d in dispute_rows],
    }


def add_session(db: Database, caller: Caller, case_id: str, held_on: str, topic: str,
                lawyer: str | None = None) -> dict:
    access.require_legal(caller)
    day = _parse_date(held_on, "held_on")
    _check_text(topic, 200, "topic")
    lawyer = lawyer or caller.user
    _check_text(lawyer, 100, "lawyer")
    with db.write() as s:
        _case_row(s, case_id)
        session_id = _new_id()
        s.execute(insert(sessions).values(id=session_id, case_id=case_id, held_on=day, topic=topic,
                                          lawyer=lawyer, recorded_at=utcnow()))
    return {"session_id": session_id, "held_on": day.isoformat(), "topic": topic, "lawyer": lawyer}


def add_note(db: Database, caller: Caller, case_id: str, text: str, cipher=None) -> dict:
    """A legal note: stored here, shown to the legal team only, never in an event or a log."""
    access.require_legal(caller)
    _check_text(text, 10_000, "text")
    now = utcnow()
    with db.write() as s:
        _case_row(s, case_id)
        note_id = _new_id()
        s.execute(insert(notes).values(id=note_id, case_id=case_id, author=caller.user,
                                       text=seal_note(cipher, text), created_at=now))
    return {"note_id": note_id, "author": caller.user, "text": text, "created_at": iso(now)}


# --- court cases --------------------------------------------------------------------------------

def file_court_case(db: Database, caller: Caller, case_id: str, court: str, case_number: str,
                    charges: list, standing: str, status: str = "investigation",
                    correlation_id: str | None = None) -> dict:
    """The legal team records a court case of a legal case (at ``investigation`` or ``filed``)."""
    access.require_legal(caller)
    court_rules.check_court_id(court)
    court_rules.check_case_number(case_number)
    charges = court_rules.normalise_charges(charges)
    court_rules.check_standing(standing)
    court_rules.check_initial(status)
    now = utcnow()
    with db.write() as s:
        case = _case_row(s, case_id)
        clash = s.execute(select(court_cases.c.id).where(and_(
            court_cases.c.court == court, court_cases.c.case_number == case_number))).first()
        if clash:
            raise Conflict(f"court {court} already has a case numbered {case_number}",
                           field="case_number")
        court_case_id = _new_id()
        s.execute(insert(court_cases).values(
            id=court_case_id, case_id=case_id, court=court, case_number=case_number,
            charges=json.dumps(charges), standing=standing, status=status, verdict=None,
            created_at=now, updated_at=now))
        _history(s, court_case_id, status, None, now, caller)
        _event(s, "legal.court_status_changed", {
            "reference": case.reference, "case_id": case_id, "court_case_id": court_case_id,
            "court": court, "status": status, "previous_status": None, "verdict": None,
            "changed_at": now}, correlation_id)
        row = s.execute(select(court_cases).where(court_cases.c.id == court_case_id)).first()
    return access.court_case_view(caller, _court_case_dict(row, case.reference))


def list_court_cases(db: Database, caller: Caller) -> list[dict]:
    """The legal team: every court case; a court: the cases at its own court."""
    if caller.role not in ("legal", "court"):
        raise Forbidden(f"role {caller.role} may not do this")
    query = (select(court_cases, cases.c.reference).join(cases, cases.c.id == court_cases.c.case_id)
             .order_by(court_cases.c.created_at.desc()).limit(MAX_ROWS))
    if caller.role == "court":
        query = query.where(court_cases.c.court == caller.agency)
    else:
        query = query.join(eligible, eligible.c.reference == cases.c.reference).where(_legal_consent_ok())
    with db.read() as s:
        rows = s.execute(query).all()
    return [access.court_case_view(caller, _court_case_dict(r, r.reference)) for r in rows]


def get_court_case(db: Database, caller: Caller, court_case_id: str) -> dict:
    with db.read() as s:
        row = _court_case_for(s, caller, court_case_id)
        hearing_rows = s.execute(_hearing_query().where(hearings.c.court_case_id == court_case_id)
                                 .order_by(hearings.c.starts_at)).all()
        history = s.execute(select(court_status_history)
                            .where(court_status_history.c.court_case_id == court_case_id)
                            .order_by(court_status_history.c.id)).all()
    view = access.court_case_view(caller, row)
    view["status_history"] = [{"status": h.status, "verdict": h.verdict, "at": iso(h.at),
                               "by": h.by_agency} for h in history]
    view["hearings"] = [access.hearing_view(caller, _hearing_dict(h)) for h in hearing_rows]
    return view


def change_court_status(db: Database, caller: Caller, court_case_id: str, status: str,
                        verdict: str | None = None, correlation_id: str | None = None) -> dict:
    """Move a court case along its status machine (the legal team, or the court it is at)."""
    now = utcnow()
    with db.write() as s:
        row = _court_case_for(s, caller, court_case_id, for_update=True)
        court_rules.check_transition(row["status"], status, verdict)
        s.execute(update(court_cases).where(court_cases.c.id == court_case_id)
                  .values(status=status, verdict=verdict if status == "verdict" else row["verdict"],
                          updated_at=now))
        _history(s, court_case_id, status, verdict, now, caller)
        _event(s, "legal.court_status_changed", {
            "reference": row["reference"], "case_id": row["case_id"], "court_case_id": court_case_id,
            "court": row["court"], "status": status, "previous_status": row["status"],
            "verdict": verdict, "changed_at": now}, correlation_id)
        row = _court_case_for(s, caller, court_case_id)
    return access.court_case_view(caller, row)


# --- hearings ----------------------------------------------------------------------------------

def schedule_hearing(db: Database, caller: Caller, court_case_id: str, starts_at: str,
                     time_zone: str, purpose: str, attendance_required: bool,
                     correlation_id: str | None = None, *, now: datetime | None = None) -> dict:
    """Set a hearing of a court case, entered in the court's local time and zone."""
    now = now or utcnow()
    starts_utc = hearing_rules.to_utc(_parse_local(starts_at, "starts_at"), time_zone)
    hearing_rules.check_in_future(starts_utc, now)
    _check_text(purpose, 200, "purpose")
    if not isinstance(attendance_required, bool):
        raise InvalidInput("true or false", field="attendance_required")
    with db.write() as s:
        row = _court_case_for(s, caller, court_case_id, for_update=True)
        if not court_rules.accepts_hearings(row["status"]):
            raise IllegalTransition(f"a court case in {row['status']} takes no hearings",
                                    field="court_case_id")
        hearing_id = _insert_hearing(s, row, starts_utc, time_zone, purpose, attendance_required,
                                     None, now, correlation_id)
        hearing = _hearing_dict(s.execute(_hearing_query().where(hearings.c.id == hearing_id)).first())
    return access.hearing_view(caller, hearing)


def record_outcome(db: Database, caller: Caller, hearing_id: str, outcome: str,
                   note: str | None = None, new_starts_at: str | None = None,
                   time_zone: str | None = None, correlation_id: str | None = None,
                   *, now: datetime | None = None) -> dict:
    """Record what happened at a hearing (the legal team, or the court it is at). A postponement
    keeps the hearing, marked ``postponed``, and sets a new one that points back to it."""
    now = now or utcnow()
    if note is not None:
        _check_text(note, 500, "note")
    with db.write() as s:
        hearing = _hearing_for(s, caller, hearing_id)
        zone_name = time_zone or hearing["time_zone"]
        new_utc = None
        if new_starts_at is not None:
            new_utc = hearing_rules.to_utc(_parse_local(new_starts_at, "new_starts_at"), zone_name,
                                           field="new_starts_at")
        hearing_rules.check_outcome(hearing["status"], outcome, new_utc)
        if new_utc is not None:
            hearing_rules.check_in_future(new_utc, now, field="new_starts_at")
        changed = s.execute(update(hearings).where(and_(hearings.c.id == hearing_id,
                                                        hearings.c.status == "scheduled"))
                            .values(status=outcome, outcome_note=note, updated_at=now)).rowcount
        if changed != 1:  # another request recorded an outcome meanwhile
            raise IllegalTransition("the hearing already has its outcome", field="outcome")
        next_id = None
        if outcome == "postponed":
            court_case = _court_case_for(s, caller, hearing["court_case_id"])
            next_id = _insert_hearing(s, court_case, new_utc, zone_name, hearing["purpose"],
                                      hearing["attendance_required"], hearing_id, now, correlation_id)
        _event(s, "legal.hearing_outcome", {
            "reference": hearing["reference"], "court_case_id": hearing["court_case_id"],
            "hearing_id": hearing_id, "court": hearing["court"], "outcome": outcome,
            "next_hearing_id": next_id, "recorded_at": now}, correlation_id)
        updated = _hearing_dict(s.execute(_hearing_query().where(hearings.c.id == hearing_id)).first())
        view = access.hearing_view(caller, updated)
        if next_id:
            view["next_hearing"] = access.hearing_view(caller, _hearing_dict(
                s.execute(_hearing_query().where(hearings.c.id == next_id)).first()))
    return view


def list_hearings(db: Database, caller: Caller, from_date: str | None = None,
                  to_date: str | None = None) -> list[dict]:
    """Hearings between two dates (inclusive; days in the courts' time zone), each role's slice."""
    if caller.role not in access.HEARING_READERS:
        raise Forbidden(f"role {caller.role} may not read hearings")
    start, end = _date_range(from_date, to_date)
    query = _hearing_query().order_by(hearings.c.starts_at).limit(MAX_ROWS)
    if start is not None:
        query = query.where(hearings.c.starts_at >= start)
    if end is not None:
        query = query.where(hearings.c.starts_at < end)
    # the slice in SQL too, so a large table is not read for a small slice
    if caller.role == "court":
        query = query.where(hearings.c.court == caller.agency)
    elif caller.role == "shelter":
        query = query.where(eligible.c.shelter_agency == caller.agency)
    elif caller.role == "police":
        query = query.where(and_(eligible.c.referring_agency == caller.agency,
                                 eligible.c.share_status_with_referrer.is_(True),
                                 or_(eligible.c.referrer_consent_until.is_(None),
                                     eligible.c.referrer_consent_until > utcnow())))
    elif caller.role == "legal":
        query = query.where(_legal_consent_ok())
    with db.read() as s:
        rows = [_hearing_dict(r) for r in s.execute(query).all()]
    return [access.hearing_view(caller, h) for h in rows if access.sees_hearing(caller, h)]


def send_due_reminders(db: Database, now: datetime,
                       lead: timedelta = hearing_rules.DEFAULT_REMINDER_LEAD,
                       limit: int = 100) -> int:
    """Queue ``legal.hearing_reminder`` for every hearing that became due; return how many.

    Safe with any number of replicas: each reminder is claimed by a conditional update
    (``reminder_sent_at IS NULL``) in the same transaction as its outbox row, so exactly one
    transaction wins a hearing and the event commits with the claim (SQLite serialises writers
    with BEGIN IMMEDIATE; PostgreSQL row locks make the loser see the claim, or skip the row).
    """
    after, until = hearing_rules.reminder_window(now, lead)
    due = (_hearing_query().where(and_(hearings.c.status == "scheduled",
                                       hearings.c.attendance_required.is_(True),
                                       hearings.c.reminder_sent_at.is_(None),
                                       hearings.c.starts_at > after,
                                       hearings.c.starts_at <= until))
           .order_by(hearings.c.starts_at).limit(limit))
    sent = 0
    with db.write() as s:
        if not db.sqlite:
            due = due.with_for_update(of=hearings, skip_locked=True)
        for row in s.execute(due).all():
            hearing = _hearing_dict(row)
            if not hearing_rules.reminder_is_due(
                    status=hearing["status"], attendance_required=hearing["attendance_required"],
                    starts_at=hearing["starts_at"], reminder_sent_at=None, now=now, lead=lead):
                continue
            claimed = s.execute(update(hearings).where(and_(hearings.c.id == hearing["id"],
                                                            hearings.c.reminder_sent_at.is_(None)))
                                .values(reminder_sent_at=now)).rowcount
            if claimed != 1:
                continue
            _event(s, "legal.hearing_reminder", {
                "reference": hearing["reference"], "hearing_id": hearing["id"],
                "court": hearing["court"], "starts_at": hearing["starts_at"],
                "time_zone": hearing["time_zone"],
                "due_at": hearing_rules.reminder_due_at(hearing["starts_at"], lead),
                "sent_at": now}, None)
            sent += 1
    if sent:
        log.info("queued %d hearing reminder(s)", sent)
    return sent


# --- documents and labour disputes (legal team only) -----------------------------------------------

def request_document(db: Database, caller: Caller, case_id: str, kind: str, authority: str,
                     requested_on: str | None = None, correlation_id: str | None = None) -> dict:
    access.require_legal(caller)
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"kind is one of {', '.join(DOCUMENT_KINDS)}", field="kind")
    _check_text(authority, 200, "authority")
    day = _parse_date(requested_on, "requested_on") if requested_on else utcnow().date()
    now = utcnow()
    with db.write() as s:
        case = _case_row(s, case_id)
        document_id = _new_id()
        s.execute(insert(documents).values(id=document_id, case_id=case_id, kind=kind,
                                           authority=authority, status="requested",
                                           requested_on=day, updated_at=now))
        _event(s, "legal.document_status_changed", {
            "reference": case.reference, "document_id": document_id, "kind": kind,
            "status": "requested", "changed_at": now}, correlation_id)
        row = s.execute(select(documents).where(documents.c.id == document_id)).first()
    return _document_view(row)


def change_document_status(db: Database, caller: Caller, document_id: str, status: str,
                           on: str | None = None, correlation_id: str | None = None) -> dict:
    access.require_legal(caller)
    if status not in DOCUMENT_STATUSES:
        raise InvalidInput(f"status is one of {', '.join(DOCUMENT_STATUSES)}", field="status")
    day = _parse_date(on, "on") if on else utcnow().date()
    now = utcnow()
    with db.write() as s:
        row = s.execute(select(documents, cases.c.reference)
                        .join(cases, cases.c.id == documents.c.case_id)
                        .where(documents.c.id == _check_id(document_id, "document_id"))
                        .with_for_update()).first()
        if row is None:
            raise NotFound(f"no document request {document_id}", field="document_id")
        check_document_move(row.status, status)
        s.execute(update(documents).where(documents.c.id == document_id)
                  .values(status=status, updated_at=now, **{f"{status}_on": day}))
        _event(s, "legal.document_status_changed", {
            "reference": row.reference, "document_id": document_id, "kind": row.kind,
            "status": status, "changed_at": now}, correlation_id)
        row = s.execute(select(documents).where(documents.c.id == document_id)).first()
    return _document_view(row)


def open_dispute(db: Database, caller: Caller, case_id: str, employer: str, claims: list,
                 amount_claimed: int | None = None, currency: str | None = None,
                 opened_on: str | None = None) -> dict:
    access.require_legal(caller)
    _check_text(employer, 200, "employer")
    if not isinstance(claims, list) or not claims or any(c not in DISPUTE_CLAIMS for c in claims):
        raise InvalidInput(f"claims: one or more of {', '.join(DISPUTE_CLAIMS)}", field="claims")
    _check_amount(amount_claimed, "amount_claimed")
    day = _parse_date(opened_on, "opened_on") if opened_on else utcnow().date()
    with db.write() as s:
        _case_row(s, case_id)
        dispute_id = _new_id()
        s.execute(insert(disputes).values(
            id=dispute_id, case_id=case_id, employer=employer, claims=json.dumps(sorted(set(claims))),
            amount_claimed=amount_claimed, currency=currency, status="open", opened_on=day,
            updated_at=utcnow()))
        row = s.execute(select(disputes).where(disputes.c.id == dispute_id)).first()
    return _dispute_view(row)


def update_dispute(db: Database, caller: Caller, dispute_id: str, status: str,
                   outcome: str | None = None, amount_recovered: int | None = None) -> dict:
    access.require_legal(caller)
    if status not in DISPUTE_STATUSES:
        raise InvalidInput(f"status is one of {', '.join(DISPUTE_STATUSES)}", field="status")
    if outcome is not None:
        _check_text(outcome, 500, "outcome")
    _check_amount(amount_recovered, "amount_recovered")
    with db.write() as s:
        row = s.execute(select(disputes).where(disputes.c.id == _check_id(dispute_id, "dispute_id"))
                        .with_for_update()).first()
        if row is None:
            raise NotFound(f"no labour dispute {dispute_id}", field="dispute_id")
        if row.status in ("settled", "failed", "referred_to_court"):
            raise IllegalTransition(f"a dispute that is {row.status} is finished", field="status")
        values = {"status": status, "updated_at": utcnow()}
        if outcome is not None:
            values["outcome"] = outcome
        if amount_recovered is not None:
            values["amount_recovered"] = amount_recovered
        s.execute(update(disputes).where(disputes.c.id == dispute_id).values(**values))
        row = s.execute(select(disputes).where(disputes.c.id == dispute_id)).first()
    return _dispute_view(row)


# --- helpers ----------------------------------------------------------------------------------

def _check_text(value, max_len: int, field: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise InvalidInput(f"1 to {max_len} characters", field=field)


def _check_amount(value, field: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise InvalidInput("a whole, non-negative amount", field=field)


def _check_id(value: str, field: str) -> str:
    if not isinstance(value, str) or len(value) != 32 or not all(c in "0123456789abcdef" for c in value):
        raise NotFound("no such object", field=field)
    return value


def _parse_date(value, field: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("a date, YYYY-MM-DD", field=field) from None


def _parse_local(value, field: str) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("a local date and time, e.g. 2026-12-10T09:30", field=field) from None


def _date_range(from_date, to_date) -> tuple[datetime | None, datetime | None]:
    """Whole days in the courts' time zone, as a UTC half-open range."""
    tz = hearing_rules.zone(hearing_rules.COURT_TIME_ZONE)
    start = end = None
    if from_date:
        start = datetime.combine(_parse_date(from_date, "from"), time(), tz).astimezone(timezone.utc)
    if to_date:
        end = datetime.combine(_parse_date(to_date, "to") + timedelta(days=1), time(), tz).astimezone(timezone.utc)
    if start and end and end <= start:
        raise InvalidInput("to is before from", field="to")
    return start, end


def _case_row(s: Session, case_id: str):
    """The case, while the survivor's consent to legal help stands; else ``NotFound``."""
    row = s.execute(select(cases).join(eligible, eligible.c.reference == cases.c.reference)
                    .where(and_(cases.c.id == _check_id(case_id, "case_id"), _legal_consent_ok()))).first()
    if row is None:
        raise NotFound(f"no legal case {case_id}", field="case_id")
    return row


def _case_summary(r) -> dict:
    return {"case_id": r.id, "reference": r.reference, "lawyer": r.lawyer, "status": r.status,
            "opened_at": iso(r.opened_at), "opened_by": r.opened_by}


def _court_case_for(s: Session, caller: Caller, court_case_id: str, for_update: bool = False) -> dict:
    query = (select(court_cases, cases.c.reference).join(cases, cases.c.id == court_cases.c.case_id)
             .where(court_cases.c.id == _check_id(court_case_id, "court_case_id")))
    if caller.role == "legal":
        query = query.join(eligible, eligible.c.reference == cases.c.reference).where(_legal_consent_ok())
    if for_update:
        query = query.with_for_update(of=court_cases)
    row = s.execute(query).first()
    return access.require_court_case(caller, _court_case_dict(row, row.reference) if row else None,
                                     court_case_id)


def _court_case_dict(row, reference: str) -> dict:
    return {"id": row.id, "case_id": row.case_id, "court": row.court, "case_number": row.case_number,
            "charges": json.loads(row.charges), "standing": row.standing, "status": row.status,
            "verdict": row.verdict, "updated_at": iso(row.updated_at), "reference": reference}


def _history(s: Session, court_case_id: str, status: str, verdict, at, caller: Caller) -> None:
    s.execute(insert(court_status_history).values(court_case_id=court_case_id, status=status,
                                                  verdict=verdict, at=at, by_role=caller.role,
                                                  by_agency=caller.agency))


def _hearing_query():
    return (select(hearings, court_cases.c.case_number, court_cases.c.case_id, cases.c.reference,
                   eligible.c.referring_agency, eligible.c.share_status_with_referrer,
                   eligible.c.shelter_agency)
            .join(court_cases, court_cases.c.id == hearings.c.court_case_id)
            .join(cases, cases.c.id == court_cases.c.case_id)
            .join(eligible, eligible.c.reference == cases.c.reference))


def _hearing_dict(row) -> dict:
    data = dict(row._mapping)
    data["starts_at"] = aware(data["starts_at"])
    data["attendance_required"] = bool(data["attendance_required"])
    return data


def _hearing_for(s: Session, caller: Caller, hearing_id: str) -> dict:
    row = s.execute(_hearing_query().where(hearings.c.id == _check_id(hearing_id, "hearing_id"))
                    .with_for_update(of=hearings)).first()
    return access.require_hearing(caller, _hearing_dict(row) if row else None, hearing_id)


def _insert_hearing(s: Session, court_case: dict, starts_utc: datetime, zone_name: str,
                    purpose: str, attendance_required: bool, postponed_from: str | None,
                    now: datetime, correlation_id: str | None) -> str:
    hearing_id = _new_id()
    s.execute(insert(hearings).values(
        id=hearing_id, court_case_id=court_case["id"], court=court_case["court"],
        starts_at=starts_utc, time_zone=zone_name, purpose=purpose,
        attendance_required=attendance_required, status="scheduled", outcome_note=None,
        postponed_from=postponed_from, reminder_sent_at=None, created_at=now, updated_at=now))
    _event(s, "legal.hearing_scheduled", {
        "reference": court_case["reference"], "court_case_id": court_case["id"],
        "hearing_id": hearing_id, "court": court_case["court"], "starts_at": starts_utc,
        "time_zone": zone_name, "attendance_required": attendance_required,
        "postponed_from": postponed_from, "scheduled_at": now}, correlation_id)
    return hearing_id


def _session_view(r) -> dict:
    return {"session_id": r.id, "held_on": r.held_on.isoformat(), "topic": r.topic, "lawyer": r.lawyer}


def _document_view(r) -> dict:
    day = lambda d: d.isoformat() if d else None  # noqa: E731
    return {"document_id": r.id, "case_id": r.case_id, "kind": r.kind, "authority": r.authority,
            "status": r.status, "requested_on": day(r.requested_on),
            "submitted_on": day(r.submitted_on), "issued_on": day(r.issued_on),
            "rejected_on": day(r.rejected_on), "updated_at": iso(r.updated_at)}


def _dispute_view(r) -> dict:
    return {"dispute_id": r.id, "case_id": r.case_id, "employer": r.employer,
            "claims": json.loads(r.claims), "amount_claimed": r.amount_claimed,
            "amount_recovered": r.amount_recovered, "currency": r.currency, "status": r.status,
            "outcome": r.outcome, "opened_on": r.opened_on.isoformat(), "updated_at": iso(r.updated_at)}
