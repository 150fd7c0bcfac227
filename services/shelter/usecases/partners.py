"""Partner referrals (docs/decisions/0040): the provider's staff refer a care-plan item to a
partner agency; the partner's users list what was referred to their agency and accept, decline
(a code) or complete it (an outcome code). Each change queues
``shelter.partner_referral_changed`` in its transaction; the referral service puts it on the
referral's timeline."""

import re
import uuid
from datetime import datetime

from services.common.caller import Caller
from services.common.db import Database
from services.common.errors import Conflict, InvalidInput, NotFound
from services.contracts.vocabulary import PARTNER_REFERRAL_STATUSES

from ..domain import partners as rules
from ..queries import care as care_queries
from ..queries import partners as queries
from .common import emit

EVENT = "shelter.partner_referral_changed"
ID = re.compile(r"[0-9a-f]{32}")


def refer_item_to_partner(db: Database, caller: Caller, plan_id: int, item_id: int,
                          now: datetime, partner_agency: str, service: str,
                          correlation_id: str | None = None) -> dict:
    """The provider's staff refer a plan item of their own provider's plan to a partner agency
    (status ``sent``; another provider's plan is ``NotFound`` naming ``plan``, as every care-plan
    action); the item view answers, with the referral's status on it."""
    caller.require(rules.PROVIDER_ROLE)
    rules.check_new(service, partner_agency, caller.agency)
    with db.write() as s:
        plan = care_queries.plan_still_open(s, caller, plan_id)
        item = care_queries.item(s, plan_id, item_id, for_update=True)
        rules.check_item_referable(item.status, queries.has_open(s, item.id))
        partner_referral_id = uuid.uuid4().hex
        queries.add(s, id=partner_referral_id, plan_id=plan_id, item_id=item.id,
                    reference=plan.reference, agency=plan.provider, partner_agency=partner_agency,
                    service=service, status="sent", sent_at=now, sent_by=caller.user[:100],
                    updated_at=now, updated_by=caller.user[:100])
        _emit(s, now, queries.one(s, partner_referral_id), correlation_id)
        return queries.attach(s, [care_queries.item_view(care_queries.item(s, plan_id, item.id))])[0]


def list_partner_referrals(db: Database, caller: Caller, status: str | None = None) -> list[dict]:
    """What was referred to the caller's agency (a partner's user), newest first."""
    caller.require(rules.PARTNER_ROLE)
    if status is not None and status not in PARTNER_REFERRAL_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(PARTNER_REFERRAL_STATUSES)}",
                           field="status")
    with db.read() as s:
        return [rules.partner_view(r) for r in queries.of_partner(s, caller.agency, status)]


def answer_partner_referral(db: Database, caller: Caller, partner_referral_id: str,
                            now: datetime, status: str, reason_code: str | None = None,
                            outcome_code: str | None = None,
                            correlation_id: str | None = None) -> dict:
    """A partner's user accepts, declines (a reason code) or completes (an outcome code) a
    referral to their agency; another agency's user gets ``NotFound``."""
    caller.require(rules.PARTNER_ROLE)
    if not isinstance(partner_referral_id, str) or not ID.fullmatch(partner_referral_id):
        raise NotFound(f"no partner referral {partner_referral_id}", field="partner_referral")
    with db.write() as s:
        current = rules.require_partner_of(
            caller, queries.one(s, partner_referral_id, for_update=True), partner_referral_id)
        values = rules.check_answer(current["status"], status, reason_code, outcome_code)
        if not queries.change(s, partner_referral_id, current["status"], updated_at=now,
                              updated_by=caller.user[:100], **values):
            raise Conflict("the referral changed meanwhile; read it and try again",
                           field="partner_referral")
        changed = queries.one(s, partner_referral_id)
        _emit(s, now, changed, correlation_id)
        return rules.partner_view(changed)


def _emit(s, now: datetime, r: dict, correlation_id: str | None) -> None:
    emit(s, now, EVENT, {
        "reference": r["reference"], "partner_referral_id": r["partner_referral_id"],
        "agency": r["agency"], "partner_agency": r["partner_agency"], "service": r["service"],
        "status": r["status"], "reason_code": r["reason_code"],
        "outcome_code": r["outcome_code"], "changed_at": now}, correlation_id)
