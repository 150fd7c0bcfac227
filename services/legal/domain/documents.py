"""Identity and travel document requests: which status may follow which. No I/O.

``requested`` (the legal team prepares the application) -> ``submitted`` (lodged with the
authority) -> ``issued`` | ``rejected``; a request may also be refused before it is lodged.
``issued`` and ``rejected`` are final: a new attempt is a new request.
"""

from services.common.errors import IllegalTransition

DOCUMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"submitted", "rejected"}),
    "submitted": frozenset({"issued", "rejected"}),
    "issued": frozenset(),
    "rejected": frozenset(),
}


def check_document_move(current: str, new: str) -> None:
    """Refuse a move the request's status does not allow (409, naming what it may become)."""
    if new not in DOCUMENT_TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(DOCUMENT_TRANSITIONS.get(current, ()))) or "nothing (final)"
        raise IllegalTransition(f"a document request that is {current} cannot become {new}; "
                                f"from {current} it may become: {allowed}", field="status")
