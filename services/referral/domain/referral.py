"""Rules about a referral as submitted: who it is for, what it needs, who may see it. No I/O."""

import heapq
from datetime import datetime
from zoneinfo import ZoneInfo

from services.common.caller import Caller
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.timeutil import aware, iso
from services.contracts.submission import ADULT_AGE, age_of
from services.contracts.vocabulary import CONSENT_AUDIENCES

from . import file_consent


def population_group(submission: dict) -> str:
    """The shelter group a referral needs: children and families, else women or men."""
    survivor = submission["survivor"]
    minor = age_of(survivor, submission["identified_on"]) < ADULT_AGE
    if minor or submission.get("children"):
        return "children"
    return "women" if survivor["sex"] == "female" else "men"


def beds_needed(submission: dict) -> int:
    """A family needs as many beds as people."""
    return 1 + len(submission.get("children") or [])


def summary_fields(submission: dict) -> dict:
    """The non-personal facts kept in clear beside the encrypted file."""
    consent = submission["consent"]
    return {
        "population_group": population_group(submission),
        "urgency": submission["urgency"],
        "needs": list(submission["needs"]),
        "children_count": len(submission.get("children") or []),
        "beds_needed": beds_needed(submission),
        "share_status_with_referrer": bool(consent.get("share_status_with_referrer", True)),
        "share_with_legal": bool(consent.get("share_with_legal", True)),
        "survivor_minor": age_of(submission["survivor"], submission["identified_on"]) < ADULT_AGE,
    }


_FLAG = {"referring_police": "share_status_with_referrer", "legal_team": "share_with_legal"}
_UNTIL = {"referring_police": "referrer_consent_until", "legal_team": "legal_consent_until"}
_WITHDRAWN = {"referring_police": "referrer_consent_withdrawn_at",
              "legal_team": "legal_consent_withdrawn_at"}


# Who sees a referral: the shelter holding it every one; each other role only as a consent
# audience, the referring police only for their own agency's referrals. ``queries.visible_to``
# turns the same tables into the SQL filter of the referral list.
SEES_EVERY_REFERRAL = "shelter"
ROLE_AUDIENCE = {"police": "referring_police", "legal": "legal_team"}
OWN_AGENCY_ONLY = frozenset({"referring_police"})
CONSENT_FLAG = _FLAG
CONSENT_UNTIL = _UNTIL


def audience_of(caller: Caller, referral: dict) -> str | None:
    """Which consent audience the caller belongs to for this referral, if any."""
    audience = ROLE_AUDIENCE.get(caller.role)
    if audience in OWN_AGENCY_ONLY and caller.agency != referral["referring_agency"]:
        return None
    return audience


def consent_active(referral: dict, audience: str, now: datetime | None = None) -> bool:
    """The survivor's consent for ``audience`` stands: given, and not past its end date."""
    if not referral.get(_FLAG[audience]):
        return False
    until = referral.get(_UNTIL[audience])
    return until is None or now is None or aware(until) > aware(now)


def status_change(referral: dict, change: str, agency: str, now: datetime) -> dict:
    """The payload of ``referral.status_changed`` for a step of ``referral`` (a new status, or
    ``escalated``): codes and ids only, with the consent to share status with the referring
    police as it stands ``now`` (withdrawn or past its end date: false)."""
    return {
        "reference": referral["reference"], "change": change, "status": referral["status"],
        "agency": agency, "referring_agency": referral["referring_agency"],
        "submitted_by": referral["submitted_by"], "urgency": referral["urgency"],
        "share_status_with_referrer": consent_active(referral, "referring_police", now),
        "changed_at": now,
    }


def consent_until(referral: dict, audience: str):
    """When the audience's standing consent ends (None: no end date)."""
    return referral.get(_UNTIL[audience])


def consent_withdrawn_at(referral: dict, audience: str, now: datetime | None = None):
    """When consent ended for ``audience`` (withdrawn, or its end date passed), else None."""
    if consent_active(referral, audience, now):
        return None
    if referral.get(_WITHDRAWN[audience]) is not None:
        return referral[_WITHDRAWN[audience]]
    until = referral.get(_UNTIL[audience])
    if until is not None and now is not None and aware(until) <= aware(now):
        return until
    return None


