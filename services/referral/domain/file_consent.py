"""Consent to share the referral FILE (identity and circumstances) with a provider, recorded per
agency (docs/decisions/0040). No I/O.

A referral's file consents are a mapping agency id -> ``{"granted", "until", "withdrawn_at"}``.
The key ``NETWORK`` (``*``, never an agency id) stands for every provider the referral is
offered to: what the police's submission gives when it names no provider and the referral goes
to the network. A row for one agency overrides it, so shelter staff may withdraw the consent of
one provider under a network consent, or grant it to a provider the police did not name.
"""

from datetime import datetime

from services.common.errors import InvalidInput
from services.common.timeutil import aware, iso
from services.contracts.identities import AGENCY

NETWORK = "*"
AUDIENCE = "provider"  # the consent audience of the file, with its agency


def initial_agencies(consent: dict, requested_provider: str | None) -> tuple[str, ...]:
    """Whom the file is shared with when the referral is submitted: the police's
    ``consent.share_file_with`` when given (an empty list: no provider reads the file, each
    sees the summary until shelter staff record consent); otherwise the provider the referral
    is addressed to (``addressed_to``), or, for a referral to the network, every provider it
    is offered to (``NETWORK``)."""
    listed = consent.get("share_file_with")
    if listed is not None:
        return tuple(dict.fromkeys(listed))
    if requested_provider:
        return (requested_provider,)
    return (NETWORK,)


def consent_of(consents: dict, agency: str | None) -> dict | None:
    """The consent that applies to ``agency``: its own, else the network's, else none."""
    own = consents.get(agency) if agency else None
    return own if own is not None else consents.get(NETWORK)


def shared_with(consents: dict, agency: str | None, now: datetime | None = None) -> bool:
    """The survivor's consent to share the file with ``agency`` stands: granted (for it, or
    for the network with no withdrawal for it) and not past its end date."""
    c = consent_of(consents, agency)
    if c is None or not c.get("granted"):
        return False
    until = c.get("until")
    return until is None or now is None or aware(until) > aware(now)


def check_agency(agency) -> str:
    """The provider a file consent is recorded for: an agency id (``field`` agency)."""
    if not isinstance(agency, str) or not AGENCY.fullmatch(agency):
        raise InvalidInput("the provider's agency id is required for audience provider",
                           field="agency")
    return agency


def columns(granted: bool, until, now: datetime) -> dict:
    """The values of an agency's file-consent row after a change."""
    return {"granted": granted, "until": until if granted else None,
            "withdrawn_at": None if granted else now, "updated_at": now}


def states(consents: dict, now: datetime) -> list[dict]:
    """Each recorded file consent as the consent read shows it (``*``: the network)."""
    return [{"agency": agency, "share": shared_with({agency: c}, agency, now),
             "until": iso(c.get("until")), "withdrawn_at": iso(c.get("withdrawn_at"))}
            for agency, c in sorted(consents.items())]
