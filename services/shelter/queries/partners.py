"""Partner referrals' statements: the partner's list, one referral locked for its answer, and
each plan item's latest referral to a partner (docs/decisions/0040)."""

from sqlalchemy import and_, bindparam, insert, select, update
from services.common.db import WriteTransaction

from services.common.timeutil import iso

from ..domain import partners as rules
from ..tables import partner_referrals

MAX_LIST = 200


def as_dict(r) -> dict:
    """A row as the domain's dictionary (dates as ISO text)."""
    return {"partner_referral_id": r.id, "plan_id": r.plan_id, "item_id": r.item_id,
            "reference": r.reference, "agency": r.agency, "partner_agency": r.partner_agency,
            "service": r.service, "status": r.status, "reason_code": r.reason_code,
            "outcome_code": r.outcome_code, "sent_at": iso(r.sent_at),
            "updated_at": iso(r.updated_at)}


def has_open(s: WriteTransaction, item_id: int) -> bool:
    """Whether the item has a referral to a partner still sent or accepted."""
    return s.execute(select(partner_referrals.c.id).where(and_(
        partner_referrals.c.item_id == item_id,
        partner_referrals.c.status.in_(rules.OPEN)))).first() is not None


def add(s: WriteTransaction, **values) -> None:
    s.execute(insert(partner_referrals).values(**values))


def one(s: WriteTransaction, partner_referral_id: str, *, for_update: bool = False) -> dict | None:
    query = select(partner_referrals).where(partner_referrals.c.id == partner_referral_id)
    row = s.execute(query.with_for_update() if for_update else query).first()
    return as_dict(row) if row is not None else None


def change(s: WriteTransaction, partner_referral_id: str, current: str, **values) -> bool:
    """Move the referral on from ``current``; False when it moved meanwhile."""
    return s.execute(update(partner_referrals).where(and_(
        partner_referrals.c.id == partner_referral_id, partner_referrals.c.status == current))
        .values(**values)).rowcount == 1


def of_partner(s: WriteTransaction, partner_agency: str, status: str | None = None) -> list[dict]:
    """What was referred to ``partner_agency``, newest first (``rules.require_partner_of``'s
    filter: the agency's own rows only)."""
    query = select(partner_referrals).where(partner_referrals.c.partner_agency == partner_agency)
    if status is not None:
        query = query.where(partner_referrals.c.status == status)
    rows = s.execute(query.order_by(partner_referrals.c.sent_at.desc(), partner_referrals.c.id)
                     .limit(MAX_LIST)).all()
    return [as_dict(r) for r in rows]


# built once: every view of a plan reads it (an expanding IN of the plan's items)
_OF_ITEMS = (select(partner_referrals)
             .where(partner_referrals.c.item_id.in_(bindparam("ids", expanding=True)))
             .order_by(partner_referrals.c.sent_at, partner_referrals.c.id))


def attach(s: WriteTransaction, item_views: list[dict]) -> list[dict]:
    """Each item view with its referral to a partner (``partner_referral``, or None): the open
    one, else the last sent."""
    ids = [v["item_id"] for v in item_views]
    latest: dict[int, dict] = {}
    if ids:
        rows = s.execute(_OF_ITEMS, {"ids": ids}).all()
        for r in rows:  # an open one (at most one per item) wins, else the last sent
            if r.status in rules.OPEN or latest.get(r.item_id, {}).get("status") not in rules.OPEN:
                latest[r.item_id] = as_dict(r)
    for view in item_views:
        r = latest.get(view["item_id"])
        view["partner_referral"] = None if r is None else {
            k: r[k] for k in ("partner_referral_id", "partner_agency", "service", "status",
                              "reason_code", "outcome_code", "sent_at", "updated_at")}
    return item_views
