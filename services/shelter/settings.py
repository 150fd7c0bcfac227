"""Every variable the shelter service process reads, its default and its meaning.

Loaded once when the service module is imported (a bad value stops the process there, naming
the variable). Beside what every service reads (``services.common.settings.service_settings``:
the broker, the file keys, the clock files, metrics, its database URL), the shelter reads its
own agency id, how long beds are held, how often its sweeps run and its retention time.
"""

from datetime import timedelta

from services.common.settings import Malformed, Setting, Settings, Values, service_settings

from .domain.follow_up import months_of
from .domain.routing import Timing


def follow_up_months(text: str) -> tuple[int, ...]:
    """``REFNET_FOLLOW_UP_MONTHS`` parsed (``Malformed``, naming the rule, when it is not)."""
    try:
        return months_of(text)
    except ValueError as reason:
        raise Malformed(str(reason)) from None


SETTINGS = Settings(
    "shelter",
    service_settings("shelter"),
    Setting("REFNET_SHELTER_AGENCY", "erbil-shelter",
            "the agency id the shelter service signs its receipts with"),
    Setting("REFNET_HOLD_HOURS", "48", "how long an accepted referral's beds are held", float),
    Setting("REFNET_HOLD_SECONDS", None,
            "tests only: how long beds are held, in seconds (before REFNET_HOLD_HOURS)", float),
    Setting("REFNET_HOLD_SWEEP_SECONDS", "10",
            "how often every shelter replica releases expired holds (safe with several replicas)",
            float),
    Setting("REFNET_MILESTONE_SWEEP_SECONDS", "60",
            "how often every shelter replica looks for first-week milestones that became overdue "
            "(each notice is sent once, whatever the number of replicas)", float),
    Setting("REFNET_SHELTER_RETENTION_DAYS", "365",
            "this long after a referral's stay ended (discharged, hold expired, released; or "
            "declined, withdrawn, closed; a discharge's follow-up, when it ended later) the "
            "shelter erases its case notes and screening results and blanks goals and reasons, "
            "unless a legal or court case of it is open",
            float),
    Setting("REFNET_ESCALATE_URGENT_MINUTES", "60",
            "an urgent or emergency referral its holder has not answered within this time is "
            "offered to the next fitting provider (or flagged to the admins when none is left)",
            float),
    Setting("REFNET_ESCALATE_ROUTINE_MINUTES", "240",
            "the same for a routine referral", float),
    Setting("REFNET_ESCALATION_SWEEP_SECONDS", "30",
            "how often every shelter replica looks for referrals to escalate (each step happens "
            "once, whatever the number of replicas)", float),
    Setting("REFNET_CASH_APPROVAL_HOURS", "24",
            "a cash-assistance request's approval task is due this long after the request "
            "(overdue after it, until a second staff member approves)", float),
    Setting("REFNET_FOLLOW_UP_MONTHS", "1,3,6,12",
            "the follow-up contacts after a discharge, in whole months after the discharge day, "
            "comma separated and increasing (a resident discharged as transferred gets none)",
            follow_up_months),
    Setting("REFNET_SHELTER_RETENTION_SWEEP_SECONDS", "3600",
            "how often every shelter replica runs its retention sweep (each referral is "
            "anonymised once)", float),
)


def timing_of(values: Values):
    """Routing's timing: the network's default provider and how long a holder has to answer."""
    return Timing(default_agency=values.shelter_agency,
                  urgent=timedelta(minutes=values.escalate_urgent_minutes),
                  routine=timedelta(minutes=values.escalate_routine_minutes))


def cash_approval_of(values: Values) -> timedelta:
    """How long after a cash request its approval is due (``REFNET_CASH_APPROVAL_HOURS``)."""
    return timedelta(hours=values.cash_approval_hours)


def hold_of(values: Values) -> timedelta:
    """How long an accepted referral's beds are held: ``REFNET_HOLD_SECONDS`` when set, else
    ``REFNET_HOLD_HOURS``."""
    if values.hold_seconds is not None:
        return timedelta(seconds=values.hold_seconds)
    return timedelta(hours=values.hold_hours)
