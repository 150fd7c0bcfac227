"""Events from other services, each applied once (``messaging.apply_once``): acceptance makes a
referral eligible (with consent to legal help), withdrawal ends it, a consent change is applied,
and a shelter's referral of a plan item to the legal team is recorded."""

import logging

from sqlalchemy import insert, select, update
from services.common.db import WriteTransaction

from services.common.db import Database
from services.common.messaging import apply_once
from services.contracts.vocabulary import CONSENT_AUDIENCES

from ..domain.consent import ever_changed
from ..domain.eligibility import eligible_on_acceptance
from ..queries.eligibility import eligible_row
from ..tables import eligible, processed_events, referral_requests
from .common import now_of
from .consent import record_change

log = logging.getLogger(__name__)


def on_accepted(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """Record eligibility on ``referral.accepted`` with consent to legal help.

    v2 of the event also says who referred, whether the survivor lets them see status, and
    which shelter accepted: the police and shelter slices of hearings rest on these.
    """
    ref = payload["reference"]
    known = eligible_row(s, ref, for_update=True)
    if known is not None and known.referring_agency is None and ever_changed(known._mapping):
        # consent changed before the acceptance arrived: the later choice wins, per audience
        legal_ok = known.legal_consent if known.legal_consent is not None else payload["legal_consent"]
        share = payload.get("share_status_with_referrer")
        s.execute(update(eligible).where(eligible.c.reference == ref).values(
            status="eligible" if legal_ok else "consent_withdrawn", legal_consent=legal_ok,
            eligible_since=payload["decided_at"], updated_at=now,
            referring_agency=payload.get("referring_agency"),
            share_status_with_referrer=share if known.share_status_with_referrer is None
            else known.share_status_with_referrer,
            shelter_agency=payload.get("shelter_agency")))
    elif eligible_on_acceptance(payload["legal_consent"]) and not known:
        s.execute(insert(eligible).values(
            reference=ref, status="eligible", eligible_since=payload["decided_at"],
            updated_at=now, referring_agency=payload.get("referring_agency"),
            share_status_with_referrer=payload.get("share_status_with_referrer"),
            shelter_agency=payload.get("shelter_agency")))


def on_withdrawn(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """A withdrawn referral is no longer eligible."""
    if eligible_row(s, payload["reference"]):
        s.execute(update(eligible).where(eligible.c.reference == payload["reference"])
                  .values(status="withdrawn", updated_at=now))


def on_consent_changed(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """Shelter staff recorded the survivor's new choice for an audience. Consent to share
    the file with a provider (v2, audience ``provider``) is none of the legal service's."""
    if payload["audience"] not in CONSENT_AUDIENCES:
        return
    record_change(s, payload["reference"], payload["audience"], payload["granted"],
                  payload.get("until"), payload["changed_at"], now)


def on_legal_referral_requested(s: WriteTransaction, envelope: dict, payload: dict, now) -> None:
    """Shelter staff referred a plan item to the legal team: record the reference and the
    service asked for, once per request id."""
    if s.execute(select(referral_requests.c.request_id)
                 .where(referral_requests.c.request_id == payload["request_id"])).first():
        return
    s.execute(insert(referral_requests).values(
        request_id=payload["request_id"], reference=payload["reference"],
        service=payload["service"], requested_at=payload["requested_at"], received_at=now))
    log.info("legal referral request %s for %s recorded", payload["request_id"], payload["reference"])


HANDLERS = {
    "referral.accepted": on_accepted,
    "referral.withdrawn": on_withdrawn,
    "referral.consent_changed": on_consent_changed,
    "shelter.legal_referral_requested": on_legal_referral_requested,
}


def apply_event(db: Database, body: dict, *, clock=None) -> bool:
    """Apply an event from another service once; False when not acted on (unknown or unhandled
    type, or seen before)."""
    return apply_once(db, processed_events, body, HANDLERS, now_of(clock))

