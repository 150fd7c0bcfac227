"""Bed arithmetic per facility and population group. No I/O."""

from services.common.errors import Conflict, InvalidInput
from services.contracts.vocabulary import POPULATION_GROUPS


def available(capacity: int, occupied: int, held: int, out_of_service: int = 0) -> int:
    """Available = capacity - out of service - occupied - held (never reported below zero)."""
    return max(0, capacity - out_of_service - occupied - held)


def check_group(population_group: str) -> None:
    if population_group not in POPULATION_GROUPS:
        raise InvalidInput(f"must be one of {', '.join(POPULATION_GROUPS)}", field="population_group")


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
    if capacity < occupied + held + out_of_service:
        raise Conflict(f"capacity {capacity} is below the {occupied + held + out_of_service} beds "
                       f"occupied, held or out of service; return beds to service first",
                       field="capacity")
