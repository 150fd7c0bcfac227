"""Consent: the staff of the provider holding a referral record the survivor's choice of
sharing with the referring police, the legal team and each provider (the file,
docs/decisions/0040), and read it back with its history."""

from datetime import datetime, time, timezone

from sqlalchemy import insert, select, update

from services.common.caller import Caller
from services.common.clock import Clock
from services.common.db import Database, insert_into
from services.common.errors import InvalidInput
from services.common.messaging import add_to_outbox
from services.common.timeutil import aware, iso
from services.contracts.envelope import make_event

from ..domain import file_consent, minors
from ..domain import referral as rules
from ..domain.visibility import shape
from ..queries import file_consents_of, load_for_update, row_dict, status_row
from ..tables import consent_records, file_consents, outbox, referrals
from .guardians import has_guardian
from .steps import SOURCE, check_reference


def record_consent(db: Database, clock: Clock, caller: Caller, reference: str, audience: str,
                   share: bool, purpose: str | None = None, until: str | None = None,
                   correlation_id: str | None = None, agency: str | None = None,
                   default_holder: str | None = None, guardian_consent=None) -> dict:
    """The staff of the provider that holds the referral (``default_holder`` holds one nobody
    holds yet; anyone else: ``NotFound``, nothing written) record the survivor's choice for one
    audience: the referring police, the legal team, or one provider ``agency`` (consent to
    share the file with it). It takes effect
    in this transaction: the very next read by that audience is answered from the new state.
    The ``referral.consent_changed`` event (codes and dates only) tells the legal service, which
    stops showing the referral to the legal team. A minor's grant is recorded with the
    guardian's consent (``domain/minors.py``)."""
    check_reference(reference)
    now = clock.now()
    until_at = parse_until(until)
    rules.check_consent_change(caller, audience, share, purpose, until_at, now)
    if audience == file_consent.AUDIENCE:
        file_consent.check_agency(agency)
    elif agency is not None:
        raise InvalidInput("only audience provider names an agency", field="agency")
    with db.write() as s:
        row = load_for_update(s, reference)
        referral = rules.require_holder(caller, row_dict(row), reference, default_holder)
        with_guardian = minors.guardian_consent_of(referral, share, guardian_consent,
                                                   has_guardian(s, row.id))
        if audience == file_consent.AUDIENCE:
            _set_file_consent(s, row.id, agency, share, until_at, now)
            s.execute(update(referrals).where(referrals.c.id == row.id).values(updated_at=now))
        else:
            s.execute(update(referrals).where(referrals.c.id == row.id)
                      .values(**rules.consent_columns(audience, share, until_at, now),
                              updated_at=now))
        s.execute(insert(consent_records).values(
            referral_id=row.id, audience=audience, granted=share, agency=agency,
            purpose=(purpose or "").strip()[:200] or None, until=until_at if share else None,
            recorded_by=caller.user, recorded_at=now, guardian_consent=with_guardian))
        add_to_outbox(s, outbox, make_event("referral.consent_changed", {
            "reference": reference, "audience": audience, "agency": agency, "granted": share,
            "until": until_at if share else None, "changed_at": now},
            source=SOURCE, correlation_id=correlation_id, occurred_at=now))
    return get_consent(db, clock, caller, reference, default_holder=default_holder)


def _set_file_consent(s, referral_id: int, agency: str, share: bool, until_at, now) -> None:
    """The provider's file-consent row, created or changed (the referral row is locked)."""
    values = file_consent.columns(share, until_at, now)
    changed = s.execute(update(file_consents).where(file_consents.c.referral_id == referral_id)
                        .where(file_consents.c.agency == agency).values(**values)).rowcount
    if not changed:
        s.execute(insert(file_consents).values(referral_id=referral_id, agency=agency, **values))


def record_initial_file_consent(s, referral_id: int, agencies, recorded_by: str, at) -> None:
    """At intake: the file consent the police's submission gave (``file_consent.initial_agencies``),
    each with its history entry."""
    for agency in agencies:  # statements built once: every submission runs them
        s.execute(insert_into(file_consents), {"referral_id": referral_id, "agency": agency,
                                               **file_consent.columns(True, None, at)})
        s.execute(insert_into(consent_records), dict(
            referral_id=referral_id, audience=file_consent.AUDIENCE, granted=True, agency=agency,
            purpose="consent given with the referral", until=None, recorded_by=recorded_by,
            recorded_at=at))


def get_consent(db: Database, clock: Clock, caller: Caller, reference: str,
                default_holder: str | None = None) -> dict:
    """The survivor's current choice per audience and per provider (the file), and every choice
    recorded (the staff of the provider that holds the referral; anyone else: ``NotFound``)."""
    caller.require("shelter")
    check_reference(reference)
    now = clock.now()
    with db.read() as s:
        row = rules.require_holder(caller, status_row(s, reference), reference, default_holder)
        history = s.execute(select(consent_records).where(consent_records.c.referral_id == row["id"])
                            .order_by(consent_records.c.id)).all()
        providers = file_consents_of(s, row["id"])
    return shape("consent", caller.role, {
        "reference": reference,
        "referring_police": rules.consent_state(row, "referring_police", now),
        "legal_team": rules.consent_state(row, "legal_team", now),
        "providers": file_consent.states(providers, now),
        "history": [{"audience": h.audience, "agency": h.agency, "share": h.granted,
                     "purpose": h.purpose, "until": iso(h.until), "recorded_by": h.recorded_by,
                     "recorded_at": iso(h.recorded_at), "guardian_consent": h.guardian_consent}
                    for h in history]})


def parse_until(until) -> datetime | None:
    """An end date: a day (``YYYY-MM-DD``, its last second, UTC) or a full ISO 8601 time."""
    if until in (None, ""):
        return None
    try:
        if isinstance(until, str) and len(until) == 10:
            return datetime.combine(datetime.fromisoformat(until).date(), time(23, 59, 59),
                                    tzinfo=timezone.utc)
        return aware(datetime.fromisoformat(str(until)))
    except ValueError:
        raise InvalidInput("not a date (YYYY-MM-DD)", field="until") from None
