"""Partner referrals on the referral's timeline (docs/decisions/0040): what the shelter service
announced (``shelter.partner_referral_changed``) as rows of their own, beside the lifecycle
timeline (a partner's answer never moves the referral's status), shown to the agencies
involved: the provider's staff. The police, the legal team and the FHIR Task do not see them.
No I/O."""

from services.common.caller import Caller
from services.common.timeutil import iso

SEES_PARTNER_UPDATES = ("shelter",)   # the provider's staff (the status access rule comes first)


def visible_to(caller: Caller) -> bool:
    """Whether the caller's status answer shows partner referrals (after ``status_access``)."""
    return caller.role in SEES_PARTNER_UPDATES


def update_of(payload: dict) -> dict:
    """The row a ``shelter.partner_referral_changed`` event adds: ids, codes and the time."""
    return {"at": payload["changed_at"], "partner_referral_id": payload["partner_referral_id"],
            "agency": payload["agency"], "partner_agency": payload["partner_agency"],
            "service": payload["service"], "status": payload["status"],
            "reason_code": payload.get("reason_code"), "outcome_code": payload.get("outcome_code")}


_NOTE = {"sent": "{service}: referred to {partner_agency}",
         "accepted": "{service}: accepted by {partner_agency}",
         "declined": "{service}: declined by {partner_agency}",
         "done": "{service}: done by {partner_agency}"}


def timeline_entry(u: dict) -> dict:
    """A partner update as a timeline entry: ``kind`` partner, ``status`` partner_<status>,
    the agency that acted, and the decline's reason or the outcome as its code."""
    entry = {"at": iso(u["at"]), "kind": "partner",
             "agency": u["agency"] if u["status"] == "sent" else u["partner_agency"],
             "status": f"partner_{u['status']}", "partner_agency": u["partner_agency"],
             "note": _NOTE[u["status"]].format(**u)}
    code = u.get("reason_code") or u.get("outcome_code")
    if code:
        entry["reason_code"] = code
    return entry
