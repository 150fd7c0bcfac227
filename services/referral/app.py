"""The referral service's use cases: each one validated input in, one short transaction, the
event rows of any change written to the outbox in the same transaction."""

import base64
import hashlib
import hmac
import json
import logging

from marshmallow import ValidationError
from sqlalchemy import and_, bindparam, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Forbidden, InvalidInput, NotFound
from services.common.messaging import add_to_outbox, apply_once
from services.common.sealing import FileCipher, unseal
from services.common.timeutil import aware, iso, utcnow
from services.contracts.envelope import make_event
from services.contracts.references import is_reference
from services.contracts.submission import ReferralSubmissionSchema, SubmitReferralV1
from services.contracts.vocabulary import REFERRAL_STATUSES

from services.common import audit

from .domain import fhir_task
from .domain import lifecycle
from .domain import referral as rules
from .domain import report as report_rules
from .domain import retention
from .domain.visibility import shape
from .tables import (audit_log, consent_records, legal_updates, outbox, processed_events,
                     referrals, timeline)

log = logging.getLogger(__name__)
SOURCE = "referral"
MAX_PAGE = 100


# --- intake -------------------------------------------------------------------------------

# built once: a schema deep-copies its fields when instantiated (a tenth of the intake
# consumer's time when built per message); loading keeps no state in the instance
_SUBMIT_COMMAND = SubmitReferralV1()
_SUBMISSION = ReferralSubmissionSchema()

def submit(db: Database, cipher: FileCipher, intake_private_key: str, command: dict,
           search_key: bytes | None = None) -> tuple[str, bool]:
    """Record a sealed police submission once; return (reference, created).

    A second command with the same reference (a retried submission) creates nothing. A malformed
    command raises ``InvalidInput`` and is dead-lettered by the consumer.
    """
    try:
        cmd = _SUBMIT_COMMAND.load(command)
        plaintext = unseal(cmd["sealed_submission"], intake_private_key)
        submission = _SUBMISSION.load(json.loads(plaintext))
    except ValidationError as exc:
        raise InvalidInput(f"intake command rejected: {sorted(exc.messages)}", field="submission") from None
    except Exception as exc:  # cannot unseal: wrong key or tampered
        raise InvalidInput(f"intake command cannot be unsealed ({type(exc).__name__})",
                           field="sealed_submission") from None
    reference = cmd["reference"]
    digest_key = hashlib.sha256(b"refnet body hash\x00" + intake_private_key.encode()).digest()
    digest = hmac.new(digest_key, plaintext, hashlib.sha256).hexdigest()
    summary = rules.summary_fields(submission)
    codes = report_rules.report_codes(submission)
    now = utcnow()
    with db.write() as s:
        existing = s.execute(select(referrals.c.id, referrals.c.body_hash)
                             .where(referrals.c.reference == reference)).first()
        if existing is not None:
            if existing.body_hash != digest:
                log.warning("referral %s: idempotency key reused with a different body; "
                            "kept the first submission", reference)
            return reference, False
        referral_id = s.execute(insert(referrals).values(
            reference=reference, referring_agency=cmd["agency"], submitted_by=cmd["submitted_by"],
            status="submitted", population_group=summary["population_group"],
            urgency=summary["urgency"], needs=json.dumps(summary["needs"]),
            children_count=summary["children_count"], beds_needed=summary["beds_needed"],
            share_status_with_referrer=summary["share_status_with_referrer"],
            share_with_legal=summary["share_with_legal"],
            file_ciphertext=cipher.encrypt(plaintext), body_hash=digest,
            name_digest=(retention.name_digest(search_key, submission["survivor"].get("name"))
                         if search_key else None),
            submitted_at=cmd["submitted_at"], updated_at=now,
            stat_sex=codes["sex"], stat_age_band=codes["age_band"],
            stat_nationality=codes["nationality"], stat_exploitation=codes["exploitation"][:120],
        )).inserted_primary_key[0]
        _add_timeline(s, referral_id, cmd["submitted_at"], cmd["agency"], "submitted",
                      "Referral submitted")
        audit.append(s, audit_log, actor=cmd["submitted_by"], role="police", agency=cmd["agency"],
                     action="referral.submit", object=f"referral:{reference}", outcome="ok",
                     correlation_id=cmd.get("correlation_id"))
        add_to_outbox(s, outbox, make_event("referral.submitted", {
            "reference": reference, "population_group": summary["population_group"],
            "urgency": summary["urgency"], "needs": summary["needs"],
            "children_count": summary["children_count"], "beds_needed": summary["beds_needed"],
            "referring_agency": cmd["agency"], "submitted_at": cmd["submitted_at"],
        }, source=SOURCE, correlation_id=cmd.get("correlation_id")))
    log.info("referral %s recorded", reference)
    return reference, True


