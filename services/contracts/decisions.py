"""The shelter's decision on an incoming referral, as every agency states it: the two decisions,
the status each leads to, and the rule that a decline says why. The gateway checks the rule
before it calls anyone; the shelter's domain checks it again for any other caller. One
definition, read by both."""

DECISIONS = {"accept": "accepted", "decline": "declined"}


def decline_lacks_reason(decision: str, reason: str | None) -> bool:
    """True when ``decision`` is a decline without a reason (blank text is no reason)."""
    return decision == "decline" and not (reason or "").strip()
