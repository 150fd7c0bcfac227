"""``ServiceSkeleton``: what every refnet service answers the same way, written once.

A service class inherits it and sets ``name``, ``audit_table`` and ``report_figures_of`` (its
function ``(db, caller, first_day, last_day) -> dict`` of counts for a period); it declares its
own ``db`` (``ServiceDatabase``) and ``outbox`` (``Outbox``) providers.

Import the module, not the class (``from services.common.runtime import skeleton``;
``class ShelterService(skeleton.ServiceSkeleton)``): ``nameko run <module>`` takes every class
with entrypoints at the top of a service module for a service, and this one has no name.
"""

from .. import audit
from .entrypoints import rpc


class ServiceSkeleton:
    """``ping`` (readiness), ``audit_query`` (administrators read the service's audit trail) and
    ``report_figures`` (counts for a period; never a row or a reference)."""

    name: str
    audit_table = None
    report_figures_of = None

    @rpc
    @audit.audited("audit.query", "audit")
    def audit_query(self, caller, object=None, actor=None, limit=100):
        """The service's audit trail by object or actor, newest first (administrators only)."""
        caller.require("admin")
        with self.db.read() as connection:
            return audit.query(connection, self.audit_table, object=object, actor=actor,
                               limit=limit)

    @rpc
    @audit.audited("report.figures", "report")
    def report_figures(self, caller, first_day, last_day):
        """Counts for the days ``first_day`` to ``last_day`` (ISO dates)."""
        return type(self).report_figures_of(self.db, caller, first_day, last_day)

    @rpc
    def ping(self):
        """Readiness: the service answers, and how many events its relay has published."""
        return {"service": self.name, "outbox_published": self.outbox.published}
