"""The referral aggregate's queries: the statements the use cases share, and the SQL form of
the domain's visibility rule, built from the same tables as ``domain.referral.status_access``.

The statements used on every status read are built once: building a select and its cache key
per read was a sixth of the referral service's time on that path.
"""

from datetime import datetime

from sqlalchemy import and_, bindparam, false, or_, select
from services.common.db import WriteTransaction

from services.common.caller import Caller
from services.common.errors import Forbidden

from .domain import referral as rules
from .tables import file_consents, legal_updates, partner_updates, referrals, timeline

# the columns the access rule and a status answer need (never the encrypted file)
STATUS_COLUMNS = (referrals.c.id, referrals.c.status, referrals.c.referring_agency,
                  referrals.c.share_status_with_referrer, referrals.c.share_with_legal,
                  referrals.c.referrer_consent_until, referrals.c.legal_consent_until,
                  referrals.c.referrer_consent_withdrawn_at, referrals.c.legal_consent_withdrawn_at,
                  referrals.c.held_by)
STATUS_BY_REFERENCE = select(*STATUS_COLUMNS).where(referrals.c.reference == bindparam("reference"))
TIMELINE_OF = (select(timeline).where(timeline.c.referral_id == bindparam("referral_id"))
               .order_by(timeline.c.id))
LEGAL_UPDATES_OF = (select(legal_updates)
                    .where(legal_updates.c.referral_id == bindparam("referral_id"))
                    .order_by(legal_updates.c.id))
PARTNER_UPDATES_OF = (select(partner_updates)
                      .where(partner_updates.c.referral_id == bindparam("referral_id"))
                      .order_by(partner_updates.c.id))


def row_dict(row) -> dict | None:
    """A result row as a plain dictionary (the domain rules read dictionaries), or None."""
    return dict(row._mapping) if row is not None else None


def status_row(s: WriteTransaction, reference: str, *extra_columns) -> dict | None:
    """The access columns of one referral (plus ``extra_columns``), or None."""
    statement = (STATUS_BY_REFERENCE if not extra_columns else
                 select(*STATUS_COLUMNS, *extra_columns)
                 .where(referrals.c.reference == bindparam("reference")))
    return row_dict(s.execute(statement, {"reference": reference}).first())


def file_consents_of(s: WriteTransaction, referral_id: int) -> dict:
    """A referral's file consents per agency (``domain.file_consent``'s mapping)."""
    return file_consents_of_all(s, [referral_id]).get(referral_id, {})


def file_consents_of_all(s: WriteTransaction, referral_ids: list[int]) -> dict[int, dict]:
    """The file consents of several referrals in one read: ``{referral id: file_consents_of}``
    (a referral without any is left out)."""
    consents: dict[int, dict] = {}
    if referral_ids:
        for r in s.execute(_FILE_CONSENTS_OF, {"ids": list(referral_ids)}):
            consents.setdefault(r.referral_id, {})[r.agency] = {
                "granted": r.granted, "until": r.until, "withdrawn_at": r.withdrawn_at}
    return consents


def referrals_by_reference(s: WriteTransaction, references: list[str]) -> list[dict]:
    """The whole rows of the referrals among ``references`` (unknown ones left out)."""
    return [row_dict(r) for r in s.execute(_BY_REFERENCES, {"references": list(references)})]


# built once: a shelter's list page asks for the names of up to 50 referrals at each view
_FILE_CONSENTS_OF = select(file_consents).where(
    file_consents.c.referral_id.in_(bindparam("ids", expanding=True)))
_BY_REFERENCES = select(referrals).where(
    referrals.c.reference.in_(bindparam("references", expanding=True)))


def load_for_update(s: WriteTransaction, reference: str):
    """The whole referral row, locked for the rest of the write transaction, or None."""
    return s.execute(_LOAD_FOR_UPDATE, {"reference": reference}).first()


# built once: loading a referral to change it is the first step of most writes and events
_LOAD_FOR_UPDATE = (select(referrals).where(referrals.c.reference == bindparam("reference"))
                    .with_for_update())


def consent_active(audience: str, now: datetime):
    """SQL for ``rules.consent_active``: the audience's flag is set and its end date ahead."""
    until = referrals.c[rules.CONSENT_UNTIL[audience]]
    return and_(referrals.c[rules.CONSENT_FLAG[audience]].is_(True),
                or_(until.is_(None), until > now))


def held_by_caller(caller: Caller, default_holder: str | None):
    """SQL for ``rules.holds``, read from the same ``rules.held_scope``: the referrals held by
    the caller's provider, and those nobody holds yet when that provider is the default holder
    (or there is none); nothing for a role that holds no referral."""
    scope = rules.held_scope(caller, default_holder)
    if scope is None:
        return false()
    agency, also_unheld = scope
    mine = referrals.c.held_by == agency
    return or_(mine, referrals.c.held_by.is_(None)) if also_unheld else mine


def visible_to(caller: Caller, now: datetime, holding_agency: str | None):
    """SQL for the referrals ``caller`` has full status access to (``rules.status_access``
    answers ``full``): shelter staff those their provider holds (``held_by_caller``);
    ``Forbidden`` for a role that sees none."""
    if caller.role == rules.SEES_EVERY_REFERRAL:
        return held_by_caller(caller, holding_agency)
    audience = rules.ROLE_AUDIENCE.get(caller.role)
    if audience is None:
        raise Forbidden(f"role {caller.role} may not list referrals")
    condition = consent_active(audience, now)
    if audience in rules.OWN_AGENCY_ONLY:
        condition = and_(referrals.c.referring_agency == caller.agency, condition)
    return condition