# --- events from other services -------------------------------------------------------------

def apply_event(db: Database, body: dict) -> bool:
    """Extend the timeline from another service's event, once per ``event_id``.

    Returns False for an event this service does not act on, or has handled before.
    """
    return apply_once(db, processed_events, body, _EVENT_HANDLERS)


def _on_received(s: Session, envelope: dict, payload: dict) -> None:
    row = _load_for_update(s, payload["reference"])
    if row is None or row.status != "submitted":
        return  # stale: a later status is already recorded
    _move(s, row, "received", payload["received_at"], payload["agency"], "Received by the shelter")


def _on_decision(s: Session, envelope: dict, payload: dict) -> None:
    decision = "accepted" if envelope["type"] == "shelter.referral_accepted" else "declined"
    row = _load_for_update(s, payload["reference"])
    if row is None:
        log.warning("decision for unknown referral %s ignored", payload["reference"])
        return
    if decision == "accepted":
        _ensure_accepted(s, envelope, row, payload["decided_at"], payload["agency"])
        return
    row = _ensure_received(s, row, payload["decided_at"], payload["agency"])
    if row.status not in UNDECIDED or not lifecycle.can_move(row.status, decision):
        log.warning("referral %s: shelter %s ignored, status is %s", row.reference, decision, row.status)
        return
    _move(s, row, decision, payload["decided_at"], payload["agency"],
          f"Declined: {payload.get('reason') or 'no reason given'}")
    _announce_decision(s, envelope, row, decision, payload["decided_at"], payload["agency"])


UNDECIDED = ("submitted", "received", "screening")


def _ensure_received(s: Session, row, at, agency: str):
    if row.status == "submitted":  # the receipt event may still be on its way
        row = _move(s, row, "received", at, agency, "Received by the shelter")
    return row


def _ensure_accepted(s: Session, envelope: dict, row, at, agency: str):
    """Record the acceptance once. The shelter's placement events (bed held, waitlisted,
    admitted) come from the acceptance's transaction or later, but consumers handle messages
    concurrently, so one of them may arrive first: it records the acceptance then, and the
    acceptance event arriving later finds the referral already past it and changes nothing.
    Returns the row, or None when the referral is no longer undecided (withdrawn, declined...)."""
    row = _ensure_received(s, row, at, agency)
    if row.status not in UNDECIDED:
        return row if row.status in PLACED else None
    row = _move(s, row, "accepted", at, agency, "Accepted by the shelter")
    _announce_decision(s, envelope, row, "accepted", at, agency)
    return row


PLACED = ("accepted", "waitlisted", "bed_held", "admitted", "discharged")


def _announce_decision(s: Session, envelope: dict, row, decision: str, at, shelter_agency: str) -> None:
    now = utcnow()
    current = dict(row._mapping)
    add_to_outbox(s, outbox, make_event(f"referral.{decision}", {
        "reference": row.reference, "decided_at": at,
        # consent as it stands now (withdrawn or expired: false), never the submission's
        "legal_consent": rules.consent_active(current, "legal_team", now),
        "referring_agency": row.referring_agency,
        "share_status_with_referrer": rules.consent_active(current, "referring_police", now),
        "shelter_agency": shelter_agency,
    }, source=SOURCE, correlation_id=envelope.get("correlation_id")))