def status_access(caller: Caller, referral: dict | None, now: datetime | None = None,
                  holding_agency: str | None = None) -> str | None:
    """``full`` (status and timeline), ``withdrawn`` (only that consent was withdrawn), or None
    (the caller must not learn that the referral exists: 404). Shelter staff: ``full`` when of
    the provider that holds the referral (``holds``; ``holding_agency`` holds one nobody holds
    yet), None otherwise; the list's SQL filter is the same rule (``queries.visible_to``)."""
    if referral is None:
        return None
    if caller.role == SEES_EVERY_REFERRAL:
        return "full" if holds(caller, referral, holding_agency) else None
    audience = audience_of(caller, referral)
    if audience is None:
        return None
    if consent_active(referral, audience, now):
        return "full"
    return "withdrawn" if consent_withdrawn_at(referral, audience, now) is not None else None


def withdrawn_view(reference: str, at) -> dict:
    """All an audience learns once the survivor withdrew consent to share with it."""
    return {"reference": reference, "status": "consent_withdrawn",
            "timeline": [{"at": iso(at), "agency": "shelter", "status": "consent_withdrawn",
                          "note": "The survivor withdrew consent to share this referral with you"}]}


def may_read_status(caller: Caller, referral: dict, now: datetime | None = None) -> bool:
    """Status is shared with the shelter, the referring police agency (with the survivor's
    consent), and the legal team (with consent to legal help)."""
    return status_access(caller, referral, now) == "full"


def check_consent_change(caller: Caller, audience: str, granted: bool, purpose: str | None,
                         until, now: datetime) -> None:
    """Shelter staff record the survivor's choices; a grant says what for, and an end date
    must lie ahead."""
    if caller.role != "shelter":
        raise Forbidden(f"role {caller.role} may not record consent")
    if audience not in CONSENT_AUDIENCES + (file_consent.AUDIENCE,):
        raise InvalidInput("audience must be referring_police, legal_team or provider",
                           field="audience")
    if not isinstance(granted, bool):
        raise InvalidInput("must be true or false", field="share")
    if granted and not (isinstance(purpose, str) and 1 <= len(purpose.strip()) <= 200):
        raise InvalidInput("a grant needs a purpose (1 to 200 characters)", field="purpose")
    if until is not None and aware(until) <= aware(now):
        raise InvalidInput("must lie in the future", field="until")


def consent_columns(audience: str, granted: bool, until, now: datetime) -> dict:
    """The referral columns a consent change sets."""
    return {_FLAG[audience]: granted, _UNTIL[audience]: until if granted else None,
            _WITHDRAWN[audience]: None if granted else now}


def consent_state(referral: dict, audience: str, now: datetime) -> dict:
    """The consent an audience stands under now, as the consent read shows it."""
    return {"share": consent_active(referral, audience, now),
            "until": iso(referral.get(_UNTIL[audience])),
            "withdrawn_at": iso(consent_withdrawn_at(referral, audience, now))}


def holder_of(referral: dict, default: str | None = None) -> str | None:
    """The provider that holds the referral (docs/decisions/0039): the one the shelter service
    last offered it to, else ``default`` (the network's shelter, ``REFNET_SHELTER_AGENCY``,
    for a referral not offered yet or from before routing)."""
    return referral.get("held_by") or default


def held_scope(caller: Caller, default_holder: str | None = None) -> tuple[str, bool] | None:
    """Which referrals ``holds`` lets the caller at, as data (the rule below and its SQL form,
    ``queries.held_by_caller``, are both read from it): None for a role that holds none (not
    shelter staff), else ``(agency, also_unheld)``: the referrals held by the caller's agency,
    and, when ``also_unheld``, those nobody holds yet (``held_by`` unset): the caller's agency
    is the ``default_holder`` that holds them, or there is no default (any shelter staff)."""
    if caller.role != SEES_EVERY_REFERRAL:
        return None
    return caller.agency, default_holder is None or caller.agency == default_holder


def holds(caller: Caller, referral: dict, default_holder: str | None = None) -> bool:
    """Whether the caller is staff of the provider that holds the referral: the one in its
    ``held_by`` (``holder_of``), else ``default_holder``; none known and no default: any
    shelter staff, as before routing."""
    scope = held_scope(caller, default_holder)
    if scope is None:
        return False
    agency, also_unheld = scope
    held_by = referral.get("held_by")
    return held_by == agency if held_by else also_unheld


