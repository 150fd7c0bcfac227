"""Which notifications an event makes (docs/decisions/0042): the moment, to whom (a person or a
duty desk), the web page it links to, its codes and whether it is urgent. Pure: the use cases
pass what the event said and what is known of the referral, and store what comes back.

A notification carries a reference, a moment code, a link and codes only: never a name.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from services.contracts.vocabulary import NOTIFY_MOMENTS

POLICE_AUDIENCE = "referring_police"   # a consent audience (CONSENT_AUDIENCES)
URGENT_URGENCIES = ("urgent", "emergency")
ALWAYS_URGENT = ("referral_escalated", "hold_expiring", "delivery_failed")
# referral.status_changed ``change`` -> the moment the referring police are told of
POLICE_MOMENTS = {"accepted": "referral_accepted", "declined": "referral_declined",
                  "bed_held": "bed_held", "admitted": "admitted",
                  "escalated": "referral_escalated"}
# a hold watch ends when the person arrives, the hold lapses or the referral ends
HOLD_CLOSERS = ("shelter.admitted", "shelter.hold_expired", "referral.withdrawn",
                "referral.closed")
INTERNAL_NAMESPACE = uuid.UUID("6f1c2a7e-4b0d-4f3e-9a57-0c1d2e3f4a5b")

INBOX = "/inbox"
TASKS = "/shelter/tasks"
HEARINGS = "/hearings"   # the hearings calendar: shelter staff and the legal team each see theirs
MILESTONES = "/shelter/milestones"


@dataclass(frozen=True)
class Recipient:
    """A person (``user_id``) or a duty desk (``role`` at ``agency``; agency None: every agency
    of the role). ``exclude_user``: a desk row that person is not shown (they caused it)."""
    user_id: str | None = None
    role: str | None = None
    agency: str | None = None
    exclude_user: str | None = None

    @property
    def key(self) -> str:
        """``user:<id>`` or ``desk:<role>@<agency|*>``: one notification per event per key."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"desk:{self.role}@{self.agency or '*'}"

    @property
    def is_desk(self) -> bool:
        return self.user_id is None


def person(user_id: str) -> Recipient:
    """A person, by user id."""
    return Recipient(user_id=user_id)


def desk(role: str, agency: str | None, exclude_user: str | None = None) -> Recipient:
    """The duty desk of ``role`` at ``agency`` (None: every agency of the role)."""
    return Recipient(role=role, agency=agency, exclude_user=exclude_user)


@dataclass(frozen=True)
class Planned:
    """One notification to make."""
    moment: str
    recipient: Recipient
    reference: str | None
    link: str
    params: dict = field(default_factory=dict)
    audience: str | None = None
    urgent: bool = False

    def __post_init__(self):
        if self.moment not in NOTIFY_MOMENTS:
            raise ValueError(f"unknown moment {self.moment}")


def is_urgent(moment: str, urgency: str | None = None) -> bool:
    """Escalations, expiring holds and failed deliveries always; an offer and the police
    moments when the referral is urgent or an emergency."""
    return moment in ALWAYS_URGENT or urgency in URGENT_URGENCIES


def internal_event_id(*parts: str) -> str:
    """A stable event id for a notification no event brought (a hold warning, a failed
    delivery): the same parts give the same id, so making it twice makes it once."""
    return str(uuid.uuid5(INTERNAL_NAMESPACE, "|".join(parts)))


def _unique(planned: list[Planned]) -> list[Planned]:
    seen, out = set(), []
    for p in planned:
        if p.recipient.key not in seen:
            seen.add(p.recipient.key)
            out.append(p)
    return out


# --- consent ---------------------------------------------------------------------------------

def consent_stands(share: bool | None, until: datetime | None, now: datetime) -> bool:
    """Whether the survivor lets the referring police see status now (unknown: no)."""
    return bool(share) and (until is None or now < until)


def newer_consent(known_at: datetime | None, decided_at: datetime) -> bool:
    """Whether a consent decided at ``decided_at`` replaces the one known (decided at
    ``known_at``): the newer decision wins, whatever order the events arrive in."""
    return known_at is None or decided_at >= known_at


