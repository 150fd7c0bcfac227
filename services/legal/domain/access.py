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

The legal team, too, sees a referral's records only while the survivor's consent to legal help
stands (not withdrawn, end date not passed): every read and every write of a legal case, its
sessions, notes, documents and disputes, its court cases and hearings, and what the shelter
referred. A record the caller may not see, consent gone included, is ``404`` exactly as one
that does not exist. Which records a caller sees is a rule (services/legal/domain/conditions.py)
made of the caller's relation to the record and ``consent_rule``, the one consent predicate:
the queries filter with it and ``sees_*``/``require_*`` check it in memory.
"""

from datetime import datetime

from services.common.caller import Caller
from services.common.errors import Forbidden, NotFound

from .conditions import Equals, Rule, holds
from .consent import legal_consent_stands, referrer_consent_stands
from .hearings import local_view


_WHEN = frozenset({"starts_at", "local_date", "local_time", "time_zone", "starts_at_local"})
_COURT_CASE_COMMON = frozenset({"court_case_id", "court", "case_number", "charges", "standing",
                                "status", "verdict", "updated_at", "status_history", "hearings",
                                "hearings_cancelled"})
_LEGAL_CASE = frozenset({"case_id", "reference", "lawyer", "status", "opened_at", "opened_by",
                         "closed_at", "closure_reason"})

# The legal service's visibility table: view -> role -> the fields granted. Every view below is
# cut by ``shape`` from it; the object relation (own court, own residents, the referring agency
# with consent, the legal team with consent) is decided by ``sees_*``/``require_*`` first.
VISIBILITY: dict[str, dict[str, frozenset[str]]] = {
    "hearing": {
        "legal": _WHEN | {"hearing_id", "court", "attendance_required", "status", "court_case_id",
                          "case_number", "purpose", "outcome_note", "postponed_from", "reference",
                          "case_id", "interpreter"},
        "court": _WHEN | {"hearing_id", "court", "attendance_required", "status", "court_case_id",
                          "case_number", "purpose", "outcome_note", "postponed_from",
                          "interpreter"},
        "shelter": _WHEN | {"hearing_id", "reference", "court", "attendance_required"},
        "police": _WHEN | {"hearing_id", "court", "attendance_required", "status", "reference"},
    },
    "court_case": {
        "legal": _COURT_CASE_COMMON | {"case_id", "reference"},
        "court": _COURT_CASE_COMMON,
    },
    # the legal case and its parts: the legal team only (notes included), with who closed,
    # reopened and reassigned it when, and why (codes)
    "legal_case": {
        "legal": _LEGAL_CASE | {"status_history", "lawyer_history", "notes",
                                "counselling_sessions", "court_cases", "hearings", "documents",
                                "labour_disputes"},
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


def consent_rule(caller: Caller, now: datetime) -> Rule:
    """The one consent predicate: the survivor's consent for the caller's audience at ``now``.
    The legal team: consent to legal help; the police: consent to share status with the
    referring agency. A court or a shelter is no audience of consent (their relation decides)."""
    if caller.role == "legal":
        return legal_consent_stands(now)
    if caller.role == "police":
        return referrer_consent_stands(now)
    return ()


def _with_consent(relation: Rule | None, caller: Caller, now: datetime) -> Rule | None:
    """``relation`` and the caller's consent predicate; nothing for no relation."""
    return None if relation is None else relation + consent_rule(caller, now)


def case_rule(caller: Caller, now: datetime) -> Rule | None:
    """The legal cases, and every part of them, the caller sees: the legal team's, while the
    survivor's consent to legal help stands; nothing for every other role. Also what the shelter
    referred to the legal team."""
    return _with_consent(() if caller.role == "legal" else None, caller, now)


def sees_case(caller: Caller, record, now: datetime) -> bool:
    """Whether the caller sees this legal case, or part of one (with its referral's consent
    fields), at ``now``."""
    return holds(case_rule(caller, now), record)


def court_case_relation(caller: Caller) -> Rule | None:
    """The court cases a role works on, before consent: the legal team every one, a court those
    at its own court; ``None`` for every other role."""
    if caller.role == "legal":
        return ()
    if caller.role == "court":
        return (Equals("court", caller.agency),)
    return None


def court_case_rule(caller: Caller, now: datetime) -> Rule | None:
    """The court cases (and their hearings) a caller sees and acts on: its relation, and the
    caller's consent predicate (for the legal team, consent to legal help)."""
    return _with_consent(court_case_relation(caller), caller, now)


def _require_related(caller: Caller, record: dict | None, now: datetime, missing: str,
                     field: str) -> dict:
    """``record`` if ``court_case_rule`` holds for it (its court, the consent); ``Forbidden``
    for a role without court cases, ``NotFound`` otherwise (never a hint that another court's
    record exists, or one whose consent was withdrawn)."""
    rule = court_case_rule(caller, now)
    if rule is None:
        raise Forbidden(f"role {caller.role} may not do this")
    if record is None or not holds(rule, record):
        raise NotFound(missing, field=field)
    return record


def require_court_case(caller: Caller, court_case: dict | None, court_case_id: str,
                       now: datetime) -> dict:
    """The court case (with its referral's consent fields) if the caller may see it, else
    ``NotFound`` (also for another court, or consent gone)."""
    return _require_related(caller, court_case, now, f"no court case {court_case_id}",
                            "court_case_id")


def hearing_rule(caller: Caller, now: datetime) -> Rule | None:
    """The hearings a caller sees, as conditions on the hearing and its referral's consent:
    the legal team and courts as for court cases, a shelter its residents' hearings, the police
    those of referrals they made, each with the caller's consent predicate."""
    if caller.role in ("legal", "court"):
        return court_case_rule(caller, now)
    if caller.role == "shelter":
        return _with_consent((Equals("shelter_agency", caller.agency),), caller, now)
    if caller.role == "police":
        return _with_consent((Equals("referring_agency", caller.agency),), caller, now)
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
            "reference": hearing["reference"], "case_id": hearing["case_id"],
            "interpreter": _interpreter(hearing)}
    return shape("hearing", caller.role, full)


def _interpreter(hearing: dict) -> dict | None:
    """The hearing's interpreter booking (language and status), None when none is recorded."""
    if hearing.get("interpreter_language") is None:
        return None
    return {"language": hearing["interpreter_language"], "status": hearing["interpreter_status"]}


def require_hearing(caller: Caller, hearing: dict | None, hearing_id: str, now: datetime) -> dict:
    """For recording an outcome: the legal team while consent to legal help stands, or the
    court the hearing is at (``court_case_rule``); ``NotFound`` otherwise."""
    return _require_related(caller, hearing, now, f"no hearing {hearing_id}", "hearing_id")


def court_case_view(caller: Caller, court_case: dict) -> dict:
    """The court case as the caller's role may see it (call ``require_court_case`` first)."""
    view = {"court_case_id": court_case["id"], "court": court_case["court"],
            "case_number": court_case["case_number"], "charges": court_case["charges"],
            "standing": court_case["standing"], "status": court_case["status"],
            "verdict": court_case["verdict"], "updated_at": court_case["updated_at"]}
    view.update(case_id=court_case["case_id"], reference=court_case["reference"])
    return shape("court_case", caller.role, view)