def _placement_event(new_status: str, at_field: str, note):
    """A handler for a shelter placement event: move the referral to ``new_status`` when the
    lifecycle allows it from where it stands; a stale or out-of-order event changes nothing."""
    def handle(s: Session, envelope: dict, payload: dict) -> None:
        row = _load_for_update(s, payload["reference"])
        if row is None:
            log.warning("%s for unknown referral %s ignored", envelope["type"], payload["reference"])
            return
        at = payload[at_field]
        latest = s.execute(select(func.max(timeline.c.at)).where(timeline.c.referral_id == row.id)).scalar()
        if latest is not None and aware(at) < aware(latest):
            log.info("referral %s: %s older than its timeline; ignored", row.reference, envelope["type"])
            return
        row = _ensure_accepted(s, envelope, row, at, payload["agency"])
        if row is not None and row.status == "waitlisted" and new_status == "admitted":
            # admitted directly when a bed was free on arrival: the lifecycle leaves the
            # waitlist through accepted (waitlisted -> admitted is not a transition)
            row = _move(s, row, "accepted", at, payload["agency"], "Off the waitlist: a bed was free")
        if row is None or not lifecycle.can_move(row.status, new_status):
            log.warning("referral %s: %s ignored, status is %s", payload["reference"],
                        envelope["type"], row.status if row is not None else "gone")
            return
        _move(s, row, new_status, at, payload["agency"], note(payload))
    return handle


def _held_note(p: dict) -> str:
    how = "offered from the waitlist" if p["offered_from_waitlist"] else "held"
    return (f"{p['beds']} {p['population_group']} bed(s) {how} at {p['facility']} until "
            f"{iso(p['expires_at'])}")

def _on_legal(s: Session, envelope: dict, payload: dict) -> None:
    """A legal event extends the referral's legal timeline (court status, hearing dates)."""
    row = s.execute(select(referrals.c.id).where(referrals.c.reference == payload["reference"])).first()
    if row is None:
        log.warning("legal event %s for unknown referral %s ignored", envelope["type"],
                    payload["reference"])
        return
    entry = rules.legal_update(envelope["type"], payload, envelope["occurred_at"])
    s.execute(insert(legal_updates).values(referral_id=row.id, **entry))


_EVENT_HANDLERS = {
    "shelter.referral_received": _on_received,
    "shelter.referral_accepted": _on_decision,
    "shelter.referral_declined": _on_decision,
    "shelter.waitlisted": _placement_event(
        "waitlisted", "waitlisted_at",
        lambda p: f"Waitlisted: no {p['population_group']} bed free for {p['beds']}"),
    "shelter.bed_held": _placement_event("bed_held", "held_at", _held_note),
    "shelter.hold_expired": _placement_event(
        "accepted", "expired_at",
        lambda p: f"Hold expired at {p['facility']}: the person did not arrive; beds offered on"),
    "shelter.admitted": _placement_event(
        "admitted", "admitted_at",
        lambda p: f"Admitted at {p['facility']}; case manager {p['case_manager']}"),
    "shelter.discharged": _placement_event(
        "discharged", "discharged_at", lambda p: f"Discharged: {p['outcome']}"),

    "legal.case_opened": _on_legal,
    "legal.court_status_changed": _on_legal,
    "legal.hearing_scheduled": _on_legal,
    "legal.hearing_outcome": _on_legal,
}


# --- commands from people -------------------------------------------------------------------

