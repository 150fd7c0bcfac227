"""A referral's status as an HL7 FHIR R4 Task of the SDOHCC "Task for Referral Management"
profile (docs/decisions/0025). Plain rules and dictionaries, no I/O, no FHIR library.

* ``TASK_STATUS`` maps every lifecycle status to a ``Task.status`` of the profile's value set
  (SDOHCC ValueSet Referral Task Status: FHIR R4 task-status without ``received`` and
  ``ready``); ``closed`` takes the Task status of the status it closed.
* Our own status travels in ``businessStatus`` (a code of refnet's referral-status system).
* ``for`` is a keyed, per-referral pseudonym (``patient_pseudonym``), never a name; requester
  and owner are the agencies by id (logical references), never a person.
* ``statusReason`` is given when the Task is ``rejected`` or ``cancelled``: the code of the
  shelter's decline reason or of the police's withdrawal reason (refnet's status-reason code
  system, English display), as the status timeline shows it to the same audiences. Never text:
  a free-text note stays with the service that took it (docs/decisions/0036).
"""

import hashlib
import hmac

from services.contracts.decisions import reason_label
from services.contracts.vocabulary import UNKNOWN

from .lifecycle import STALE

PROFILE = ("http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/"
           "SDOHCC-TaskForReferralManagement")
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"

# refnet's own systems (a deployment that publishes them elsewhere changes this one base)
SYSTEM_BASE = "https://refnet.example.org/fhir"
REFERENCE_SYSTEM = f"{SYSTEM_BASE}/NamingSystem/referral-reference"
AGENCY_SYSTEM = f"{SYSTEM_BASE}/NamingSystem/agency"
STATUS_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/referral-status"
REASON_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/status-reason"  # DECLINE_ and WITHDRAWAL_REASONS

# SDOHCC-ValueSetReferralTaskStatus: every R4 task-status code but `received` and `ready`
PROFILE_STATUSES = frozenset({
    "draft", "requested", "accepted", "rejected", "cancelled", "in-progress", "on-hold",
    "failed", "completed", "entered-in-error",
})

TASK_STATUS: dict[str, str] = {
    "submitted": "requested",   # sent to the shelter, action sought
    "received": "requested",    # FHIR `received` is outside the profile; ours says received
    "screening": "requested",   # still deciding: no agreement to perform yet
    "accepted": "accepted",     # agreed to perform, the person has not arrived
    "waitlisted": "accepted",   # agreed, waiting for a bed of the group
    "bed_held": "accepted",     # agreed, a bed is held until a deadline
    "admitted": "in-progress",  # the service is being delivered
    "discharged": "completed",  # delivered, whatever the outcome
    "declined": "rejected",     # the shelter decided not to perform it
    "withdrawn": "cancelled",   # the referring police called it off
}
# `closed` ends a discharged, declined or withdrawn referral and keeps that one's Task status;
# a referral closed by retention while it was still waiting (lifecycle.STALE) was never
# performed: cancelled
CLOSED_FROM_UNKNOWN = "completed"
CLOSED_STALE = "cancelled"

PRIORITY = {"routine": "routine", "urgent": "urgent", "emergency": "stat"}

STATUS_DISPLAY = {
    "submitted": "Submitted", "received": "Received by the shelter", "screening": "Screening",
    "accepted": "Accepted", "waitlisted": "Waitlisted", "bed_held": "Bed held",
    "admitted": "Admitted", "discharged": "Discharged", "declined": "Declined",
    "withdrawn": "Withdrawn", "closed": "Closed",
}

_ENDED_WITH_REASON = ("declined", "withdrawn")


def _settled(status: str, timeline: list[dict] | None) -> str | None:
    """The status that decides the Task: ``status`` itself, or for ``closed`` the last other
    status on the timeline (None when the timeline does not say)."""
    if status != "closed":
        return status
    before = [e["status"] for e in timeline or [] if e["status"] != "closed"]
    return before[-1] if before else None


