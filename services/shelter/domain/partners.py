"""Partner referrals (issue 18 item 6, docs/decisions/0040): a care-plan item referred to a
partner agency (return and reintegration, a travel document, a labour dispute, MHPSS...) that
reports back with its status only. No I/O.

The loop: ``sent`` (by the provider's staff) -> ``accepted`` or ``declined`` (a code of
``PARTNER_DECLINE_REASONS``) by the partner; ``accepted`` -> ``done`` (a code of
``PARTNER_OUTCOMES``) or ``declined``. ``declined`` and ``done`` are final. A partner's user sees
only what was referred to their own agency; anyone else's is a referral that does not exist.
"""

from services.common.caller import Caller
from services.common.errors import IllegalTransition, InvalidInput, NotFound
from services.contracts.identities import AGENCY
from services.contracts.vocabulary import (PARTNER_DECLINE_REASONS, PARTNER_OUTCOMES,
                                           PARTNER_REFERRAL_STATUSES, PARTNER_SERVICES)

PARTNER_ROLE = "partner"
PROVIDER_ROLE = "shelter"
TRANSITIONS = {
    "sent": ("accepted", "declined"),
    "accepted": ("done", "declined"),
    "declined": (),
    "done": (),
}
OPEN = ("sent", "accepted")               # an item has at most one referral in these at a time
REFERABLE_ITEM_STATUSES = ("planned", "in_progress")
ANSWERS = tuple(s for s in PARTNER_REFERRAL_STATUSES if s != "sent")   # what a partner records
assert set(TRANSITIONS) == set(PARTNER_REFERRAL_STATUSES)


def check_new(service, partner_agency, own_agency: str | None = None) -> None:
    """A referral to a partner names a service of ``PARTNER_SERVICES`` and an agency id
    (not the provider's own)."""
    if service not in PARTNER_SERVICES:
        raise InvalidInput(f"service must be one of {', '.join(PARTNER_SERVICES)}",
                           field="service")
    if not isinstance(partner_agency, str) or not AGENCY.fullmatch(partner_agency):
        raise InvalidInput("not an agency id", field="partner_agency")
    if own_agency is not None and partner_agency == own_agency:
        raise InvalidInput("a provider does not refer an item to itself", field="partner_agency")


def check_item_referable(item_status: str, open_referral: bool) -> None:
    """Only a planned or running item is referred, and not while a referral of it is open."""
    if item_status not in REFERABLE_ITEM_STATUSES:
        raise IllegalTransition(f"a {item_status} item is not referred to a partner", field="item")
    if open_referral:
        raise IllegalTransition("the item's referral to a partner is still open", field="item")


# the code each answer takes: the field, the answer it belongs to, its codes, how it is named
ANSWER_CODES = {"reason_code": ("declined", PARTNER_DECLINE_REASONS, "a decline"),
                "outcome_code": ("done", PARTNER_OUTCOMES, "done")}


def check_answer(current: str, status, reason_code=None, outcome_code=None) -> dict:
    """A partner's answer: the columns it sets. ``declined`` takes a ``reason_code``, ``done``
    an ``outcome_code``, ``accepted`` neither; a move the loop does not allow is refused naming
    ``status`` (done before accepted, anything after declined or done)."""
    if status not in ANSWERS:
        raise InvalidInput(f"status must be one of {', '.join(ANSWERS)}", field="status")
    given = {"reason_code": reason_code, "outcome_code": outcome_code}
    for field, (answer, codes, who) in ANSWER_CODES.items():
        if status == answer:
            if given[field] not in codes:
                raise InvalidInput(f"{who} needs a {field}: {', '.join(codes)}", field=field)
        elif given[field] is not None:
            raise InvalidInput(f"only {who} takes a {field}", field=field)
    if status not in TRANSITIONS.get(current, ()):
        raise IllegalTransition(f"a {current} referral cannot become {status}", field="status")
    return {"status": status, "reason_code": reason_code, "outcome_code": outcome_code}


def require_partner_of(caller: Caller, referral: dict | None, partner_referral_id: str) -> dict:
    """The referral, for a partner user of the agency it was referred to; ``NotFound`` for
    anyone else (another agency's user must not learn it exists)."""
    if (referral is None or caller.role != PARTNER_ROLE
            or caller.agency != referral["partner_agency"]):
        raise NotFound(f"no partner referral {partner_referral_id}", field="partner_referral")
    return referral


def partner_view(r: dict) -> dict:
    """What the partner's users see: status, codes and dates; no plan, no note, no file."""
    return {k: r[k] for k in ("partner_referral_id", "reference", "agency", "partner_agency",
                              "service", "status", "reason_code", "outcome_code", "sent_at",
                              "updated_at")}
