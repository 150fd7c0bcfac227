"""Bed arithmetic per facility and population group. No I/O.

The arithmetic is written once and works on numbers and on SQL column expressions alike: the
bed queries (``queries/beds.py``) build their guarded UPDATEs from these same functions.
"""

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import POPULATION_GROUPS

FACILITY_ID_MAX = 64


def free_beds(capacity, occupied, held, out_of_service=0):
    """Beds that can be held or occupied now (may be negative if capacity was cut elsewhere)."""
    return capacity - out_of_service - occupied - held


def available(capacity: int, occupied: int, held: int, out_of_service: int = 0) -> int:
    """Available = capacity - out of service - occupied - held (never reported below zero)."""
    return max(0, free_beds(capacity, occupied, held, out_of_service))


def check_group(population_group: str) -> None:
    """A population group of the vocabulary."""
    if population_group not in POPULATION_GROUPS:
        raise InvalidInput(f"must be one of {', '.join(POPULATION_GROUPS)}", field="population_group")


def check_facility_id(facility_id) -> None:
    """A facility id: letters, digits and dashes, at most 64."""
    if not facility_id or len(facility_id) > FACILITY_ID_MAX or not facility_id.replace("-", "").isalnum():
        raise InvalidInput(f"letters, digits and dashes, at most {FACILITY_ID_MAX}", field="facility")


def check_capacity_input(population_group: str, capacity) -> None:
    """A requested capacity before any bed is read: a whole number of a known group, not negative."""
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        raise InvalidInput("must be a whole number", field="capacity")
    check_group(population_group)
    if capacity < 0:
        raise InvalidInput("must not be negative", field="capacity")


def check_capacity(population_group: str, capacity: int, occupied: int, held: int,
                   out_of_service: int = 0) -> None:
    """A new capacity must be a known group, not negative, and not below beds in use (occupied,
    held, or out of service)."""
    check_group(population_group)
    if capacity < 0:
        raise InvalidInput("must not be negative", field="capacity")
    if capacity < occupied + held:
        raise Conflict(f"capacity {capacity} is below the {occupied + held} beds occupied or held",
                       field="capacity")
    if free_beds(capacity, occupied, held, out_of_service) < 0:
        raise Conflict(f"capacity {capacity} is below the {occupied + held + out_of_service} beds "
                       f"occupied, held or out of service; return beds to service first",
                       field="capacity")