def withdraw(db: Database, caller: Caller, reference: str, reason: str | None,
             correlation_id: str | None = None) -> dict:
    """The referring police withdraw a referral (for example, the person declined help).

    Answers the new status only: the timeline stays behind the survivor's consent to share it.
    """
    _check_reference(reference)
    with db.write() as s:
        row = rules.require_withdraw_access(caller, _row_dict(_load_for_update(s, reference)), reference)
        lifecycle.check(row["status"], "withdrawn")
        now = utcnow()
        _move(s, _load_for_update(s, reference), "withdrawn", now, caller.agency,
              f"Withdrawn: {reason}" if reason else "Withdrawn by the referring agency")
        add_to_outbox(s, outbox, make_event("referral.withdrawn", {
            "reference": reference, "withdrawn_at": now}, source=SOURCE, correlation_id=correlation_id))
    return shape("withdraw", caller.role,
                 {"reference": reference, "status": "withdrawn", "withdrawn_at": iso(now)})


# --- consent (issue 6) --------------------------------------------------------------------------

def record_consent(db: Database, caller: Caller, reference: str, audience: str, share: bool,
                   purpose: str | None = None, until: str | None = None,
                   correlation_id: str | None = None) -> dict:
    """Shelter staff record the survivor's choice for one audience. It takes effect in this
    transaction: the very next read by that audience is answered from the new state. The
    ``referral.consent_changed`` event (codes and dates only) tells the legal service, which
    stops showing the referral to the legal team."""
    _check_reference(reference)
    now = utcnow()
    until_at = _parse_until(until)
    rules.check_consent_change(caller, audience, share, purpose, until_at, now)
    with db.write() as s:
        row = _load_for_update(s, reference)
        if row is None:
            raise NotFound(f"no referral {reference}", field="reference")
        s.execute(update(referrals).where(referrals.c.id == row.id)
                  .values(**rules.consent_columns(audience, share, until_at, now), updated_at=now))
        s.execute(insert(consent_records).values(
            referral_id=row.id, audience=audience, granted=share,
            purpose=(purpose or "").strip()[:200] or None, until=until_at if share else None,
            recorded_by=caller.user, recorded_at=now))
        add_to_outbox(s, outbox, make_event("referral.consent_changed", {
            "reference": reference, "audience": audience, "granted": share,
            "until": until_at if share else None, "changed_at": now},
            source=SOURCE, correlation_id=correlation_id))
    return get_consent(db, caller, reference)


def get_consent(db: Database, caller: Caller, reference: str) -> dict:
    caller.require("shelter")
    _check_reference(reference)
    now = utcnow()
    with db.read() as s:
        row = _row_dict(s.execute(select(*_STATUS_COLUMNS).where(referrals.c.reference == reference)).first())
        if row is None:
            raise NotFound(f"no referral {reference}", field="reference")
        history = s.execute(select(consent_records).where(consent_records.c.referral_id == row["id"])
                            .order_by(consent_records.c.id)).all()
    return shape("consent", caller.role, {
        "reference": reference,
        "referring_police": rules.consent_state(row, "referring_police", now),
        "legal_team": rules.consent_state(row, "legal_team", now),
        "history": [{"audience": h.audience, "share": h.granted, "purpose": h.purpose,
                     "until": iso(h.until), "recorded_by": h.recorded_by,
                     "recorded_at": iso(h.recorded_at)} for h in history]})


def _parse_until(until):
    if until in (None, ""):
        return None
    from datetime import datetime as _dt, time as _time, timezone as _tz
    try:
        if isinstance(until, str) and len(until) == 10:
            return _dt.combine(_dt.fromisoformat(until).date(), _time(23, 59, 59), tzinfo=_tz.utc)
        return aware(_dt.fromisoformat(str(until)))
    except ValueError:
        raise InvalidInput("not a date (YYYY-MM-DD)", field="until") from None


# --- search by name: keyed hash, never plaintext (issue 6) -------------------------------------

