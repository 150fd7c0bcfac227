"""Who sees which slice of the legal service's data, and in what shape. No I/O.

* legal team: everything, including legal notes (which no one else ever gets);
* court (role ``court``, agency = its court id): court cases and hearings at its own court,
  with case number, charges, status, purpose and outcome; nothing of any other court (``404``,
  never a hint that it exists), no legal case, no notes, no documents, no disputes;
* shelter: hearings of its residents (referrals that shelter accepted): date, time, court and
  whether the survivor must attend, nothing else;
* police: hearings of cases their agency referred, while the survivor's consent to share status
  with the referring agency stands: date, time, court, status;
* admin, analyst: none of it.

The legal team, too, sees a referral's court cases and hearings only while the survivor's
consent to legal help stands (not withdrawn, end date not passed). Which records a caller sees
is a rule (services/legal/domain/conditions.py): the queries filter with it and ``sees_*`` check
it in memory, from the one definition here.
"""

from datetime import datetime

from services.common.caller import Caller
from services.common.errors import Forbidden, NotFound

from .conditions import Equals, Rule, holds
from .consent import legal_consent_stands, referrer_consent_stands
from .hearings import local_view


_WHEN = frozenset({"starts_at", "local_date", "local_time", "time_zone", "starts_at_local"})
_COURT_CASE_COMMON = frozenset({"court_case_id", "court", "case_number", "charges", "standing",
                                "status", "verdict", "updated_at", "status_history", "hearings"})

# The legal service's visibility table: view -> role -> the fields granted. Every view below is
# cut by ``shape`` from it; the object relation (own court, own residents, the referring agency
# with consent, the legal team with consent) is decided by ``sees_*``/``require_*`` first.
VISIBILITY: dict[str, dict[str, frozenset[str]]] = {
    "hearing": {
        "legal": _WHEN | {"hearing_id", "court", "attendance_required", "status", "court_case_id",
                          "case_number", "purpose", "outcome_note", "postponed_from", "reference",
                          "case_id"},
        "court": _WHEN | {"hearing_id", "court", "attendance_required", "status", "court_case_id",
                          "case_number", "purpose", "outcome_note", "postponed_from"},
        "shelter": _WHEN | {"hearing_id", "reference", "court", "attendance_required"},
        "police": _WHEN | {"hearing_id", "court", "attendance_required", "status", "reference"},
    },
    "court_case": {
        "legal": _COURT_CASE_COMMON | {"case_id", "reference"},
        "court": _COURT_CASE_COMMON,
    },
    # report figures: counts only, no reference or case number; the gateway
    # suppresses them for the public audience (the only one analysts may ask for)
    "report": {role: frozenset({"period", "legal_cases_opened", "court_cases"})
               for role in ("shelter", "analyst")},
}

HEARING_READERS = tuple(VISIBILITY["hearing"])  # the roles ``hearing_rule`` grants any hearing


def shape(view: str, role: str, data: dict) -> dict:
    """``data`` cut to the fields ``role`` is granted in ``view`` (none for an unknown one)."""
    allowed = VISIBILITY.get(view, {}).get(role, frozenset())
    return {k: v for k, v in data.items() if k in allowed}


def require_legal(caller: Caller) -> None:
    """Only the legal team may do this."""
    if caller.role != "legal":
        raise Forbidden(f"role {caller.role} may not do this")


def court_case_relation(caller: Caller) -> Rule | None:
    """The court cases a role works on, before consent: the legal team every one, a court those
    at its own court; ``None`` for every other role."""
    if caller.role == "legal":
        return ()
    if caller.role == "court":
        return (Equals("court", caller.agency),)
    return None


def court_case_rule(caller: Caller, now: datetime) -> Rule | None:
    """The court cases a caller sees: its relation, and for the legal team the survivor's
    consent to legal help as well."""
    relation = court_case_relation(caller)
    if relation is None or caller.role != "legal":
        return relation
    return relation + legal_consent_stands(now)


def _require_related(caller: Caller, record: dict | None, missing: str, field: str) -> dict:
    """``record`` if it is at the caller's court (or the caller is the legal team); ``Forbidden``
    for other roles, ``NotFound`` otherwise (never a hint that another court's record exists)."""
    relation = court_case_relation(caller)
    if relation is None:
        raise Forbidden(f"role {caller.role} may not do this")
    if record is None or not holds(relation, record):
        raise NotFound(missing, field=field)
    return record


def require_court_case(caller: Caller, court_case: dict | None, court_case_id: str) -> dict:
    """The court case if the caller may see it, else ``NotFound`` (also for another court)."""
    return _require_related(caller, court_case, f"no court case {court_case_id}", "court_case_id")


def hearing_rule(caller: Caller, now: datetime) -> Rule | None:
    """The hearings a caller sees, as conditions on the hearing and its referral's consent:
    the legal team and courts as for court cases, a shelter its residents' hearings, the police
    those of referrals they made while the survivor shares status with them."""
    if caller.role in ("legal", "court"):
        return court_case_rule(caller, now)
    if caller.role == "shelter":
        return (Equals("shelter_agency", caller.agency),)
    if caller.role == "police":
        return referrer_consent_stands(caller.agency, now)
    return None


def sees_hearing(caller: Caller, hearing: dict, now: datetime) -> bool:
    """Whether the caller sees this hearing (with its referral's consent fields) at ``now``."""
    return holds(hearing_rule(caller, now), hearing)


def hearing_view(caller: Caller, hearing: dict) -> dict:
    """The hearing as the caller's role may see it (call ``sees_hearing`` first)."""
    when = local_view(hearing["starts_at"], hearing["time_zone"])
    full = {"hearing_id": hearing["id"], "court": hearing["court"], **when,
            "attendance_required": bool(hearing["attendance_required"]),
            "status": hearing["status"], "court_case_id": hearing["court_case_id"],
            "case_number": hearing["case_number"], "purpose": hearing["purpose"],
            "outcome_note": hearing["outcome_note"], "postponed_from": hearing["postponed_from"],
            "reference": hearing["reference"], "case_id": hearing["case_id"]}
    return shape("hearing", caller.role, full)


def require_hearing(caller: Caller, hearing: dict | None, hearing_id: str) -> dict:
    """For recording an outcome: the legal team, or the court the hearing is at."""
    return _require_related(caller, hearing, f"no hearing {hearing_id}", "hearing_id")


def court_case_view(caller: Caller, court_case: dict) -> dict:
    """The court case as the caller's role may see it (call ``require_court_case`` first)."""
    view = {"court_case_id": court_case["id"], "court": court_case["court"],
            "case_number": court_case["case_number"], "charges": court_case["charges"],
            "standing": court_case["standing"], "status": court_case["status"],
            "verdict": court_case["verdict"], "updated_at": court_case["updated_at"]}
    view.update(case_id=court_case["case_id"], reference=court_case["reference"])
    return shape("court_case", caller.role, view)