def task_status(status: str, timeline: list[dict] | None = None) -> str:
    """The ``Task.status`` of a referral in ``status``; for ``closed``, the status it closed
    (the last other status on its timeline) decides."""
    settled = _settled(status, timeline)
    if settled is None:
        return CLOSED_FROM_UNKNOWN
    if status == "closed" and settled in STALE:
        return CLOSED_STALE
    try:
        return TASK_STATUS[settled]
    except KeyError:
        raise ValueError(f"no Task status for referral status {status}") from None


def patient_pseudonym(key: bytes, reference: str) -> str:
    """A stable pseudonym for the person of one referral: HMAC-SHA256 under the service's key,
    domain-separated from the name digest. It names no one, cannot be computed without the key,
    and differs per referral (two referrals of one person are not linked through it)."""
    digest = hmac.new(key, b"refnet fhir patient v1\x00" + reference.encode(), hashlib.sha256)
    return "p" + digest.hexdigest()[:32]


def status_reason(status: str, timeline: list[dict]) -> dict | None:
    """The coded reason behind a rejected or cancelled Task: the reason code of the decline or
    withdrawal entry (``unknown`` for one recorded before the codes), never its note."""
    ended = _settled(status, timeline)
    if ended not in _ENDED_WITH_REASON:
        return None
    # the entry with the code: a flag to the admins (docs/decisions/0039) may follow a decline
    # with the same status and no code
    ended_entries = [e for e in timeline if e["status"] == ended]
    entry = next((e for e in reversed(ended_entries) if e.get("reason_code")),
                 ended_entries[-1] if ended_entries else {})
    code = entry.get("reason_code") or UNKNOWN
    return {"coding": [{"system": REASON_SYSTEM, "code": code, "display": reason_label(code)}]}


def owner_agency(timeline: list[dict]) -> str | None:
    """The shelter that took the referral: the agency that recorded its receipt."""
    return next((e["agency"] for e in timeline if e["status"] == "received"), None)


def _agency(agency: str) -> dict:
    return {"type": "Organization", "identifier": {"system": AGENCY_SYSTEM, "value": agency}}


def build_task(*, reference: str, status: str, referring_agency: str, submitted_at: str,
               urgency: str | None, timeline: list[dict], patient: str,
               holder: str | None = None) -> dict:
    """The Task (a JSON-ready dict) of one referral.

    ``timeline`` is the lifecycle timeline, oldest first (``at`` ISO 8601, ``agency``,
    ``status``, ``note``); ``patient`` the pseudonym from ``patient_pseudonym``; ``holder``
    the provider holding the referral (the ``owner``; else the agency that received it).
    """
    fhir_status = task_status(status, timeline)
    task = {
        "resourceType": "Task",
        "id": reference,
        "meta": {"profile": [PROFILE]},
        "identifier": [{"use": "official", "system": REFERENCE_SYSTEM, "value": reference}],
        "status": fhir_status,
        "businessStatus": {
            "coding": [{"system": STATUS_SYSTEM, "code": status,
                        "display": STATUS_DISPLAY.get(status, status)}],
            "text": status,
        },
        "intent": "order",
        "code": {"coding": [{"system": TASK_CODE_SYSTEM, "code": "fulfill",
                             "display": "Fulfill the focal request"}]},
        "focus": {"reference": f"ServiceRequest/{reference}", "type": "ServiceRequest"},
        "for": {"reference": f"Patient/{patient}", "type": "Patient"},
        "authoredOn": submitted_at,
        "lastModified": timeline[-1]["at"] if timeline else submitted_at,
        "requester": _agency(referring_agency),
    }
    if urgency in PRIORITY:
        task["priority"] = PRIORITY[urgency]
    owner = holder or owner_agency(timeline)
    if owner:
        task["owner"] = _agency(owner)
    reason = status_reason(status, timeline)
    if reason is not None:  # rejected or cancelled: the profile asks for a statusReason
        task["statusReason"] = reason
    return task