def search_by_name(db: Database, search_key: bytes, caller: Caller, name: str) -> list[dict]:
    caller.require("shelter")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise InvalidInput("1 to 200 characters", field="name")
    digest = retention.name_digest(search_key, name)
    with db.read() as s:
        rows = s.execute(select(referrals.c.reference, referrals.c.status, referrals.c.submitted_at)
                         .where(referrals.c.name_digest == digest)
                         .order_by(referrals.c.id.desc()).limit(MAX_PAGE)).all()
    return [shape("search_item", caller.role, {"reference": r.reference, "status": r.status,
                                               "submitted_at": iso(r.submitted_at)}) for r in rows]


# --- retention and key rotation (issue 6) -------------------------------------------------------

def anonymise_closed(db: Database, cipher: FileCipher, older_than_days: float, now=None) -> int:
    """Anonymise referrals that ended (closed, declined, withdrawn, discharged) more than
    ``older_than_days`` ago: the file, the name digest, the submitting officer and free-text
    timeline notes go; status, group, urgency, needs and dates stay, so counts survive."""
    now = now or utcnow()
    cutoff = retention.cutoff(now, older_than_days)
    done = 0
    while True:
        with db.write() as s:
            ids = [r.id for r in s.execute(
                select(referrals.c.id).where(and_(referrals.c.status.in_(retention.ENDED),
                                                  referrals.c.updated_at < cutoff,
                                                  referrals.c.anonymised_at.is_(None)))
                .limit(200))]
            if not ids:
                return done
            s.execute(update(referrals).where(referrals.c.id.in_(ids)).values(
                file_ciphertext=cipher.encrypt(b"{}"), name_digest=None,
                submitted_by=retention.ANONYMOUS, anonymised_at=now))
            s.execute(update(timeline).where(timeline.c.referral_id.in_(ids))
                      .values(note=retention.ANONYMISED_NOTE))
            s.execute(update(consent_records).where(consent_records.c.referral_id.in_(ids))
                      .values(purpose=None))
            for referral_id in ids:
                audit.append(s, audit_log, actor="system:retention", role="system", agency="referral",
                             action="referral.anonymise", object=f"referral-id:{referral_id}", outcome="ok")
            done += len(ids)


def rotate_keys(db: Database, cipher: FileCipher) -> int:
    """Re-encrypt every file with the newest key of ``REFNET_FILE_KEYS``; returns the count.
    Afterwards the older keys can be dropped from the setting."""
    last_id, done = 0, 0
    while True:
        with db.write() as s:
            rows = s.execute(select(referrals.c.id, referrals.c.file_ciphertext)
                             .where(referrals.c.id > last_id).order_by(referrals.c.id).limit(200)).all()
            if not rows:
                if done:
                    audit.append(s, audit_log, actor="system:rotate-keys", role="system",
                                 agency="referral", action="files.rotate_keys", object="referrals",
                                 outcome="ok")
                return done
            for r in rows:
                s.execute(update(referrals).where(referrals.c.id == r.id)
                          .values(file_ciphertext=cipher.rotate(r.file_ciphertext)))
            last_id, done = rows[-1].id, done + len(rows)


def audit_query(db: Database, caller: Caller, object: str | None = None, actor: str | None = None,
                limit: int = 100) -> list[dict]:
    caller.require("admin")
    with db.read() as c:
        return audit.query(c, audit_log, object=object, actor=actor, limit=limit)


# --- reads ------------------------------------------------------------------------------------

_STATUS_COLUMNS = (referrals.c.id, referrals.c.status, referrals.c.referring_agency,
                   referrals.c.share_status_with_referrer, referrals.c.share_with_legal,
                   referrals.c.referrer_consent_until, referrals.c.legal_consent_until,
                   referrals.c.referrer_consent_withdrawn_at, referrals.c.legal_consent_withdrawn_at)
