"""The agency directory's rules (docs/decisions/0037): what an agency entry is, what an admin may
change, which agency a role's people may work at, and which agency a referral may be addressed
to. No I/O; the use cases in ``usecases/directory.py`` apply them.

An entry: ``id`` (the agency id tokens and web users carry, ``contracts.identities.AGENCY``),
``names`` (one per page language; English required), ``kind`` (``AGENCY_KINDS``), ``region``,
``services`` (``AGENCY_SERVICES``), ``languages`` (ISO 639 codes of the languages its staff
speak), ``routing_order`` (where a shelter provider comes when a referral to the network is
offered round; None: after those with one) and ``active``.
"""

import re

from services.common.caller import Caller
from services.common.errors import Forbidden, InvalidInput
from services.contracts.identities import AGENCY
from services.contracts.vocabulary import (AGENCY_KINDS, AGENCY_NAME_LANGUAGES, AGENCY_SERVICES,
                                           PROVIDER_KIND, ROLE_AGENCY_KINDS)

MANAGES_DIRECTORY = "admin"
LANGUAGE = re.compile(r"[a-z]{2,3}")  # an ISO 639-1 or 639-3 code (whole text)
NAME_MAX = 200
REGION_MAX = 100
MAX_LANGUAGES = 20
ROUTING_ORDER_MAX = 1_000_000
# what ``update_agency`` may change (the id and the kind never change: tokens, web users and
# referrals name the id, and a kind that changed would let a role's people act where they may not)
CHANGEABLE = ("names", "region", "services", "languages", "routing_order", "active")


def require_admin(caller: Caller) -> None:
    """Only an administrator registers or changes an agency (``Forbidden``)."""
    if caller.role != MANAGES_DIRECTORY:
        raise Forbidden("only an administrator manages the agency directory")


def check_id(agency) -> str:
    """The agency id, or ``InvalidInput`` naming ``id``."""
    if not isinstance(agency, str) or not AGENCY.fullmatch(agency):
        raise InvalidInput("an agency id is 1 to 100 of a-z 0-9 . _ -, starting with a letter "
                           "or digit", field="id")
    return agency


def check_kind(kind) -> str:
    """One of ``AGENCY_KINDS``, or ``InvalidInput`` naming ``kind``."""
    if kind not in AGENCY_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(AGENCY_KINDS)}", field="kind")
    return kind


def check_names(names) -> dict[str, str]:
    """A name per page language (``AGENCY_NAME_LANGUAGES``), English required; each 1 to
    ``NAME_MAX`` characters, trimmed. ``InvalidInput`` naming ``names`` or ``names.<lang>``."""
    if not isinstance(names, dict):
        raise InvalidInput("names is an object of language -> name", field="names")
    out = {}
    for language, name in names.items():
        if language not in AGENCY_NAME_LANGUAGES:
            raise InvalidInput(f"a name is given in {', '.join(AGENCY_NAME_LANGUAGES)}",
                               field=f"names.{language}")
        if name is None:
            continue
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX:
            raise InvalidInput(f"a name is 1 to {NAME_MAX} characters", field=f"names.{language}")
        out[language] = name.strip()
    if "en" not in out:
        raise InvalidInput("an agency's English name is required", field="names.en")
    return out


def check_region(region) -> str:
    """A region (free text of at most ``REGION_MAX`` characters; may be empty)."""
    if region is None:
        return ""
    if not isinstance(region, str) or len(region.strip()) > REGION_MAX:
        raise InvalidInput(f"region is at most {REGION_MAX} characters", field="region")
    return region.strip()


def check_services(services) -> list[str]:
    """Codes of ``AGENCY_SERVICES``, each once, in the vocabulary's order."""
    if services is None:
        return []
    if not isinstance(services, (list, tuple)) or any(s not in AGENCY_SERVICES for s in services):
        raise InvalidInput(f"services are codes of {', '.join(AGENCY_SERVICES)}", field="services")
    return [s for s in AGENCY_SERVICES if s in services]


