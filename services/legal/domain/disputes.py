"""Labour disputes: when one is finished. No I/O.

A dispute is ``open``, goes to ``mediation``, and ends ``settled``, ``failed`` or
``referred_to_court``; a finished dispute takes no more changes (a new claim is a new dispute).
"""

from services.common.errors import IllegalTransition

FINISHED = frozenset({"settled", "failed", "referred_to_court"})


def check_still_open(status: str) -> None:
    """Refuse a change to a finished dispute (409)."""
    if status in FINISHED:
        raise IllegalTransition(f"a dispute that is {status} is finished", field="status")
