"""Document requests and labour disputes of a legal case: the dicts rows become."""

import json

from services.common.timeutil import iso


def _day(d) -> str | None:
    return d.isoformat() if d else None


def document_view(r) -> dict:
    """A document request with the day of each step it reached."""
    return {"document_id": r.id, "case_id": r.case_id, "kind": r.kind, "authority": r.authority,
            "status": r.status, "requested_on": _day(r.requested_on),
            "submitted_on": _day(r.submitted_on), "issued_on": _day(r.issued_on),
            "rejected_on": _day(r.rejected_on), "updated_at": iso(r.updated_at)}


def dispute_view(r) -> dict:
    """A labour dispute (claims decoded)."""
    return {"dispute_id": r.id, "case_id": r.case_id, "employer": r.employer,
            "claims": json.loads(r.claims), "amount_claimed": r.amount_claimed,
            "amount_recovered": r.amount_recovered, "currency": r.currency, "status": r.status,
            "outcome": r.outcome, "opened_on": r.opened_on.isoformat(), "updated_at": iso(r.updated_at)}
