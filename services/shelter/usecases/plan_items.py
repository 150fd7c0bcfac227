"""Items of a care plan: services planned for the resident, cash assistance with its second
staff member's approval, and referrals of legal items to the legal team."""

import uuid
from datetime import datetime, timedelta

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict

from ..domain import care as rules
from ..domain import tasks as task_rules
from ..queries import care as queries
from .common import emit
from .tasks import follow_item, open_cash_approval

CHANGED = "the item changed meanwhile; read it and try again"


def add_item(db: Database, caller: Caller, plan_id: int, now: datetime, service: str, owner: str,
             starts_on=None, due_on=None, cash: dict | None = None, *,
             approval_within: timedelta = task_rules.DEFAULT_CASH_APPROVAL) -> dict:
    """Plan a service for the resident (status ``planned``), with its cash details if any; a
    cash request opens its approval task (due ``approval_within``) in the same transaction."""
    caller.require("shelter")
    item = rules.check_new_item(service, owner, starts_on, due_on, cash)
    cash_ = item["cash"]
    with db.write() as s:
        plan = queries.plan_still_open(s, caller, plan_id)
        item_id = queries.add_item(
            s, plan_id=plan_id, service=service, owner=owner, status="planned",
            starts_on=item["starts_on"], due_on=item["due_on"], created_at=now,
            created_by=caller.user[:100], updated_at=now,
            cash_purpose=cash_.purpose if cash_ else None, amount=cash_.amount if cash_ else None,
            currency=cash_.currency if cash_ else None)
        if service == rules.CASH_SERVICE:
            open_cash_approval(s, plan, item_id, caller.user, now, approval_within)
        return queries.item_view(queries.item(s, plan_id, item_id))


def update_item(db: Database, caller: Caller, plan_id: int, item_id: int, now: datetime,
                status: str | None = None, owner: str | None = None, starts_on=None,
                due_on=None) -> dict:
    """Change an item's status, owner or dates. Paying cash assistance is moving it to ``done``:
    refused (409, field ``approval``) until a second staff member approved it."""
    caller.require("shelter")
    if owner is not None:
        rules.check_staff_id(owner, "owner")
    starts, due = rules.check_date(starts_on, "starts_on"), rules.check_date(due_on, "due_on")
    with db.write() as s:
        queries.plan_still_open(s, caller, plan_id)
        item = queries.item(s, plan_id, item_id, for_update=True)
        values = {}
        if status is not None and status != item.status:
            cash = item.service == rules.CASH_SERVICE
            rules.check_item_move(item.status, status, cash=cash, approved_by=item.approved_by)
            values["status"] = status
            if status == "done":
                values["completed_at"] = now
                if cash:
                    values.update(paid_at=now, paid_by=caller.user[:100])
        if owner is not None:
            values["owner"] = owner
        if starts is not None:
            values["starts_on"] = starts
        if due is not None:
            values["due_on"] = due
        if values:
            if not queries.change_item(s, item_id, item.status, updated_at=now, **values):
                raise Conflict(CHANGED, field="item")
        if values.get("status") == "cancelled":  # nothing left to approve
            follow_item(s, item_id, "cancelled", caller.user, now)
        return queries.item_view(queries.item(s, plan_id, item_id))


def approve_item(db: Database, caller: Caller, plan_id: int, item_id: int, now: datetime) -> dict:
    """A second staff member (not the requester) approves a cash-assistance item."""
    caller.require("shelter")
    with db.write() as s:
        queries.plan_still_open(s, caller, plan_id)
        item = queries.item(s, plan_id, item_id, for_update=True)
        rules.check_approval(service=item.service, status=item.status, requested_by=item.created_by,
                             approved_by=item.approved_by, approver=caller.user)
        if not queries.approve_item(s, item_id, caller.user, now):
            raise Conflict(CHANGED, field="item")
        follow_item(s, item_id, "approved", caller.user, now)
        return queries.item_view(queries.item(s, plan_id, item_id))


def refer_item_to_legal(db: Database, caller: Caller, plan_id: int, item_id: int, now: datetime,
                        correlation_id: str | None = None) -> dict:
    """Refer a legal plan item to the legal team: the event carries the reference, the service
    asked for, an opaque request id and the plan's provider, nothing of the plan."""
    caller.require("shelter")
    with db.write() as s:
        plan = queries.plan_still_open(s, caller, plan_id)
        item = queries.item(s, plan_id, item_id, for_update=True)
        rules.check_legal_referral(service=item.service, status=item.status,
                                   referred=item.legal_request_id is not None)
        request_id = uuid.uuid4().hex
        if not queries.refer_item(s, item_id, request_id, now):
            raise Conflict("the item was already referred to the legal team", field="item")
        emit(s, now, "shelter.legal_referral_requested", {
            "reference": plan.reference, "request_id": request_id, "service": item.service,
            "requested_at": now, "agency": plan.provider}, correlation_id)
        return queries.item_view(queries.item(s, plan_id, item_id))
