"""The audit trail every service keeps in its own database: append-only and chained with a key.

``audit_table(metadata)`` adds the ``audit_log`` table; ``append`` writes one entry in the
caller's write transaction (so a change and its entry commit together), its hash an HMAC with
the audit key (``REFNET_AUDIT_KEY``: the process's, never the database's; ``auditchain``);
``audited`` wraps an RPC entrypoint so that every call (allowed, refused, not found, failed)
leaves an entry before its answer leaves the service. Entries carry codes and ids only: never
names or free text.
"""

import functools
import inspect
import logging
import os
import re
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, select, text

from . import auditchain
from .caller import Caller
from .db import insert_into
from .errors import Forbidden, InvalidInput, NotFound, ServiceError

log = logging.getLogger(__name__)


def audit_table(metadata: MetaData) -> Table:
    """The ``audit_log`` table of a service, with its object and actor indexes."""
    table = Table(
        "audit_log", metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", String(100), nullable=False),
        Column("role", String(20), nullable=False),
        Column("agency", String(100), nullable=False),
        Column("action", String(64), nullable=False),
        Column("object", String(120), nullable=False),
        Column("outcome", String(20), nullable=False),
        Column("correlation_id", String(64)),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Column("key_id", String(16)),  # the audit key's fingerprint; none before keying
    )
    Index("ix_audit_object", table.c.object, table.c.id)
    Index("ix_audit_actor", table.c.actor, table.c.id)
    return table


KEY_SETTING = "REFNET_AUDIT_KEY"
_CHAIN_LOCK = text("SELECT pg_advisory_xact_lock(774411)")  # one chain writer at a time (PostgreSQL)


class AuditKeyMissing(RuntimeError):
    """No audit key: the trail is not written unkeyed."""


def process_key() -> str:
    """The process's audit key (``REFNET_AUDIT_KEY``, services.common.settings); raises
    ``AuditKeyMissing`` when unset, so nothing is written that the chain could not vouch for."""
    from .settings import SERVICE
    setting = next(s for s in SERVICE if s.env == KEY_SETTING)
    if not os.environ.get(KEY_SETTING):
        raise AuditKeyMissing(f"{KEY_SETTING} is not set: the audit trail cannot be written "
                              "(`refnet init-secrets` writes it to var/refnet.env)")
    return setting.read(os.environ, {})  # checked as the process checked it at its start


def append(session, table: Table, *, actor: str, role: str, agency: str, action: str,
           object: str, outcome: str, now: datetime, correlation_id: str | None = None,
           key: str | None = None) -> dict:
    """Add one entry at ``now``, chained to the last one, in the caller's write transaction;
    sealed with ``key`` (default: the process's ``REFNET_AUDIT_KEY``).

    The chain needs one writer at a time: SQLite write transactions are already serialised
    (``BEGIN IMMEDIATE``); on PostgreSQL a transaction-scoped advisory lock does it.
    """
    return append_many(session, table, actor=actor, role=role, agency=agency, action=action,
                       outcomes=[(object, outcome)], now=now, correlation_id=correlation_id,
                       key=key)[0]


def append_many(session, table: Table, *, actor: str, role: str, agency: str, action: str,
                outcomes: list[tuple[str, str]], now: datetime,
                correlation_id: str | None = None, key: str | None = None) -> list[dict]:
    """One entry per ``(object, outcome)`` of one call (the same actor and action), chained in
    order after the last one as ``append`` would chain them one by one, with one read of the
    chain's end and one insert: a page that shows fifty names is fifty audited reads."""
    return append_entries(session, table, actor=actor, role=role, agency=agency,
                          entries=[(action, object, outcome) for object, outcome in outcomes],
                          now=now, correlation_id=correlation_id, key=key)


def append_entries(session, table: Table, *, actor: str, role: str, agency: str,
                   entries: list[tuple[str, str, str]], now: datetime,
                   correlation_id: str | None = None, key: str | None = None) -> list[dict]:
    """One entry per ``(action, object, outcome)`` of one caller, chained in order after the
    last one with one read of the chain's end and one insert (``append_many``, each entry with
    its own action: a call that reads several things)."""
    if not entries:
        return []
    key = key or process_key()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_CHAIN_LOCK)
    last = session.execute(_last_entry(table)).first()
    prev_id, prev_hash = (last.id, last.hash) if last else (0, auditchain.GENESIS)
    at, key_id = now.astimezone(timezone.utc), auditchain.key_id(key)
    correlation_id = (correlation_id or None) and str(correlation_id)[:64]
    rows = []
    for action, object, outcome in entries:
        entry = {"id": prev_id + 1, "at": at, "actor": actor[:100], "role": role[:20],
                 "agency": agency[:100], "action": action[:64], "object": object[:120],
                 "outcome": outcome[:20], "correlation_id": correlation_id,
                 "prev_hash": prev_hash}
        entry["hash"] = auditchain.entry_hash(entry, prev_hash, key)
        entry["key_id"] = key_id
        rows.append(entry)
        prev_id, prev_hash = entry["id"], entry["hash"]
    session.execute(insert_into(table), rows)
    return rows