def check_languages(languages) -> list[str]:
    """ISO 639 codes (2 or 3 lower-case letters), each once, in the order given."""
    if languages is None:
        return []
    if (not isinstance(languages, (list, tuple)) or len(languages) > MAX_LANGUAGES
            or any(not isinstance(c, str) or not LANGUAGE.fullmatch(c) for c in languages)):
        raise InvalidInput(f"languages are at most {MAX_LANGUAGES} ISO 639 codes",
                           field="languages")
    return list(dict.fromkeys(languages))


def check_routing_order(order) -> int | None:
    """A whole number from 0 to ``ROUTING_ORDER_MAX``, or None."""
    if order is None:
        return None
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= ROUTING_ORDER_MAX:
        raise InvalidInput(f"routing_order is a whole number from 0 to {ROUTING_ORDER_MAX}",
                           field="routing_order")
    return order


def check_active(active) -> bool:
    if not isinstance(active, bool):
        raise InvalidInput("active is true or false", field="active")
    return active


def new_agency(agency, kind, names, region=None, services=None, languages=None,
               routing_order=None, active=True) -> dict:
    """A new entry, every field checked (``InvalidInput`` naming the first bad one)."""
    return {"id": check_id(agency), "kind": check_kind(kind), "names": check_names(names),
            "region": check_region(region), "services": check_services(services),
            "languages": check_languages(languages),
            "routing_order": check_routing_order(routing_order), "active": check_active(active)}


_CHECKS = {"region": check_region, "services": check_services, "languages": check_languages,
           "routing_order": check_routing_order, "active": check_active}


def changed(current: dict, changes: dict) -> dict:
    """The entry after ``changes`` (only ``CHANGEABLE`` fields). ``names`` merges per language:
    a language given null is removed, except English, which stays required."""
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("give at least one of " + ", ".join(CHANGEABLE), field="changes")
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed (only {', '.join(CHANGEABLE)})",
                           field=unknown[0])
    after = dict(current)
    for name, value in changes.items():
        if name == "names":
            if not isinstance(value, dict):
                raise InvalidInput("names is an object of language -> name", field="names")
            merged = {**current["names"], **value}
            after["names"] = check_names({k: v for k, v in merged.items() if v is not None})
        else:
            after[name] = _CHECKS[name](value)
    return after


def kind_fits_role(role: str, kind: str) -> bool:
    """Whether a person of ``role`` may work at an agency of ``kind`` (``ROLE_AGENCY_KINDS``)."""
    return kind in ROLE_AGENCY_KINDS.get(role, ())


def identity_problem(role: str, agency: dict | None) -> str | None:
    """Why a token or web user of ``role`` may not name ``agency`` (the directory entry, or None
    for an unknown id), or None when it may: the agency exists, is active, and its kind fits."""
    if agency is None:
        return "unknown agency: register it first (refnet agency add)"
    if not agency.get("active"):
        return "the agency is inactive"
    if not kind_fits_role(role, agency.get("kind")):
        fits = ", ".join(ROLE_AGENCY_KINDS.get(role, ()))
        return f"a {role} works at an agency of kind {fits}, not {agency.get('kind')}"
    return None


def addressee_problem(agency: dict | None) -> str | None:
    """Why a referral may not be addressed to ``agency`` (None when it may): it must exist, be
    active and be a shelter provider."""
    if agency is None:
        return "no such agency"
    if not agency.get("active"):
        return "the agency is inactive"
    if agency.get("kind") != PROVIDER_KIND:
        return f"the agency is not a {PROVIDER_KIND}"
    return None


def display_name(agency: dict | None, language: str, fallback: str) -> str:
    """The agency's name in ``language``, else English, else ``fallback`` (its id)."""
    if not agency:
        return fallback
    names = agency.get("names") or {}
    return names.get(language) or names.get("en") or fallback
