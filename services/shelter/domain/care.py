"""Each resident's care plan and first-week milestones: the rules, no I/O.

On admission a plan opens with the case manager named. Within the first week a psychologist
screens the person, staff tell them their legal rights, and together with the case manager they
agree a plan of services. The milestones:

    case_manager_assigned    day 0 (done at admission: the case manager is named then)
    psychological_screening  due within 7 days of admission
    legal_rights_briefing    due within 7 days of admission
    plan_agreed              due within 7 days of admission

Each is ``done`` (a done time is recorded), ``due`` (not done, due time not passed) or
``overdue`` (not done, due time passed). Time is always a parameter (``now``), never read here.

Plan items draw on the shelter's services; each has an owner (a staff user id), a status
(planned -> in_progress -> done, or cancelled) and dates. Cash assistance carries a purpose,
an amount and a currency, and can only be paid (moved to ``done``) once a second staff member,
not the one who requested it, approved it.

Who reads what (all shelter staff; the gateway and the service refuse every other role):
case notes and plans: any shelter staff; the screening result: the plan's case manager and the
plan's psychologist only (per-plan assignment, README "Care plans").
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import Conflict, Forbidden, InvalidInput
from services.contracts.vocabulary import (CARE_SERVICES, CASH_PURPOSES, LEGAL_REFERRAL_SERVICES,
                                           MILESTONE_STATES, MILESTONES, PLAN_ITEM_STATUSES,
                                           SCREENING_OUTCOMES)

from .fields import check_date, check_staff_id

FIRST_WEEK = timedelta(days=7)
MILESTONE_DUE = {"case_manager_assigned": timedelta(0),
                 "psychological_screening": FIRST_WEEK,
                 "legal_rights_briefing": FIRST_WEEK,
                 "plan_agreed": FIRST_WEEK}
# Milestones staff mark done directly; the screening is done by recording its result, and the
# case manager is assigned at admission.
MARKABLE = ("legal_rights_briefing", "plan_agreed")
ITEM_MOVES = {"planned": {"in_progress", "done", "cancelled"},
              "in_progress": {"done", "cancelled"},
              "done": set(), "cancelled": set()}
CASH_SERVICE = "cash_assistance"  # the service whose items carry cash and need an approval
MAX_NOTE = 10_000
MAX_GOALS = 5_000
MAX_AMOUNT = 100_000_000

assert set(MILESTONE_DUE) == set(MILESTONES)


@dataclass(frozen=True)
class Milestone:
    """A first-week milestone: its code, due time and done time."""
    code: str
    due_at: datetime
    done_at: datetime | None = None


def first_week(admitted_at: datetime) -> list[Milestone]:
    """The four milestones of a new admission; the case manager is assigned at once."""
    return [Milestone(code, admitted_at + MILESTONE_DUE[code],
                      admitted_at if code == "case_manager_assigned" else None)
            for code in MILESTONES]


# Each state as (done?, due time passed?), None meaning either: ``done`` once done (even late),
# else ``overdue`` strictly after the due time, else ``due``. ``milestone_state`` reads this for
# one milestone; the milestone queries build their SQL filters from it.
STATE_TESTS = {"done": (True, None), "overdue": (False, True), "due": (False, False)}
assert tuple(sorted(STATE_TESTS)) == tuple(sorted(MILESTONE_STATES))


def milestone_state(due_at: datetime, done_at: datetime | None, now: datetime) -> str:
    """The state of one milestone at ``now`` (see ``STATE_TESTS``)."""
    for state, (done, passed) in STATE_TESTS.items():
        if (done_at is not None) == done and (passed is None or (now > due_at) == passed):
            return state
    raise AssertionError("STATE_TESTS covers every milestone")


def check_state_filter(state) -> str | None:
    """A milestone state to list by (None lists every state)."""
    if state is None:
        return None
    if state not in MILESTONE_STATES:
        raise InvalidInput(f"must be one of {', '.join(MILESTONE_STATES)}", field="state")
    return state


def newly_overdue(due_at: datetime, done_at: datetime | None, notified_at: datetime | None,
                  now: datetime) -> bool:
    """Whether the overdue notice of a milestone is still to be sent (it is sent once)."""
    return notified_at is None and milestone_state(due_at, done_at, now) == "overdue"


def check_markable(code: str) -> None:
    """A milestone staff mark done directly (not the screening, not the assignment)."""
    if code not in MILESTONES:
        raise InvalidInput(f"must be one of {', '.join(MILESTONES)}", field="milestone")
    if code == "psychological_screening":
        raise Conflict("the screening is done by recording its result (PUT .../screening)",
                       field="milestone")
    if code == "case_manager_assigned":
        raise Conflict("the case manager is assigned at admission", field="milestone")


def group_by_owner(rows: list[dict]) -> list[dict]:
    """Milestone rows (each with ``facility`` and ``case_manager``) grouped per facility and case
    manager, in facility, case manager, due time order."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in sorted(rows, key=lambda r: (r["facility"], r["case_manager"], r["due_at"], r["plan_id"])):
        groups.setdefault((row["facility"], row["case_manager"]), []).append(row)
    return [{"facility": facility, "case_manager": manager, "count": len(items),
             "milestones": items} for (facility, manager), items in groups.items()]


