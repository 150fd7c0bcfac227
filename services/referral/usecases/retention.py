"""Retention and backfill: close referrals stuck before admission, anonymise referrals that
ended long ago (unless a legal hold stands), and fill the statistical codes of referrals recorded
before they existed. Each works in batches of short transactions and is safe to run while the
service runs. (Key rotation covers every service's encrypted columns alike:
``services.common.atrest``, `refnet rotate-keys`.)"""

import json

from marshmallow import ValidationError
from sqlalchemy import and_, select, update

from services.common import audit
from services.common.clock import Clock
from services.common.db import Database
from services.common.messaging import add_to_outbox
from services.common.sealing import FileCipher
from services.contracts.envelope import make_event
from services.contracts.submission import ReferralSubmissionSchema

from ..domain import lifecycle
from ..domain import report as report_rules
from ..domain import retention
from ..tables import (audit_log, consent_records, guardians, legal_updates, outbox, referrals,
                      timeline)
from .attachments import STORE as ATTACHMENTS
from .steps import SOURCE, add_timeline

BATCH = 200


def close_stale(db: Database, clock: Clock, older_than_days: float) -> int:
    """Close referrals stuck before admission (``lifecycle.STALE``) whose status has not moved
    for ``older_than_days``, each with its coded reason (``no_decision``, ``no_bed``,
    ``no_arrival``); the shelter releases what it still holds. Returns how many were closed."""
    return _close_unmoved(db, clock, lifecycle.STALE, older_than_days, "referral.close_stale")


def close_settled(db: Database, clock: Clock, older_than_days: float) -> int:
    """Close declined and withdrawn referrals unchanged for ``older_than_days``
    (``declined_settled``, ``withdrawn_settled``): every end reaches ``closed``. Returns how
    many were closed."""
    return _close_unmoved(db, clock, retention.SETTLED, older_than_days, "referral.close_settled")


def _close_unmoved(db: Database, clock: Clock, statuses: tuple[str, ...], older_than_days: float,
                   action: str) -> int:
    """Close the referrals in ``statuses`` whose status has not moved for ``older_than_days``,
    each with its coded reason, a timeline entry, a ``referral.closed`` event and an audit
    entry. A guarded update (the status as read, still unchanged since the cutoff) makes each
    closure happen once across replicas. Closed, they are anonymised later like any ended
    referral."""
    now = clock.now()
    cutoff = retention.cutoff(now, older_than_days)
    done, last_id = 0, 0
    while True:
        with db.write() as s:
            rows = s.execute(
                select(referrals.c.id, referrals.c.reference, referrals.c.status,
                       referrals.c.updated_at)
                .where(and_(referrals.c.status.in_(statuses), referrals.c.updated_at < cutoff,
                            referrals.c.id > last_id))
                .order_by(referrals.c.id).limit(BATCH)).all()
            if not rows:
                return done
            for row in rows:
                if close(s, row, retention.closure_reason(row.status), now, action,
                         extra=[referrals.c.updated_at < cutoff]):
                    done += 1
            last_id = rows[-1].id


def close(s, row, reason: str, now, action: str, *, actor: str = "system:retention",
          extra: list | None = None) -> bool:
    """Close one referral still in the status it was read in (``row``: id, reference, status),
    in the caller's transaction: status and ``closure_reason``, a timeline entry, a
    ``referral.closed`` event and an audit entry. False when its status moved meanwhile
    (another replica, or an event, got there first)."""
    claimed = s.execute(update(referrals).where(and_(
        referrals.c.id == row.id, referrals.c.status == row.status, *(extra or []))).values(
        status="closed", closure_reason=reason, updated_at=now)).rowcount
    if not claimed:
        return False
    add_timeline(s, row.id, now, SOURCE, "closed", retention.closure_note(reason), reason)
    add_to_outbox(s, outbox, make_event("referral.closed", {
        "reference": row.reference, "reason": reason, "previous_status": row.status,
        "closed_at": now}, source=SOURCE, occurred_at=now))
    audit.append(s, audit_log, actor=actor, role="system", agency="referral",
                 action=action, object=f"referral-id:{row.id}", outcome="ok", now=now)
    return True


