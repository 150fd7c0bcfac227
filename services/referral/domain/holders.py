"""The provider that holds a referral, as the referral service records it (docs/decisions/0039):
the timeline notes of an offer, a decline passed on, a refer-on, an escalation and the flag to
the admins, each naming the agencies by id. No I/O."""

from datetime import datetime

from services.common.timeutil import aware
from services.contracts.decisions import reason_label


OFFERED_WHILE = "received"  # the status of an offer's timeline entry: undecided at the shelter
FIRST_OFFERS = ("addressed", "routed")  # the receipt's timeline entry names the first holder


def passed_on(why: str) -> bool:
    """Whether an offer passed the referral from one provider to another (a timeline entry of
    its own), rather than giving it its first holder."""
    return why not in FIRST_OFFERS


def offer_note(why: str, agency: str, previous: str | None, reason_code: str | None) -> str:
    """The timeline note of ``shelter.referral_offered``."""
    if why == "declined":
        return f"Declined by {previous}: {reason_label(reason_code)}; offered to {agency}"
    if why == "referred_on":
        return f"Referred on by {previous} to {agency}: {reason_label(reason_code)}"
    if why == "escalated":
        return f"Not answered in time by {previous}; escalated to {agency}"
    if why == "addressed":
        return f"Offered to {agency}, the provider the police addressed"
    return f"Offered to {agency}"


def unplaced_note(previous: str | None) -> str:
    """The timeline note of ``shelter.referral_unplaced``."""
    last = f" (last offered to {previous})" if previous else ""
    return f"No provider left to offer it to{last}; flagged to the network's admins"


def is_newer_offer(offered_at: datetime, held_since: datetime | None) -> bool:
    """Whether an offer changes the holder: consumers handle messages concurrently, so an older
    offer arriving after a newer one only extends the timeline."""
    return held_since is None or aware(offered_at) >= aware(held_since)
