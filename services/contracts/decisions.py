"""The shelter's decision on an incoming referral and the police's withdrawal, as every agency
states them: the two decisions, the status each leads to, the coded reasons and their English
labels, and the rule that a decline or a withdrawal says why with a code. The gateway checks the
rules before it calls anyone; the services check them again for any other caller. One
definition, read by all."""

from .vocabulary import DECLINE_REASONS, SCREENING_REASONS, UNKNOWN, WITHDRAWAL_REASONS

DECISIONS = {"accept": "accepted", "decline": "declined"}

# English labels: the FHIR code system's displays and the timeline's notes (the web form shows
# them translated)
REASON_LABELS = {
    "no_bed_in_group": "No bed for the person's group",
    "outside_mandate": "Outside the shelter's mandate",
    "needs_beyond_capacity": "Medical or psychiatric needs beyond the shelter's capacity",
    "safety_risk_to_residents": "Safety risk to residents",
    "survivor_declined": "The survivor declined",
    "duplicate": "Duplicate referral",
    "placed_elsewhere": "Placed elsewhere",
    "returned_home": "Returned home",
    "referred_in_error": "Referred in error",
    "other": "Other reason",
    # why a holder referred a referral on to another provider (REFER_ON_REASONS)
    "better_fit_elsewhere": "Another provider fits better",
    "specialised_services": "Specialised services needed",
    "language": "Language",
    "closer_to_family": "Closer to family",
    "safety": "Safety",
    # why a provider screens a referral before deciding (SCREENING_REASONS)
    "needs_assessment": "Needs assessment",
    "safety_assessment": "Safety assessment",
    "age_assessment": "Age assessment",
    "identity_check": "Identity check",
    "interview_pending": "Interview with the survivor pending",
    # why a referral that ended was closed (ENDED_CLOSURE_REASONS)
    "declined_settled": "Closed after the decline settled",
    "withdrawn_settled": "Closed after the withdrawal settled",
    "follow_up_ended": "Closed when the follow-up ended",
    UNKNOWN: "Reason not recorded",
}


def decision_reason_problem(decision: str, reason_code: str | None) -> str | None:
    """Why ``reason_code`` does not fit ``decision`` (a message for the field ``reason_code``),
    or None when it fits: a decline needs one of ``DECLINE_REASONS``; an accept takes none."""
    if decision == "decline":
        if not reason_code:
            return "Required to decline."
        if reason_code not in DECLINE_REASONS:
            return f"must be one of {', '.join(DECLINE_REASONS)}"
    elif reason_code is not None:
        return "Only a decline takes a reason code."
    return None


def withdrawal_reason_problem(reason_code: str | None) -> str | None:
    """Why ``reason_code`` is no withdrawal reason (a message for ``reason_code``), or None."""
    if not reason_code:
        return "Required to withdraw."
    if reason_code not in WITHDRAWAL_REASONS:
        return f"must be one of {', '.join(WITHDRAWAL_REASONS)}"
    return None


def reason_label(code: str | None) -> str:
    """The English label of a reason code (``UNKNOWN``'s for none or an unknown one)."""
    return REASON_LABELS.get(code or UNKNOWN, REASON_LABELS[UNKNOWN])


def screening_reason_problem(reason_code: str | None) -> str | None:
    """Why ``reason_code`` is no screening reason (a message for ``reason_code``), or None."""
    if not reason_code:
        return "Required to start screening."
    if reason_code not in SCREENING_REASONS:
        return f"must be one of {', '.join(SCREENING_REASONS)}"
    return None