def require_holder(caller: Caller, referral: dict | None, reference: str,
                   default_holder: str | None = None) -> dict:
    """The referral, for the staff of the provider that holds it (consent is theirs to record
    and read, docs/decisions/0039 and 0040); ``NotFound`` naming ``reference`` for anyone else,
    so another provider cannot tell the referral from one that does not exist."""
    if referral is None or not holds(caller, referral, default_holder):
        raise NotFound(f"no referral {reference}", field="reference")
    return referral


def may_read_file(caller: Caller, referral: dict, now: datetime | None = None,
                  default_holder: str | None = None) -> bool:
    """The full file (identity and circumstances) is for the staff of the provider that holds
    the referral (docs/decisions/0039), of an agency the survivor consented to share it with
    (``file_consent.shared_with`` over the referral's ``file_consents``, docs/decisions/0040)."""
    return holds(caller, referral, default_holder) and file_consent.shared_with(
        referral.get("file_consents") or {}, caller.agency, now)


def file_access(caller: Caller, referral: dict | None, now: datetime | None = None,
                default_holder: str | None = None) -> str | None:
    """``file`` (the file as submitted), ``summary`` (the status-level summary: the holder's
    staff without the survivor's consent to share the file with their agency), or None (404:
    not shelter staff, or not of the provider that holds the referral)."""
    if referral is None or not holds(caller, referral, default_holder):
        return None
    return "file" if may_read_file(caller, referral, now, default_holder) else "summary"


def require_attachment_access(caller: Caller, referral: dict | None, reference: str,
                              *, reading: bool, now: datetime | None = None,
                              default_holder: str | None = None) -> dict:
    """The referral, when the caller may add (``reading`` false) or list and read
    (``reading`` true) its documents: whoever reads the file does both; the referring police
    agency adds identity scans and reads none back (status, not files). ``NotFound`` for anyone
    who may not learn the referral exists; ``Forbidden`` for the rest. An anonymised referral
    lists none (its documents went with the file) and takes none (``Conflict``)."""
    referring = (referral is not None and caller.role == "police"
                 and caller.agency == referral["referring_agency"])
    access = file_access(caller, referral, now, default_holder)
    if access is None and not referring:
        raise NotFound(f"no referral {reference}", field="reference")
    if access != "file" and (reading or not referring):
        raise Forbidden("the survivor's documents are for the staff who may read the file "
                        "(the survivor's consent to share it with your agency)", field="reference")
    if not reading and referral.get("anonymised_at") is not None:
        raise Conflict(f"referral {reference} was anonymised: its documents are gone",
                       field="reference")
    return referral


def service_languages(submission: dict | None) -> list[str]:
    """The languages the survivor must be served in (codes): the summary shows them."""
    return list(((submission or {}).get("survivor") or {}).get("languages") or [])


def require_status_access(caller: Caller, referral: dict | None, reference: str,
                          now: datetime | None = None, holding_agency: str | None = None) -> dict:
    """The referral, or ``NotFound`` when the caller must not learn that it exists: another
    agency's reference must not be told apart from one that does not exist. An audience whose
    consent ended passes (``may_read_status`` then says it learns only that)."""
    if status_access(caller, referral, now, holding_agency) is None:
        raise NotFound(f"no referral {reference}", field="reference")
    return referral


def require_withdraw_access(caller: Caller, referral: dict | None, reference: str) -> dict:
    """The referral, for the police agency that referred it; ``NotFound`` for anyone else."""
    if referral is None or caller.role != "police" or caller.agency != referral["referring_agency"]:
        raise NotFound(f"no referral {reference}", field="reference")
    return referral


# --- legal updates on the timeline ------------------------------------------------------------

def may_see_legal_updates(caller: Caller, referral: dict, now: datetime | None = None) -> bool:
    """Court status and hearing dates: the shelter (it brings the survivor to court), the
    referring police while the survivor's consent to share status with them stands, and the
    legal team (their source) with consent to legal help: the audiences of the status itself."""
    return may_read_status(caller, referral, now)


