"""Status reads: a referral's status and timeline (with its legal timeline), the same as a FHIR
Task, and the caller's list of referrals. Each is cut by the domain's access rule and the
visibility table; the list's SQL filter is that rule's SQL form (``queries.visible_to``)."""

from sqlalchemy import and_, select, true

from services.common.caller import Caller
from services.common.clock import Clock
from services.common.db import Database
from services.common.cursors import decode_cursor, encode_cursor
from services.common.errors import Forbidden, InvalidInput
from services.common.timeutil import iso
from services.contracts.vocabulary import REFERRAL_STATUSES

from ..domain import fhir_task
from ..domain import partner_updates as partner_rules
from ..domain import referral as rules
from ..domain.visibility import shape
from ..queries import LEGAL_UPDATES_OF, PARTNER_UPDATES_OF, TIMELINE_OF, status_row, visible_to
from ..tables import referrals
from .directory import agency_names
from .steps import MAX_PAGE, check_reference


def _timeline_entry(e, names: dict | None = None) -> dict:
    entry = {"at": iso(e.at), "agency": e.agency, "status": e.status, "note": e.note}
    if names and e.agency in names:
        entry["agency_names"] = names[e.agency]
    if e.reason_code:
        entry["reason_code"] = e.reason_code
    return entry


def get_status(db: Database, clock: Clock, caller: Caller, reference: str,
               default_holder: str | None = None) -> dict:
    """Status and timeline, with the provider holding the referral (``held_by``), cut by the
    visibility table; for a consent audience, ``valid_until``: when its consent ends (None: no
    end date), which the gateway's copy of the answer honours and never shows
    (docs/decisions/0048). An audience whose consent was withdrawn learns that, and nothing else;
    anyone else without access gets ``NotFound`` (shelter staff: of another provider than the
    holder; ``default_holder`` holds a referral not offered yet)."""
    check_reference(reference)
    now = clock.now()
    with db.read() as s:
        row = rules.require_status_access(caller, status_row(s, reference), reference, now,
                                          default_holder)
        if not rules.may_read_status(caller, row, now):
            audience = rules.audience_of(caller, row)
            return shape("status_withdrawn", caller.role,
                         rules.withdrawn_view(reference, rules.consent_withdrawn_at(row, audience, now)))
        entries = s.execute(TIMELINE_OF, {"referral_id": row["id"]}).all()
        names = agency_names(s, {e.agency for e in entries})
        sees_legal = rules.may_see_legal_updates(caller, row, now)
        legal_rows = [dict(r._mapping) for r in s.execute(
            LEGAL_UPDATES_OF, {"referral_id": row["id"]}).all()] if sees_legal else []
        partner_rows = (s.execute(PARTNER_UPDATES_OF, {"referral_id": row["id"]}).all()
                        if partner_rules.visible_to(caller) else [])
    answer = {
        "reference": reference,
        "status": row["status"],
        "held_by": rules.holder_of(row),
        "timeline": rules.merge_timeline(
            rules.merge_timeline([_timeline_entry(e, names) for e in entries],
                                 [rules.legal_timeline_entry(u) for u in legal_rows]),
            [partner_rules.timeline_entry(dict(u._mapping)) for u in partner_rows]),
    }
    if sees_legal:
        answer["legal"] = rules.legal_summary(legal_rows)
    audience = rules.audience_of(caller, row)
    if audience is not None:  # the answer stands only while the audience's consent does
        answer["valid_until"] = iso(rules.consent_until(row, audience))
    return shape("status", caller.role, answer)