# --- events -> notifications --------------------------------------------------------------------

def referral_offered(payload: dict, urgency: str | None) -> list[Planned]:
    """A provider holds a referral (addressed, routed or passed on): its shelter duty desk."""
    ref = payload["reference"]
    return [Planned("referral_offered", desk("shelter", payload["agency"]), ref,
                    f"/shelter/referrals/{ref}", {"why": payload["why"]},
                    urgent=is_urgent("referral_offered", urgency))]


def status_changed(payload: dict, consent: bool) -> list[Planned]:
    """A police-visible step: the officer who submitted and their unit's desk, only while the
    survivor's consent to share status with them stands (``consent``)."""
    moment = POLICE_MOMENTS.get(payload["change"])
    if moment is None or not consent:
        return []
    ref = payload["reference"]
    link, params = f"/police/referrals/{ref}", {"status": payload["status"]}
    urgent = is_urgent(moment, payload.get("urgency"))
    return _unique([
        Planned(moment, person(payload["submitted_by"]), ref, link, params, POLICE_AUDIENCE, urgent),
        Planned(moment, desk("police", payload["referring_agency"]), ref, link, params,
                POLICE_AUDIENCE, urgent)])


def hold_expiring(reference: str, agency: str) -> list[Planned]:
    """A bed hold ends soon and the person has not arrived: the provider's duty desk."""
    return [Planned("hold_expiring", desk("shelter", agency), reference,
                    f"/shelter/referrals/{reference}", {}, urgent=True)]


def milestone_overdue(payload: dict) -> list[Planned]:
    """A first-week milestone is overdue: the case manager and the facility's manager (the
    provider's shelter desk when the facility names none)."""
    ref, params = payload["reference"], {"milestone": payload["milestone"]}
    manager = payload.get("facility_manager")
    second = person(manager) if manager else desk("shelter", payload["agency"])
    return _unique([Planned("milestone_overdue", person(payload["case_manager"]), ref,
                            MILESTONES, params),
                    Planned("milestone_overdue", second, ref, MILESTONES, params)])


def hearing_reminder(payload: dict) -> list[Planned]:
    """A hearing the survivor must attend is near: the accepting shelter's desk (its
    accompaniment duty) and the lawyer, each when the event names them (v2)."""
    ref, out = payload["reference"], []
    if payload.get("shelter_agency"):
        out.append(Planned("hearing_reminder", desk("shelter", payload["shelter_agency"]), ref,
                           HEARINGS))
    if payload.get("lawyer"):
        out.append(Planned("hearing_reminder", person(payload["lawyer"]), ref, HEARINGS))
    return out


def task_changed(payload: dict) -> list[Planned]:
    """A task assigned: its assignee. A cash request to arrange: the provider's shelter desk,
    except the person who asked (another person approves)."""
    ref, kind, status = payload["reference"], payload["kind"], payload["status"]
    params = {"kind": kind}
    if status == "assigned" and payload.get("assignee"):
        return [Planned("task_assigned", person(payload["assignee"]), ref, TASKS, params)]
    if kind == "cash_approval" and status == "to_arrange":
        return [Planned("approval_awaited",
                        desk("shelter", payload["agency"], payload.get("requested_by")),
                        ref, TASKS, params)]
    return []


def court_status_changed(payload: dict) -> list[Planned]:
    """A court case moved: its lawyer (v2; none named, nobody told)."""
    if not payload.get("lawyer"):
        return []
    params = {"status": payload["status"]}
    if payload.get("verdict"):
        params["verdict"] = payload["verdict"]
    return [Planned("court_status_changed", person(payload["lawyer"]), payload["reference"],
                    f"/court-cases/{payload['court_case_id']}", params)]


def delivery_failed(reference: str | None, channel: str, moment: str) -> list[Planned]:
    """A message could not be sent after every try: the network's admins (every agency)."""
    return [Planned("delivery_failed", desk("admin", None), reference, INBOX,
                    {"channel": channel, "moment": moment}, urgent=True)]