# The status read's statements, built once: building a select and its cache key on every read
# was a sixth of the referral service's time per status read (bench/README.md).
_STATUS_BY_REFERENCE = select(*_STATUS_COLUMNS).where(referrals.c.reference == bindparam("reference"))
_TIMELINE_OF = (select(timeline).where(timeline.c.referral_id == bindparam("referral_id"))
                .order_by(timeline.c.id))
_LEGAL_UPDATES_OF = (select(legal_updates).where(legal_updates.c.referral_id == bindparam("referral_id"))
                     .order_by(legal_updates.c.id))


def get_status(db: Database, caller: Caller, reference: str) -> dict:
    """Status and timeline, cut by the visibility table. An audience whose consent was
    withdrawn learns that, and nothing else; anyone else without access gets ``NotFound``."""
    _check_reference(reference)
    now = utcnow()
    with db.read() as s:
        # the columns the access rule and the answer need (not the encrypted file)
        row = _row_dict(s.execute(_STATUS_BY_REFERENCE, {"reference": reference}).first())
        access = rules.status_access(caller, row, now)
        if access is None:
            raise NotFound(f"no referral {reference}", field="reference")
        if access == "withdrawn":
            audience = rules.audience_of(caller, row)
            return shape("status_withdrawn", caller.role,
                         rules.withdrawn_view(reference, rules.consent_withdrawn_at(row, audience, now)))
        entries = s.execute(_TIMELINE_OF, {"referral_id": row["id"]}).all()
        legal_rows = []
        if rules.may_see_legal_updates(caller, row, now):
            legal_rows = [dict(r._mapping) for r in s.execute(
                _LEGAL_UPDATES_OF, {"referral_id": row["id"]}).all()]
    lifecycle_entries = [{"at": iso(e.at), "agency": e.agency, "status": e.status, "note": e.note}
                         for e in entries]
    answer = {
        "reference": reference,
        "status": row["status"],
        "timeline": rules.merge_timeline(lifecycle_entries,
                                         [rules.legal_timeline_entry(u) for u in legal_rows]),
    }
    if rules.may_see_legal_updates(caller, row, now):
        answer["legal"] = rules.legal_summary(legal_rows)
    return shape("status", caller.role, answer)


def get_fhir_task(db: Database, pseudonym_key: bytes, caller: Caller, reference: str) -> dict:
    """The referral's status as a FHIR R4 Task (SDOHCC Task for Referral Management), for the
    callers ``get_status`` answers, under the same rule: anyone else gets ``NotFound``. An
    audience whose consent was withdrawn gets ``Forbidden`` naming consent: a Task cannot be
    given without the status the survivor no longer shares with it."""
    _check_reference(reference)
    now = utcnow()
    with db.read() as s:
        row = _row_dict(s.execute(select(*_STATUS_COLUMNS, referrals.c.submitted_at,
                                         referrals.c.urgency)
                                  .where(referrals.c.reference == reference)).first())
        access = rules.status_access(caller, row, now)
        if access is None:
            raise NotFound(f"no referral {reference}", field="reference")
        if access == "withdrawn":
            raise Forbidden(f"the survivor withdrew consent to share referral {reference} "
                            "with you", field="consent")
        entries = s.execute(select(timeline.c.at, timeline.c.agency, timeline.c.status,
                                   timeline.c.note)
                            .where(timeline.c.referral_id == row["id"])
                            .order_by(timeline.c.id)).all()
    task = fhir_task.build_task(
        reference=reference, status=row["status"], referring_agency=row["referring_agency"],
        submitted_at=iso(row["submitted_at"]), urgency=row["urgency"],
        timeline=[{"at": iso(e.at), "agency": e.agency, "status": e.status, "note": e.note}
                  for e in entries],
        patient=fhir_task.patient_pseudonym(pseudonym_key, reference))
    return shape("fhir_task", caller.role, task)


