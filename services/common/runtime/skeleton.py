"""``ServiceSkeleton``: what every refnet service answers the same way, written once.

A service class inherits it and sets ``name``, ``audit_table`` and ``report_figures_of`` (its
function ``(db, caller, first_day, last_day) -> dict`` of counts for a period; and, when it
counts several periods faster at once, ``report_figures_for_of``), and declares
its providers ``db`` (``ServiceDatabase``), ``observability`` (``Observability``) and
``outbox`` (``Outbox``). It inherits ``clock`` (``ServiceClock``: the process clock, which also
stamps the audit entries), ``audit_key`` (``AuditKey``: the key the audit chain is sealed
with; a service without one does not start) and ``caller_verifier`` (``CallerVerification``:
``@rpc`` checks every caller's signature with it).

The skeleton itself has no entrypoint: ``nameko run <module>`` takes every class with
entrypoints at the top of a service module for a service, and this one has no name. Each
subclass gets its own entrypoints when it is defined (``__init_subclass__``), unless it defines
the method itself; so importing the class or the module (``skeleton.ServiceSkeleton``) both work.
"""

import functools
from datetime import timezone

from .. import audit, auditchain, dead_letters
from ..errors import InvalidInput, NotFound
from .entrypoints import rpc
from .providers import AuditKey, BrokerUri, CallerVerification, ServiceClock

MAX_CHECKPOINTS = 10_000  # rows a verify is handed (one per verify that found the head moved)
MAX_REPORT_PERIODS = 17  # a year, its four quarters and its twelve months (one public report)


def _audit_query(self, caller, object=None, actor=None, limit=100):
    """The service's audit trail by object or actor, newest first (administrators only)."""
    caller.require("admin")
    with self.db.read() as connection:
        return audit.query(connection, self.audit_table, object=object, actor=actor, limit=limit)


def _audit_verify(self, caller, checkpoints=None):
    """Check this service's keyed chain against the last of ``checkpoints`` (the rows the
    gateway keeps, docs/decisions/0030) whose MAC holds, as ``refnet audit verify`` does; when
    intact and the head moved on, sign the next checkpoint row for the gateway to keep
    (``new_checkpoint``). Administrators only."""
    caller.require("admin")
    rows = checkpoints or []
    if not isinstance(rows, list) or len(rows) > MAX_CHECKPOINTS or not all(
            isinstance(r, dict) and {"entry_id", "hash", "at", "mac"} <= set(r) for r in rows):
        raise InvalidInput("checkpoints: a list of {entry_id, hash, at, mac}", field="checkpoints")
    with self.db.read() as connection:
        entries = audit.read_all(connection, self.audit_table)
    at = self.clock.now().astimezone(timezone.utc).isoformat(timespec="seconds")
    return auditchain.verify_with_checkpoints(entries, self.audit_key, self.name, rows, at)


def _audit_record(self, caller, action, object, outcome="ok"):
    """Write one entry for a change an administrator made outside any service (the gateway's
    own tables: web users, token revocations): the gateway holds no audit key, so the entry
    goes into this service's chain, with the administrator's identity and request id.
    ``action`` is one of ``audit.GATEWAY_ACTIONS``; ``object`` an id (``web_user:<name>``)."""
    caller.require("admin")
    if action not in audit.GATEWAY_ACTIONS:
        raise InvalidInput(f"action is one of {', '.join(audit.GATEWAY_ACTIONS)}", field="action")
    if outcome not in audit.OUTCOMES:
        raise InvalidInput(f"outcome is one of {', '.join(audit.OUTCOMES)}", field="outcome")
    kind, _sep, value = str(object or "").partition(":")
    with self.db.write() as s:
        entry = audit.append(s, self.audit_table, actor=caller.user, role=caller.role,
                             agency=caller.agency, action=action,
                             object=audit.object_id(kind or "object", value or None),
                             outcome=outcome, now=self.clock.now(),
                             correlation_id=caller.correlation_id, key=self.audit_key)
    return {"id": entry["id"]}


def _dead_letters(self, caller):
    """The messages parked after repeated failures: ids, type, queue, reason, deaths, never a
    body. Administrators only."""
    caller.require("admin")
    return [vars(d) for d in dead_letters.list_dead_letters(self.broker_uri)]