def anonymise_closed(db: Database, clock: Clock, cipher: FileCipher, older_than_days: float) -> int:
    """Anonymise referrals that ended (closed, declined, withdrawn, discharged) more than
    ``older_than_days`` ago: the file and its documents, the name digest, the submitting
    officer and free-text timeline notes go; status, group, urgency, needs and dates stay, so counts survive.
    A referral under a legal hold (a legal or court case still open: ``retention.legal_hold``)
    keeps its file until the legal service announces the case closed. Each referral is claimed
    by a guarded update (``anonymised_at`` still empty), so replicas sweeping at once anonymise
    and audit it once; a held one is left for a later sweep, unaudited (nothing changed)."""
    now = clock.now()
    cutoff = retention.cutoff(now, older_than_days)
    done, last_id = 0, 0
    while True:
        with db.write() as s:
            candidates = [r.id for r in s.execute(
                select(referrals.c.id).where(and_(referrals.c.status.in_(retention.ENDED),
                                                  referrals.c.updated_at < cutoff,
                                                  referrals.c.anonymised_at.is_(None),
                                                  referrals.c.id > last_id))
                .order_by(referrals.c.id).limit(BATCH))]
            if not candidates:
                return done
            last_id = candidates[-1]
            empty = cipher.encrypt(b"{}")
            ids = [i for i in candidates if not retention.legal_hold(_legal_updates(s, i))
                   and s.execute(update(referrals).where(and_(
                       referrals.c.id == i, referrals.c.anonymised_at.is_(None))).values(
                       file_ciphertext=empty, name_digest=None, withdrawal_note=None,
                       submitted_by=retention.ANONYMOUS, anonymised_at=now)).rowcount]
            if not ids:
                continue  # held, or another replica claimed them
            s.execute(update(timeline).where(timeline.c.referral_id.in_(ids))
                      .values(note=retention.ANONYMISED_NOTE))
            s.execute(update(consent_records).where(consent_records.c.referral_id.in_(ids))
                      .values(purpose=None))
            s.execute(update(guardians).where(guardians.c.referral_id.in_(ids)).values(name=None))
            ATTACHMENTS.erase(s, ids)  # the identity scans go with the file
            audit.append_many(s, audit_log, actor="system:retention", role="system",
                              agency="referral", action="referral.anonymise",
                              outcomes=[(f"referral-id:{i}", "ok") for i in ids], now=now)
            done += len(ids)


def _legal_updates(s, referral_id: int) -> list[dict]:
    return [dict(r._mapping) for r in s.execute(
        select(legal_updates.c.kind, legal_updates.c.court_case_id, legal_updates.c.status,
               legal_updates.c.at)
        .where(legal_updates.c.referral_id == referral_id))]


def backfill_report_codes(db: Database, clock: Clock, cipher: FileCipher) -> int:
    """Fill the statistical codes of referrals recorded before they existed (migration 0004),
    from their encrypted files; anonymised referrals have no file left and stay ``unknown``.
    Returns how many were filled (`refnet backfill-report-codes`)."""
    submission_schema = ReferralSubmissionSchema()
    last_id, done = 0, 0
    while True:
        with db.write() as s:
            rows = s.execute(select(referrals.c.id, referrals.c.file_ciphertext)
                             .where(and_(referrals.c.id > last_id, referrals.c.stat_sex.is_(None),
                                         referrals.c.anonymised_at.is_(None)))
                             .order_by(referrals.c.id).limit(BATCH)).all()
            if not rows:
                if done:
                    audit.append(s, audit_log, actor="system:backfill-report-codes", role="system",
                                 agency="referral", action="referrals.backfill_report_codes",
                                 object="referrals", outcome="ok", now=clock.now())
                return done
            for row in rows:
                try:
                    submission = submission_schema.load(json.loads(cipher.decrypt(row.file_ciphertext)))
                except (ValidationError, ValueError):
                    continue  # not a whole submission: left unknown
                codes = report_rules.report_codes(submission)
                s.execute(update(referrals).where(referrals.c.id == row.id).values(
                    stat_sex=codes["sex"], stat_age_band=codes["age_band"],
                    stat_nationality=codes["nationality"],
                    stat_exploitation=codes["exploitation"][:120]))
                done += 1
            last_id = rows[-1].id
