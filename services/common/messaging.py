"""The transactional outbox and the inbox of processed events, as tables any service adds to
its own metadata, plus the operations on them.

Outbox: an event row is inserted in the same transaction as the state change it announces; the
relay (services.common.relay) publishes it afterwards and marks it sent once the broker has
confirmed it. Inbox: a consumer records each ``event_id`` it handled in the same transaction as
the effect, so a redelivered event is recognised and skipped.
"""

import functools
import json
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import (Column, DateTime, Index, Integer, MetaData, String, Table, Text, and_,
                        or_, select, update)
from sqlalchemy.dialects import postgresql, sqlite
from services.common.db import WriteTransaction, insert_into


def messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Add the ``outbox`` and ``processed_events`` tables to a service's metadata."""
    outbox = Table(
        "outbox", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(64), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("claimed_by", String(36)),
        Column("claimed_until", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", String(200)),
        Column("sent_at", DateTime(timezone=True)),
    )
    Index("ix_outbox_pending", outbox.c.sent_at, outbox.c.id)
    processed = Table(
        "processed_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("type", String(64), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    return outbox, processed


def _now() -> datetime:
    return datetime.now(timezone.utc)


def add_to_outbox(session: WriteTransaction, outbox: Table, envelope: dict) -> None:
    """Queue an event for publication in the caller's transaction.

    When the transaction was opened with a hand-over lease (``Database.on_commit``), the row
    is claimed for this process's relay as it is inserted and listed in
    ``session.info["outbox_handed"]``: after the commit the relay publishes it without a claim
    transaction of its own. Should the process die first, the lease runs out and any relay
    publishes it."""
    session.info["events_queued"] = True
    now = _now()
    values = dict(event_id=envelope["event_id"], type=envelope["type"], body=json.dumps(envelope),
                  created_at=now, attempts=0, claimed_by=None, claimed_until=None)
    lease = session.info.get("outbox_hand_over")
    if lease is None:
        session.execute(insert_into(outbox), values)
        return
    values["claimed_by"] = session.info.setdefault("outbox_claim", str(uuid.uuid4()))
    values["claimed_until"] = now + lease
    row_id = session.execute(insert_into(outbox), values).inserted_primary_key[0]
    session.info.setdefault("outbox_handed", []).append((row_id, values["type"], values["body"]))


def first_time(session: WriteTransaction, processed: Table, envelope: dict) -> bool:
    """Record that this event is being handled; False if it was handled before.

    Runs inside the handler's transaction, so the record commits or rolls back with the effect.
    One ``INSERT ... ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL): a repeat inserts nothing,
    without the savepoint and the caught error a failed insert would need (a fifth of the time
    an event took to apply). A concurrent first delivery of the same event (another replica)
    makes it wait for that transaction: its commit makes this one a repeat, its rollback not.
    """
    statement = _record_once(processed, session.get_bind().dialect.name)
    result = session.execute(statement, {"event_id": str(envelope["event_id"]),
                                         "type": envelope["type"], "processed_at": _now()})
    return result.rowcount == 1


@functools.lru_cache(maxsize=None)
def _record_once(processed: Table, dialect: str):
    """``INSERT ... ON CONFLICT (event_id) DO NOTHING`` in the dialect's own form, built once."""
    insert_for = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert_for(processed).on_conflict_do_nothing(index_elements=[processed.c.event_id])


def claim_pending(session: WriteTransaction, outbox: Table, *, limit: int, lease: timedelta,
                  skip_locked: bool) -> tuple[str, list[tuple[int, str, str]]]:
    """Claim up to ``limit`` unsent rows for one relay for ``lease``; return (claim, rows).

    The claim is a lease, not a lock held across the publish: a relay that dies mid-publish
    leaves rows that another relay re-claims once the lease ends. Several relays never hold the
    same row at once; a row may be published twice only if a relay dies after the broker
    confirmed it and before it was marked sent, which consumers absorb by ``event_id``.
    """
    now = _now()
    claim = str(uuid.uuid4())
    claimable = _claimable(outbox, now)
    candidates = select(outbox.c.id).where(claimable).order_by(outbox.c.id).limit(limit)
    if skip_locked:
        candidates = candidates.with_for_update(skip_locked=True)
    ids = [row[0] for row in session.execute(candidates)]
    if not ids:
        return claim, []
    session.execute(update(outbox).where(and_(outbox.c.id.in_(ids), claimable))
                    .values(claimed_by=claim, claimed_until=now + lease))
    rows = session.execute(select(outbox.c.id, outbox.c.type, outbox.c.body)
                           .where(outbox.c.claimed_by == claim).order_by(outbox.c.id)).all()
    return claim, [tuple(r) for r in rows]


def _claimable(outbox: Table, now: datetime):
    """Unsent, and claimed by no relay or under a lease that has ended."""
    return and_(outbox.c.sent_at.is_(None),
                or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now))


def any_claimable(connection, outbox: Table) -> bool:
    """Whether a poll would find a row to claim (one indexed read, no transaction of its own:
    rows another process wrote, a dead relay's, or ones a failed publish gave back)."""
    return connection.execute(select(outbox.c.id).where(_claimable(outbox, _now())).limit(1)
                              ).first() is not None


def mark_sent(session: WriteTransaction, outbox: Table, claim: str, row_ids: list[int]) -> None:
    """Mark the rows this relay claimed (``claim``) as published."""
    if row_ids:
        session.execute(update(outbox).where(and_(outbox.c.id.in_(row_ids),
                                                  outbox.c.claimed_by == claim))
                        .values(sent_at=_now(), claimed_by=None, claimed_until=None))


def release(session: WriteTransaction, outbox: Table, claim: str, error: str) -> None:
    """Give the claim's unsent rows back after a failed publish, to be retried by any relay."""
    session.execute(update(outbox).where(outbox.c.claimed_by == claim)
                    .values(claimed_by=None, claimed_until=None, last_error=error[:200],
                            attempts=outbox.c.attempts + 1))


def backlog(session: WriteTransaction, outbox: Table) -> int:
    """How many outbox rows are not published yet."""
    from sqlalchemy import func
    return session.execute(select(func.count()).select_from(outbox)
                           .where(outbox.c.sent_at.is_(None))).scalar_one()


def apply_once(db, processed: Table, body: dict, handlers: dict, *args) -> bool:
    """The idempotent consumer: parse an event, and if ``handlers`` has its type, run
    ``handler(session, envelope, payload, *args)`` in one write transaction together with the
    record of its ``event_id``; a repeat is skipped. False when not acted on (unknown or
    unhandled type, or handled before)."""
    from services.contracts.envelope import UnknownEvent, parse_event
    try:
        envelope, payload = parse_event(body)
    except UnknownEvent:
        return False
    handler = handlers.get(envelope["type"])
    if handler is None:
        return False
    with db.write() as session:
        if not first_time(session, processed, envelope):
            return False
        handler(session, envelope, payload, *args)
    return True