def _retry_dead_letter(self, caller, message_id):
    """Send one parked message back to the queue it failed in (``NotFound`` when none has that
    id). Administrators only."""
    caller.require("admin")
    if not isinstance(message_id, str) or not 1 <= len(message_id) <= 300:
        raise InvalidInput("a dead letter's id", field="message_id")
    replayed = dead_letters.replay(self.broker_uri, message_id)
    if replayed is None:
        raise NotFound("no dead letter with this id", field="message_id")
    return vars(replayed)


def _report_figures(self, caller, first_day, last_day):
    """Counts for the days ``first_day`` to ``last_day`` (ISO dates)."""
    return type(self).report_figures_of(self.db, caller, first_day, last_day)


def _report_figures_for(self, caller, periods):
    """Counts for each of ``periods`` (``[{"first_day", "last_day"}]``, ISO dates), in order, in
    one call and one audit entry: a public report is suppressed together with the 17 calendar
    periods of its year, which were 17 calls to each service. Each period is checked as
    ``report_figures`` checks it."""
    if not isinstance(periods, list) or not 1 <= len(periods) <= MAX_REPORT_PERIODS or not all(
            isinstance(p, dict) and set(p) == {"first_day", "last_day"} for p in periods):
        raise InvalidInput(f"periods: 1 to {MAX_REPORT_PERIODS} of {{first_day, last_day}}",
                           field="periods")
    several = type(self).report_figures_for_of
    if several is not None:  # the service reads the rows of all the periods once
        return several(self.db, caller, [(p["first_day"], p["last_day"]) for p in periods])
    figures_of = type(self).report_figures_of
    return [figures_of(self.db, caller, p["first_day"], p["last_day"]) for p in periods]


def _ping(self):
    """Readiness: the service answers, and how many events its relay has published."""
    return {"service": self.name, "outbox_published": self.outbox.published}


# name -> (method, audit action, object kind[, object parameter[, refusals only]]; or None for
# no audit entry)
_SHARED_RPCS = {
    "audit_query": (_audit_query, ("audit.query", "audit")),
    "report_figures": (_report_figures, ("report.figures", "report")),
    "report_figures_for": (_report_figures_for, ("report.figures", "report")),
    "ping": (_ping, None),
    "audit_verify": (_audit_verify, ("audit.verify", "audit")),
    # writes its own entry, of the action it records; a refused call leaves one of its own
    "audit_record": (_audit_record, ("audit.record", "audit", None, True)),
}

# the dead-letter queue, on the one service whose broker user may read it (``keeps_dead_letters``)
_DEAD_LETTER_RPCS = {
    "dead_letters": (_dead_letters, ("dead_letter.list", "dead_letters", None, True)),
    "retry_dead_letter": (_retry_dead_letter, ("dead_letter.retry", "dead_letter", "message_id")),
}


def _entrypoint(name, function, audit_args):
    """A fresh ``@rpc`` (and ``@audited``) method ``name`` of ``function`` for one service
    class (named as called: a signed caller names the method it may call)."""
    @functools.wraps(function)
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)
    method.__name__ = name
    if not audit_args:
        return rpc(method)
    action, kind, param, refusals_only = (*audit_args, None, False)[:4]
    return rpc(audit.audited(action, kind, param, refusals_only=bool(refusals_only))(method))


class ServiceSkeleton:
    """``ping`` (readiness), ``audit_query`` (administrators read the service's audit trail),
    ``audit_verify`` (they check its keyed chain against the gateway's checkpoints),
    ``audit_record`` (a change they made in the gateway's own tables, into this chain) and
    ``report_figures`` (counts for a period; never a row or a reference) and
    ``report_figures_for`` (the same for several periods in one call); with
    ``keeps_dead_letters``, ``dead_letters`` and ``retry_dead_letter`` (docs/decisions/0043)."""

    name: str
    audit_table = None
    report_figures_of = None
    report_figures_for_of = None  # (db, caller, [(first_day, last_day)]) -> [dict], optional
    clock = ServiceClock()
    audit_key = AuditKey()
    caller_verifier = CallerVerification()
    broker_uri = BrokerUri()
    keeps_dead_letters = False  # True on the service whose broker user reads the parking queue

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        shared = {**_SHARED_RPCS, **(_DEAD_LETTER_RPCS if cls.keeps_dead_letters else {})}
        for name, (function, audit_args) in shared.items():
            if not hasattr(cls, name):
                setattr(cls, name, _entrypoint(name, function, audit_args))