def legal_update(event_type: str, payload: dict, occurred_at: datetime) -> dict:
    """The row a legal event adds to the referral's legal timeline: codes, court, dates."""
    if event_type == "legal.case_opened":
        return {"at": payload["opened_at"], "kind": "case_opened", "status": "opened"}
    if event_type == "legal.case_closed":
        return {"at": payload["closed_at"], "kind": "case_closed", "status": "closed"}
    if event_type == "legal.case_reopened":
        return {"at": payload["reopened_at"], "kind": "case_reopened", "status": "reopened"}
    if event_type == "legal.court_status_changed":
        return {"at": payload["changed_at"], "kind": "court_status", "court": payload["court"],
                "court_case_id": payload["court_case_id"], "status": payload["status"],
                "verdict": payload.get("verdict")}
    if event_type == "legal.hearing_scheduled":
        return {"at": payload["scheduled_at"], "kind": "hearing_scheduled", "court": payload["court"],
                "court_case_id": payload["court_case_id"], "hearing_id": payload["hearing_id"],
                "status": "scheduled", "starts_at": payload["starts_at"],
                "time_zone": payload["time_zone"]}
    if event_type == "legal.hearing_outcome":
        return {"at": payload["recorded_at"], "kind": "hearing_outcome", "court": payload["court"],
                "court_case_id": payload["court_case_id"], "hearing_id": payload["hearing_id"],
                "status": payload["outcome"]}
    raise ValueError(f"not a legal timeline event: {event_type}")


def _local(starts_at: datetime, zone_name: str) -> str:
    local = aware(starts_at).astimezone(ZoneInfo(zone_name))
    return f"{local:%Y-%m-%d %H:%M} ({zone_name})"


def legal_timeline_entry(update: dict) -> dict:
    """A legal update as a timeline entry: ``kind`` legal, ``status`` a legal code."""
    kind, court = update["kind"], update.get("court")
    entry = {"at": iso(update["at"]), "agency": court or "legal", "kind": "legal"}
    if kind == "case_opened":
        return {**entry, "status": "legal_case_opened", "note": "Legal case opened"}
    if kind == "case_closed":
        return {**entry, "status": "legal_case_closed", "note": "Legal case closed"}
    if kind == "case_reopened":
        return {**entry, "status": "legal_case_reopened", "note": "Legal case reopened"}
    if kind == "court_status":
        verdict = f" ({update['verdict']})" if update.get("verdict") else ""
        return {**entry, "status": f"court_{update['status']}",
                "note": f"Court case at {court}: {update['status']}{verdict}"}
    if kind == "hearing_scheduled":
        return {**entry, "status": "hearing_scheduled", "hearing_at": iso(update["starts_at"]),
                "note": f"Hearing at {court} on {_local(update['starts_at'], update['time_zone'])}"}
    return {**entry, "status": f"hearing_{update['status']}",
            "note": f"Hearing at {court}: {update['status']}"}


def merge_timeline(lifecycle_entries: list[dict], legal_entries: list[dict]) -> list[dict]:
    """Both lists in time order, each keeping its own order for equal times."""
    return list(heapq.merge(lifecycle_entries, legal_entries,
                            key=lambda e: datetime.fromisoformat(e["at"])))


def legal_summary(updates: list[dict]) -> dict:
    """The latest court status of each court case and every hearing with its current status."""
    court_cases: dict[str, dict] = {}
    hearings: dict[str, dict] = {}
    for u in updates:  # in arrival order
        if u["kind"] == "court_status":
            court_cases[u["court_case_id"]] = {
                "court_case_id": u["court_case_id"], "court": u["court"], "status": u["status"],
                "verdict": u.get("verdict"), "changed_at": iso(u["at"])}
        elif u["kind"] == "hearing_scheduled":
            local = aware(u["starts_at"]).astimezone(ZoneInfo(u["time_zone"]))
            hearings.setdefault(u["hearing_id"], {"status": "scheduled"}).update({
                "hearing_id": u["hearing_id"], "court": u["court"],
                "court_case_id": u["court_case_id"], "starts_at": iso(u["starts_at"]),
                "starts_at_local": local.isoformat(), "time_zone": u["time_zone"]})
        elif u["kind"] == "hearing_outcome":
            hearings.setdefault(u["hearing_id"], {"hearing_id": u["hearing_id"]})["status"] = u["status"]
    return {"court_cases": list(court_cases.values()),
            "hearings": sorted(hearings.values(), key=lambda h: h.get("starts_at") or "")}
