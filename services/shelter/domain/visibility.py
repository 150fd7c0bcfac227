"""Who sees which fields of the shelter's data: the shelter service's visibility table. No I/O.

Shelter staff see their facilities whole (bed board, census, waitlist, incoming referrals by
reference); every other signed-in role sees availability counts and the HSDS export only, with
no address and no reference. ``shape`` cuts an answer to what the table grants; a role absent
from a view's row is refused in the use case (``caller.require``) before it gets here.
"""

from services.common.errors import NotFound
from services.contracts.vocabulary import ROLES

COUNTS = frozenset({"facility", "facility_name", "population_group", "capacity", "out_of_service",
                    "occupied", "held", "available", "updated_at"})
REPORT_FIELDS = frozenset({"period", "admissions", "discharges", "occupancy", "length_of_stay",
                           "milestones", "follow_ups"})

VISIBILITY: dict[str, dict[str, frozenset[str] | None]] = {
    # GET /shelters/availability (per facility; groups are counts)
    "availability": {role: COUNTS | {"provider"} for role in ROLES},
    # everything else is for shelter staff (and admins for capacity): whole answers (None)
    "bed_board": {"shelter": None},
    "census": {"shelter": None},
    "waitlist": {"shelter": None},
    "incoming": {"shelter": None},
    "capacity": {"shelter": None, "admin": None},
    "hearings": {"shelter": None},
    # follow-up contacts after discharge (references, codes, dates): the provider's staff only
    "follow_ups": {"shelter": None},
    # report_figures: counts, bed-nights and day-measures, no reference; the gateway
    # suppresses them for the public audience (the only one analysts may ask for)
    "report": {"shelter": REPORT_FIELDS, "analyst": REPORT_FIELDS},
    # GET /reports/htcds: the network's cases in the HTCDS shape, codes only, small cells left
    # out (docs/decisions/0054): for the data collaborative's audience, analysts
    "htcds": {"analyst": None},
}


def shape(view: str, role: str, data: dict) -> dict:
    """``data`` cut to the fields ``role`` may see in ``view`` (nothing for a role not listed)."""
    row = VISIBILITY.get(view, {})
    if role not in row:
        return {}
    allowed = row[role]
    return dict(data) if allowed is None else {k: v for k, v in data.items() if k in allowed}


# --- one shelter service, many providers (docs/decisions/0038) ---------------------------------

def provider_scope(caller) -> str | None:
    """The provider whose rows a caller's lists hold: a ``shelter`` identity's own agency;
    None (every provider's) for the other roles, whose use cases decide what they may see."""
    return caller.agency if caller.role == "shelter" else None


def require_provider(caller, provider: str | None, field: str) -> None:
    """A ``shelter`` identity acts only on what belongs to its own agency (a facility, its beds,
    a placement, a resident's plan or hearing): another provider's object, or none, is
    ``NotFound`` naming ``field``, as if it did not exist (it must not learn that it does).
    Other roles pass here; their use case's own rules decide."""
    if caller.role != "shelter":
        return
    if provider is None or caller.agency != provider:
        raise NotFound(f"no {field} here", field=field)
