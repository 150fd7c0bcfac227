"""Retention and backfill: anonymise referrals that ended long ago, and fill the statistical
codes of referrals recorded before they existed. Each works in batches of short transactions
and is safe to run while the service runs. (Key rotation covers every service's encrypted
columns alike: ``services.common.atrest``, `refnet rotate-keys`.)"""

import json

from marshmallow import ValidationError
from sqlalchemy import and_, select, update

from services.common import audit
from services.common.clock import Clock
from services.common.db import Database
from services.common.sealing import FileCipher
from services.contracts.submission import ReferralSubmissionSchema

from ..domain import report as report_rules
from ..domain import retention
from ..tables import audit_log, consent_records, referrals, timeline

BATCH = 200


def anonymise_closed(db: Database, clock: Clock, cipher: FileCipher, older_than_days: float) -> int:
    """Anonymise referrals that ended (closed, declined, withdrawn, discharged) more than
    ``older_than_days`` ago: the file, the name digest, the submitting officer and free-text
    timeline notes go; status, group, urgency, needs and dates stay, so counts survive."""
    now = clock.now()
    cutoff = retention.cutoff(now, older_than_days)
    done = 0
    while True:
        with db.write() as s:
            ids = [r.id for r in s.execute(
                select(referrals.c.id).where(and_(referrals.c.status.in_(retention.ENDED),
                                                  referrals.c.updated_at < cutoff,
                                                  referrals.c.anonymised_at.is_(None)))
                .limit(BATCH))]
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
                             action="referral.anonymise", object=f"referral-id:{referral_id}",
                             outcome="ok", now=now)
            done += len(ids)


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