@functools.lru_cache(maxsize=None)
def _last_entry(table: Table):
    """The chain's last entry (id and hash), as a statement built once: ``append`` runs for
    every audited call."""
    return select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)


def read_all(connection, table: Table) -> list[dict]:
    """Every entry, oldest first (the chain check reads them all)."""
    return [dict(r._mapping) for r in connection.execute(select(table).order_by(table.c.id))]


def query(connection, table: Table, *, object: str | None = None, actor: str | None = None,
          limit: int = 100) -> list[dict]:
    """Entries by object or actor, newest first, at most ``limit`` (1 to 500), hash included."""
    q = select(table).order_by(table.c.id.desc()).limit(max(1, min(int(limit), 500)))
    if object:
        q = q.where(table.c.object == object)
    if actor:
        q = q.where(table.c.actor == actor)
    return [{"id": r.id, "at": auditchain._text(r.at), "actor": r.actor, "role": r.role,
             "agency": r.agency, "action": r.action, "object": r.object, "outcome": r.outcome,
             "correlation_id": r.correlation_id, "hash": r.hash}
            for r in connection.execute(q)]


# what an administrator changes in the gateway's own tables, recorded in a service's chain by
# ``audit_record`` (the gateway holds no audit key; docs/decisions/0043)
GATEWAY_ACTIONS = ("web_user.create", "web_user.disable", "web_user.enable", "web_user.password",
                   "token.revoke", "token.revoke_user")
OUTCOMES = ("ok", "not_found", "denied", "invalid", "refused", "error")


def outcome_of(exc: BaseException | None) -> str:
    """The audit outcome code of a call that raised ``exc`` (None: it succeeded)."""
    if exc is None:
        return "ok"
    if isinstance(exc, NotFound):
        return "not_found"
    if isinstance(exc, Forbidden):
        return "denied"
    if isinstance(exc, InvalidInput):
        return "invalid"
    if isinstance(exc, ServiceError):
        return "refused"
    return "error"


_SAFE_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,80}$")


def object_id(kind: str, value) -> str:
    """``kind:value`` for an id-shaped value; anything else (free text someone put in a URL)
    is not copied into the trail."""
    if value is None:
        return kind
    text_value = str(value)
    return f"{kind}:{text_value}" if _SAFE_ID.match(text_value) else f"{kind}:(not an id)"


def _identity(caller) -> dict:
    """The caller's identity as a dict (from a ``Caller`` or the dict an RPC carries)."""
    if isinstance(caller, Caller):
        return {**caller.to_dict(), "correlation_id": caller.correlation_id}
    return caller if isinstance(caller, dict) else {}


def audited(action: str, object_kind: str, object_param: str | None = None, *,
            refusals_only: bool = False):
    """Decorate a service's RPC method: one audit entry per call, written before the answer
    leaves. If the entry cannot be written the caller gets an error, not the data.

    The service needs ``db`` (its Database), ``clock`` (its Clock: the entry's time) and
    ``audit_table``, and may have ``audit_key`` (else the process's ``REFNET_AUDIT_KEY``); the
    caller (a ``Caller`` or its dict) may carry ``correlation_id`` (the gateway adds the
    request's id). ``refusals_only`` records only calls
    that did not succeed (for frequent reads that hold no file, such as a status: probing for
    another agency's references still leaves a trace).
    """
    def decorate(method):
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:  # the arguments by name, however they were passed
                arguments = signature.bind_partial(self, *args, **kwargs).arguments
            except TypeError:  # the call itself fails below, and is audited
                arguments = kwargs
            obj = object_id(object_kind, arguments.get(object_param) if object_param else None)
            error = None
            try:
                return_value = method(self, *args, **kwargs)
            except Exception as exc:
                error = exc
            if refusals_only and error is None:
                return return_value
            record(self, arguments.get("caller"), str(obj), [(action, error)])
            if error is not None:
                raise error
            return return_value
        return wrapper
    return decorate


def record(service, caller, obj: str, calls: list[tuple[str, BaseException | None]]) -> None:
    """One entry per ``(action, error)`` about ``obj`` for ``caller`` (a ``Caller`` or its
    dict), in one write transaction of ``service`` (its ``db``, ``clock``, ``audit_table`` and
    ``audit_key``, as ``audited``): a call that reads several things leaves the entries their
    own calls would have."""
    who = _identity(caller)
    with service.db.write() as s:
        append_entries(s, service.audit_table, actor=str(who.get("user") or "unknown"),
                       role=str(who.get("role") or "unknown"),
                       agency=str(who.get("agency") or "unknown"),
                       entries=[(action, obj, outcome_of(error)) for action, error in calls],
                       now=service.clock.now(), correlation_id=who.get("correlation_id"),
                       key=getattr(service, "audit_key", None))