def get_fhir_task(db: Database, clock: Clock, pseudonym_key: bytes, caller: Caller,
                  reference: str, default_holder: str | None = None) -> dict:
    """The referral's status as a FHIR R4 Task (SDOHCC Task for Referral Management), for the
    callers ``get_status`` answers, under the same rule: anyone else gets ``NotFound``. An
    audience whose consent was withdrawn gets ``Forbidden`` naming consent: a Task cannot be
    given without the status the survivor no longer shares with it."""
    check_reference(reference)
    now = clock.now()
    with db.read() as s:
        row = rules.require_status_access(
            caller, status_row(s, reference, referrals.c.submitted_at, referrals.c.urgency),
            reference, now, default_holder)
        if not rules.may_read_status(caller, row, now):
            raise Forbidden(f"the survivor withdrew consent to share referral {reference} "
                            "with you", field="consent")
        entries = s.execute(TIMELINE_OF, {"referral_id": row["id"]}).all()
    task = fhir_task.build_task(
        reference=reference, status=row["status"], referring_agency=row["referring_agency"],
        submitted_at=iso(row["submitted_at"]), urgency=row["urgency"],
        timeline=[_timeline_entry(e) for e in entries], holder=rules.holder_of(row),
        patient=fhir_task.patient_pseudonym(pseudonym_key, reference))
    return shape("fhir_task", caller.role, task)


def list_referrals(db: Database, clock: Clock, caller: Caller, *, status: str | None = None,
                   limit: int = 50, cursor: str | None = None,
                   shelter_agency: str | None = None) -> dict:
    """The caller's referrals, newest first, ``limit`` at a time; ``next_cursor`` pages on.
    ``shelter_agency``: the agency holding the referrals (shelter staff of another see none)."""
    if status is not None and status not in REFERRAL_STATUSES:
        raise InvalidInput(f"unknown status {status}", field="status")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}", field="limit")
    conditions = [visible_to(caller, clock.now(), shelter_agency)]
    if status:
        conditions.append(referrals.c.status == status)
    if cursor:
        conditions.append(referrals.c.id < decode_cursor(cursor))
    query = (select(referrals.c.id, referrals.c.reference, referrals.c.status, referrals.c.urgency,
                    referrals.c.population_group, referrals.c.submitted_at, referrals.c.updated_at)
             .where(and_(true(), *conditions)).order_by(referrals.c.id.desc()).limit(limit + 1))
    with db.read() as s:
        rows = s.execute(query).all()
    page, more = rows[:limit], len(rows) > limit
    return {
        "items": [shape("list_item", caller.role, {
                   "reference": r.reference, "status": r.status, "urgency": r.urgency,
                   "population_group": r.population_group, "submitted_at": iso(r.submitted_at),
                   "updated_at": iso(r.updated_at)}) for r in page],
        "next_cursor": encode_cursor(page[-1].id) if more else None,
    }


UNPLACED_STATUSES = ("submitted", "received", "screening", "declined")  # still without a place


def list_unplaced(db: Database, caller: Caller, *, limit: int = 50,
                  cursor: str | None = None) -> dict:
    """Referrals no provider was left for, flagged to the network's admins (docs/decisions/
    0039), newest first while they still have no place: reference, status, since when, the
    last holder. No personal data."""
    caller.require("admin")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1 to {MAX_PAGE}", field="limit")
    conditions = [referrals.c.unplaced_at.is_not(None),
                  referrals.c.status.in_(UNPLACED_STATUSES)]
    if cursor:
        conditions.append(referrals.c.id < decode_cursor(cursor))
    query = (select(referrals.c.id, referrals.c.reference, referrals.c.status,
                    referrals.c.unplaced_at, referrals.c.held_by)
             .where(and_(*conditions)).order_by(referrals.c.id.desc()).limit(limit + 1))
    with db.read() as s:
        rows = s.execute(query).all()
    page, more = rows[:limit], len(rows) > limit
    return {
        "items": [shape("unplaced_item", caller.role, {
            "reference": r.reference, "status": r.status, "unplaced_since": iso(r.unplaced_at),
            "last_holder": r.held_by}) for r in page],
        "next_cursor": encode_cursor(page[-1].id) if more else None,
    }
