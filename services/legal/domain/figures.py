"""How a court case counts in the legal service's figures for a period. No I/O.

Court cases opened in the period count by where they stood at its end: still under
investigation, filed, at trial, on appeal, closed without a verdict, or the verdict (convicted,
acquitted, dismissed).
"""

from services.contracts.vocabulary import VERDICTS

COURT_OUTCOMES = ("investigation", "filed", "trial", "appeal") + VERDICTS + ("closed_without_verdict",)


def court_outcome(status: str, verdict: str | None) -> str:
    """Where a court case stood: on appeal; else its verdict once there is one (also when
    closed after it); else closed without a verdict, or its status."""
    if status == "appeal":
        return "appeal"
    if verdict in VERDICTS:
        return verdict
    if status == "closed":
        return "closed_without_verdict"
    return status
