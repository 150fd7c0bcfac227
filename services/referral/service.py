"""nameko entrypoints of the referral service: validate, delegate to ``app``, return.

Every RPC leaves an audit entry (``audited``) before its answer leaves the service. Retention:
every ``REFNET_RETENTION_SWEEP_SECONDS`` (default 3600) each replica anonymises referrals that
ended more than ``REFNET_RETENTION_DAYS`` (default 365) ago (safe to run concurrently).
"""

import logging
import os

from nameko.timer import timer

from services.common.audit import audited
from services.common.caller import Caller
from services.common.runtime.consumers import consume_events, consume_intake
from services.common.runtime.entrypoints import rpc
from services.common.runtime.observability import Observability
from services.common.runtime.providers import Outbox, ServiceDatabase

from . import app, report
from .dependencies import ReferralSecrets
from .tables import audit_log, outbox

log = logging.getLogger(__name__)


def retention_days() -> float:
    return float(os.environ.get("REFNET_RETENTION_DAYS", "365"))


class ReferralService:
    name = "referral"

    db = ServiceDatabase("referral")
    # before `outbox` below: that name is the outbox table only until it is rebound
    observability = Observability("referral", outbox)
    outbox = Outbox("referral", outbox)
    secrets = ReferralSecrets()
    audit_table = audit_log

    @consume_intake()
    def take_submission(self, body):
        app.submit(self.db, self.secrets.cipher, self.secrets.intake_private_key, body,
                   search_key=self.secrets.search_key)

    @consume_events("referral")
    def on_event(self, body):
        app.apply_event(self.db, body)

    @timer(interval=float(os.environ.get("REFNET_RETENTION_SWEEP_SECONDS", "3600")))
    def retention_sweep(self):
        try:
            count = app.anonymise_closed(self.db, self.secrets.cipher, retention_days())
            if count:
                log.info("retention: %d referral(s) anonymised", count)
        except Exception:  # the next tick retries; never let the timer die
            log.exception("retention sweep failed")

    @rpc
    @audited("referral.read_status", "referral", "reference", refusals_only=True)
    def get_status(self, caller, reference):
        return app.get_status(self.db, Caller.from_dict(caller), reference)

    @rpc
    @audited("referral.read_fhir_task", "referral", "reference", refusals_only=True)
    def get_fhir_task(self, caller, reference):
        return app.get_fhir_task(self.db, self.secrets.search_key, Caller.from_dict(caller),
                                 reference)

    @rpc
    def list_referrals(self, caller, status=None, limit=50, cursor=None):
        return app.list_referrals(self.db, Caller.from_dict(caller), status=status,
                                  limit=int(limit), cursor=cursor)

    @rpc
    @audited("referral.read_file", "referral", "reference")
    def get_file(self, caller, reference):
        return app.get_file(self.db, self.secrets.cipher, Caller.from_dict(caller), reference)

    @rpc
    @audited("referral.withdraw", "referral", "reference")
    def withdraw(self, caller, reference, reason=None, correlation_id=None):
        return app.withdraw(self.db, Caller.from_dict(caller), reference, reason, correlation_id)

    @rpc
    @audited("consent.record", "referral", "reference")
    def record_consent(self, caller, reference, audience, share, purpose=None, until=None,
                       correlation_id=None):
        return app.record_consent(self.db, Caller.from_dict(caller), reference, audience, share,
                                  purpose, until, correlation_id)

    @rpc
    @audited("consent.read", "referral", "reference")
    def get_consent(self, caller, reference):
        return app.get_consent(self.db, Caller.from_dict(caller), reference)

    @rpc
    @audited("referral.search_by_name", "referrals")
    def search_by_name(self, caller, name):
        return app.search_by_name(self.db, self.secrets.search_key, Caller.from_dict(caller), name)

    @rpc
    @audited("audit.query", "audit")
    def audit_query(self, caller, object=None, actor=None, limit=100):
        return app.audit_query(self.db, Caller.from_dict(caller), object=object, actor=actor,
                               limit=limit)

    @rpc
    @audited("report.figures", "report")
    def report_figures(self, caller, first_day, last_day):
        """Counts and quartiles for a period (issue 10); never a row or a reference."""
        return report.report_figures(self.db, Caller.from_dict(caller), first_day, last_day)

    @rpc
    def ping(self):
        return {"service": self.name, "outbox_published": self.outbox.published}
