"""``ServiceSkeleton``: what every refnet service answers the same way, written once.

A service class inherits it and sets ``name``, ``audit_table`` and ``report_figures_of`` (its
function ``(db, caller, first_day, last_day) -> dict`` of counts for a period), and declares
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

from .. import audit
from .entrypoints import rpc
from .providers import AuditKey, CallerVerification, ServiceClock


def _audit_query(self, caller, object=None, actor=None, limit=100):
    """The service's audit trail by object or actor, newest first (administrators only)."""
    caller.require("admin")
    with self.db.read() as connection:
        return audit.query(connection, self.audit_table, object=object, actor=actor, limit=limit)


def _report_figures(self, caller, first_day, last_day):
    """Counts for the days ``first_day`` to ``last_day`` (ISO dates)."""
    return type(self).report_figures_of(self.db, caller, first_day, last_day)


def _ping(self):
    """Readiness: the service answers, and how many events its relay has published."""
    return {"service": self.name, "outbox_published": self.outbox.published}


# name -> (method, audit action and object kind, or None for no audit entry)
_SHARED_RPCS = {
    "audit_query": (_audit_query, ("audit.query", "audit")),
    "report_figures": (_report_figures, ("report.figures", "report")),
    "ping": (_ping, None),
}


def _entrypoint(name, function, audit_args):
    """A fresh ``@rpc`` (and ``@audited``) method ``name`` of ``function`` for one service
    class (named as called: a signed caller names the method it may call)."""
    @functools.wraps(function)
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)
    method.__name__ = name
    return rpc(audit.audited(*audit_args)(method) if audit_args else method)


class ServiceSkeleton:
    """``ping`` (readiness), ``audit_query`` (administrators read the service's audit trail) and
    ``report_figures`` (counts for a period; never a row or a reference)."""

    name: str
    audit_table = None
    report_figures_of = None
    clock = ServiceClock()
    audit_key = AuditKey()
    caller_verifier = CallerVerification()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, (function, audit_args) in _SHARED_RPCS.items():
            if not hasattr(cls, name):
                setattr(cls, name, _entrypoint(name, function, audit_args))
