"""Intake: a sealed police submission taken off the durable intake queue, recorded once."""

import hashlib
import hmac
import json
import logging

from marshmallow import ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from services.common import audit
from services.common.clock import Clock
from services.common.db import Database, insert_into
from services.common.errors import InvalidInput
from services.common.messaging import add_to_outbox
from services.common.sealing import FileCipher, unseal
from services.contracts.envelope import make_event
from services.contracts.submission import ReferralSubmissionSchema, SubmitReferralV1, seal_binding

from ..domain import directory as directory_rules
from ..domain import file_consent
from ..domain import referral as rules
from ..domain import report as report_rules
from ..domain import retention
from ..tables import audit_log, outbox, referrals
from .directory import find_agency
from .consent import record_initial_file_consent
from .steps import SOURCE, add_timeline

log = logging.getLogger(__name__)

# built once: a schema deep-copies its fields when instantiated (a tenth of the intake
# consumer's time when built per message); loading keeps no state in the instance
_SUBMIT_COMMAND = SubmitReferralV1()
_SUBMISSION = ReferralSubmissionSchema()


def submit(db: Database, clock: Clock, cipher: FileCipher, intake_private_key: str,
           command: dict, search_key: bytes | None = None) -> tuple[str, bool]:
    """Record a sealed police submission once; return (reference, created).

    A second command with the same reference (a retried submission) creates nothing, also when
    two consumers take it at once (the one whose insert loses finds it recorded). A malformed
    command raises ``InvalidInput`` and is dead-lettered by the consumer. The sealed submission
    opens only with the reference, agency and user it was sealed with (``seal_binding``): one
    that does not (tampered, or moved to another agency or user) is audited as refused and
    creates nothing.
    """
    try:
        cmd = _SUBMIT_COMMAND.load(command)
    except ValidationError as exc:
        raise InvalidInput(f"intake command rejected: {sorted(exc.messages)}", field="submission") from None
    try:
        plaintext = unseal(cmd["sealed_submission"], intake_private_key,
                           seal_binding(cmd["reference"], cmd["agency"], cmd["submitted_by"]))
    except Exception as exc:  # cannot unseal: wrong key, tampered, or moved to another sender
        _refuse(db, clock, cmd)
        raise InvalidInput(f"intake command cannot be unsealed ({type(exc).__name__})",
                           field="sealed_submission") from None
    try:
        submission = _SUBMISSION.load(json.loads(plaintext))
    except ValidationError as exc:
        raise InvalidInput(f"intake command rejected: {sorted(exc.messages)}", field="submission") from None
    except ValueError:  # sealed by the gateway, so never expected: not JSON
        raise InvalidInput("intake command's submission is not JSON", field="submission") from None
    reference = cmd["reference"]
    digest_key = hashlib.sha256(b"refnet body hash\x00" + intake_private_key.encode()).digest()
    digest = hmac.new(digest_key, plaintext, hashlib.sha256).hexdigest()
    now = clock.now()
    try:
        return _record(db, now, cipher, cmd, submission, plaintext, digest, search_key)
    except IntegrityError:
        # the same reference committed by another consumer between this one's check and its
        # insert: a redelivery taken while the first delivery was still being handled (a
        # broker node died under it), or the gateway's retried publish. Recorded once: done.
        with db.read() as conn:
            if _recorded(conn, reference) is None:
                raise
        log.info("referral %s recorded by a concurrent delivery", reference)
        return reference, False


# built once, as the other statements every submission runs
_RECORDED = select(referrals.c.id, referrals.c.body_hash).where(
    referrals.c.reference == bindparam("b_ref"))


def _recorded(s, reference: str):
    """The referral of ``reference`` (its id and body hash), or None."""
    return s.execute(_RECORDED, {"b_ref": reference}).first()


def _record(db: Database, now, cipher: FileCipher, cmd: dict, submission: dict, plaintext: bytes,
            digest: str, search_key: bytes | None) -> tuple[str, bool]:
    """``submit``'s transaction: the referral, its timeline, consent, audit and event, unless
    the reference is recorded already."""
    reference = cmd["reference"]
    summary = rules.summary_fields(submission)
    languages = list(submission["survivor"].get("languages") or [])
    codes = report_rules.report_codes(submission)
    with db.write() as s:
        existing = _recorded(s, reference)
        if existing is not None:
            if existing.body_hash != digest:
                log.warning("referral %s: idempotency key reused with a different body; "
                            "kept the first submission", reference)
            return reference, False
        addressed_to = _addressee(s, reference, submission.get("addressed_to"))
        referral_id = s.execute(insert_into(referrals), dict(
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
            addressed_to=addressed_to, stat_sex=codes["sex"], stat_age_band=codes["age_band"],
            stat_nationality=codes["nationality"], stat_exploitation=codes["exploitation"][:120],
        )).inserted_primary_key[0]
        add_timeline(s, referral_id, cmd["submitted_at"], cmd["agency"], "submitted",
                     "Referral submitted")
        record_initial_file_consent(s, referral_id, file_consent.initial_agencies(
            submission["consent"], submission.get("addressed_to")), cmd["submitted_by"],
            cmd["submitted_at"])
        audit.append(s, audit_log, actor=cmd["submitted_by"], role="police", agency=cmd["agency"],
                     action="referral.submit", object=f"referral:{reference}", outcome="ok",
                     correlation_id=cmd.get("correlation_id"), now=now)
        add_to_outbox(s, outbox, make_event("referral.submitted", {
            "reference": reference, "population_group": summary["population_group"],
            "urgency": summary["urgency"], "needs": summary["needs"],
            "children_count": summary["children_count"], "beds_needed": summary["beds_needed"],
            "referring_agency": cmd["agency"], "submitted_at": cmd["submitted_at"],
            "requested_provider": addressed_to, "service_languages": languages,
            "survivor_minor": summary["survivor_minor"],
        }, source=SOURCE, correlation_id=cmd.get("correlation_id"), occurred_at=now))
    log.info("referral %s recorded", reference)
    return reference, True


def _addressee(s, reference: str, addressed_to: str | None) -> str | None:
    """The provider the referral is addressed to, as the directory holds it now. The gateway
    refused an unknown, inactive or non-provider agency; one deactivated since (or checked
    against the gateway's last known directory during an outage of this service) is not a
    reason to lose the referral: it goes to the network instead, and the log says so."""
    if addressed_to is None:
        return None
    problem = directory_rules.addressee_problem(find_agency(s, addressed_to))
    if problem:
        log.warning("referral %s: addressed to an agency that cannot take it (%s); sent to the "
                    "network instead", reference, problem)
        return None
    return addressed_to


def _refuse(db: Database, clock: Clock, cmd: dict) -> None:
    """Audit a submission that does not open: under no one's name (the agency and user it
    claims are what could not be verified)."""
    with db.write() as s:
        audit.append(s, audit_log, actor="unverified", role="unknown", agency="unknown",
                     action="referral.submit",
                     object=audit.object_id("referral", cmd.get("reference")),
                     outcome="refused", correlation_id=cmd.get("correlation_id"), now=clock.now())
    log.warning("intake command %s: the sealed submission does not open with its reference, "
                "agency and user; refused", cmd.get("command_id"))