# --- plans and items ------------------------------------------------------------------------------

def check_open(status: str, plan_id: int) -> None:
    """Only an open plan changes (it closes when the resident is discharged)."""
    if status != "open":
        raise Conflict(f"plan {plan_id} is closed (the resident was discharged)", field="plan")


def check_text(value, field: str, max_len: int) -> str:
    """Personal text (goals, a note, a summary): not empty, not longer than ``max_len``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("must not be empty", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"at most {max_len} characters", field=field)
    return value


@dataclass(frozen=True)
class Cash:
    """Cash assistance: what for, how much, in which currency."""
    purpose: str
    amount: int
    currency: str


def check_new_item(service, owner, starts_on=None, due_on=None, cash: dict | None = None) -> dict:
    """A new plan item's fields, validated: status ``planned``; cash details exactly when the
    service is cash assistance."""
    if service not in CARE_SERVICES:
        raise InvalidInput(f"must be one of {', '.join(CARE_SERVICES)}", field="service")
    check_staff_id(owner, "owner")
    starts, due = check_date(starts_on, "starts_on"), check_date(due_on, "due_on")
    if starts and due and due < starts:
        raise InvalidInput("must not be before starts_on", field="due_on")
    item = {"service": service, "owner": owner, "status": "planned", "starts_on": starts,
            "due_on": due, "cash": None}
    if service == CASH_SERVICE:
        item["cash"] = check_cash(cash)
    elif cash is not None:
        raise InvalidInput("only a cash_assistance item has cash details", field="cash")
    return item


def check_cash(cash) -> Cash:
    """A cash-assistance item's purpose, amount and currency."""
    if not isinstance(cash, dict):
        raise InvalidInput("cash assistance needs purpose, amount and currency", field="cash")
    purpose, amount, currency = cash.get("purpose"), cash.get("amount"), cash.get("currency")
    if purpose not in CASH_PURPOSES:
        raise InvalidInput(f"must be one of {', '.join(CASH_PURPOSES)}", field="cash.purpose")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT:
        raise InvalidInput(f"a whole number from 1 to {MAX_AMOUNT}", field="cash.amount")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise InvalidInput("an ISO 4217 code such as IQD or USD", field="cash.currency")
    return Cash(purpose, amount, currency)


def check_item_move(current: str, new: str, *, cash: bool, approved_by: str | None) -> None:
    """A plan item's status change. A cash item is paid by moving it to ``done``: that needs a
    second staff member's approval first."""
    if new not in PLAN_ITEM_STATUSES:
        raise InvalidInput(f"must be one of {', '.join(PLAN_ITEM_STATUSES)}", field="status")
    if new == current:
        return
    if new not in ITEM_MOVES[current]:
        raise Conflict(f"an item that is {current} cannot become {new}", field="status")
    if cash and new == "done" and approved_by is None:
        raise Conflict("cash assistance is paid only after a second staff member approved it",
                       field="approval")


def check_approval(*, service: str, status: str, requested_by: str, approved_by: str | None,
                   approver: str) -> None:
    """A second staff member (not the requester) approves a cash item once, before payment."""
    if service != CASH_SERVICE:
        raise Conflict("only cash assistance needs an approval", field="item")
    if approved_by is not None:
        raise Conflict(f"already approved by {approved_by}", field="approval")
    if status in ("done", "cancelled"):
        raise Conflict(f"an item that is {status} cannot be approved", field="status")
    if approver == requested_by:
        raise Forbidden("the staff member who requested cash assistance cannot approve it; "
                        "a second staff member must", field="approval")


def check_legal_referral(*, service: str, status: str, referred: bool) -> None:
    """A plan item the legal team can be asked for, once, unless cancelled."""
    if service not in LEGAL_REFERRAL_SERVICES:
        raise Conflict(f"only {', '.join(LEGAL_REFERRAL_SERVICES)} items go to the legal team",
                       field="service")
    if status == "cancelled":
        raise Conflict("a cancelled item cannot be referred", field="status")
    if referred:
        raise Conflict("the item was already referred to the legal team", field="item")


def check_screening(outcome, summary) -> None:
    """A screening outcome of the vocabulary, with an optional summary."""
    if outcome not in SCREENING_OUTCOMES:
        raise InvalidInput(f"must be one of {', '.join(SCREENING_OUTCOMES)}", field="outcome")
    if summary is not None:
        check_text(summary, "summary", MAX_NOTE)


def may_read_screening(user: str, case_manager: str, psychologist: str | None) -> bool:
    """Whether a user reads the screening result: the case manager or the psychologist."""
    return user == case_manager or (psychologist is not None and user == psychologist)


def check_screener(user: str, psychologist: str | None) -> None:
    """Only the plan's psychologist, once named, records the screening result."""
    if psychologist is None:
        raise Conflict("assign the plan's psychologist first (PUT the plan with psychologist)",
                       field="psychologist")
    if user != psychologist:
        raise Forbidden("only the plan's psychologist records the screening result",
                        field="psychologist")


def check_assign_psychologist(user: str, case_manager: str) -> None:
    """Only the plan's case manager names its psychologist."""
    if user != case_manager:
        raise Forbidden("only the plan's case manager assigns its psychologist", field="psychologist")