def list_referrals(db: Database, caller: Caller, *, status: str | None = None, limit: int = 50,
                   cursor: str | None = None) -> dict:
    """The caller's referrals, newest first, ``limit`` at a time; ``next_cursor`` pages on."""
    if status is not None and status not in REFERRAL_STATUSES:
        raise InvalidInput(f"unknown status {status}", field="status")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}", field="limit")
    conditions = []
    now = utcnow()
    if caller.role == "police":
        conditions += [referrals.c.referring_agency == caller.agency,
                       referrals.c.share_status_with_referrer.is_(True),
                       or_(referrals.c.referrer_consent_until.is_(None),
                           referrals.c.referrer_consent_until > now)]
    elif caller.role == "legal":
        conditions += [referrals.c.share_with_legal.is_(True),
                       or_(referrals.c.legal_consent_until.is_(None),
                           referrals.c.legal_consent_until > now)]
    elif caller.role != "shelter":
        raise Forbidden(f"role {caller.role} may not list referrals")
    if status:
        conditions.append(referrals.c.status == status)
    if cursor:
        conditions.append(referrals.c.id < _decode_cursor(cursor))
    query = (select(referrals.c.id, referrals.c.reference, referrals.c.status, referrals.c.urgency,
                    referrals.c.population_group, referrals.c.submitted_at, referrals.c.updated_at)
             .where(and_(true(), *conditions)).order_by(referrals.c.id.desc()).limit(limit + 1))
    with db.read() as s:
        rows = s.execute(query).all()
    page, more = rows[:limit], len(rows) > limit
    return {
        "items": [shape("list_item", caller.role, {
                   "reference": r.reference, "status": r.status, "urgency": r.urgency,
                   "population_group": r.population_group, "submitted_at": iso(r.submitted_at),
                   "updated_at": iso(r.updated_at)}) for r in page],
        "next_cursor": _encode_cursor(page[-1].id) if more else None,
    }


def get_file(db: Database, cipher: FileCipher, caller: Caller, reference: str) -> dict:
    """The referral as submitted, decrypted, for a role that may read it (shelter staff)."""
    _check_reference(reference)
    with db.read() as s:
        row = _row_dict(s.execute(select(referrals).where(referrals.c.reference == reference)).first())
    if row is None or not rules.may_read_file(caller, row):
        raise NotFound(f"no referral {reference}", field="reference")
    anonymised = row["anonymised_at"] is not None
    submission = None if anonymised else json.loads(cipher.decrypt(row["file_ciphertext"]))
    return shape("file", caller.role, {
        "reference": reference, "status": row["status"], "referring_agency": row["referring_agency"],
        "submitted_at": iso(row["submitted_at"]), "population_group": row["population_group"],
        "beds_needed": row["beds_needed"], "submission": submission, "anonymised": anonymised})


# --- helpers ----------------------------------------------------------------------------------

def _check_reference(reference: str) -> None:
    if not is_reference(reference):
        raise NotFound("no such referral", field="reference")


def _load_for_update(s: Session, reference: str):
    return s.execute(select(referrals).where(referrals.c.reference == reference)
                     .with_for_update()).first()


def _row_dict(row) -> dict | None:
    return dict(row._mapping) if row is not None else None


def _move(s: Session, row, status: str, at, agency: str, note: str):
    """Change status (lifecycle-checked) and add the timeline entry; return the updated row."""
    lifecycle.check(row.status, status)
    s.execute(update(referrals).where(referrals.c.id == row.id).values(status=status, updated_at=utcnow()))
    _add_timeline(s, row.id, at, agency, status, note)
    return s.execute(select(referrals).where(referrals.c.id == row.id)).first()


def _add_timeline(s: Session, referral_id: int, at, agency: str, status: str, note: str) -> None:
    s.execute(insert(timeline).values(referral_id=referral_id, at=at, agency=agency,
                                      status=status, note=note[:500]))


def _encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(str(row_id).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except Exception:
        raise InvalidInput("not a cursor this service gave out", field="cursor") from None
