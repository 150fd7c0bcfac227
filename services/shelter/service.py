"""nameko entrypoints of the shelter service: validate, delegate to ``app``, return.

Settings (environment): ``REFNET_HOLD_HOURS`` (default 48) or ``REFNET_HOLD_SECONDS`` (tests)
is how long an accepted referral's beds are held; ``REFNET_HOLD_SWEEP_SECONDS`` (default 10) how
often every replica looks for expired holds (``app.expire_holds`` is safe to run concurrently).
"""

import logging
import os
from datetime import timedelta

from nameko.timer import timer

from services.common.audit import audited
from services.common.audit import query as audit_query_rows
from services.common.caller import Caller
from services.common.errors import InvalidInput
from services.common.nameko_deps import Outbox, ServiceDatabase, consume_events, rpc

from . import app
from .domain.visibility import shape
from .tables import audit_log, outbox

log = logging.getLogger(__name__)


def hold_duration() -> timedelta:
    if os.environ.get("REFNET_HOLD_SECONDS"):
        return timedelta(seconds=float(os.environ["REFNET_HOLD_SECONDS"]))
    return timedelta(hours=float(os.environ.get("REFNET_HOLD_HOURS", "48")))


HOLD = hold_duration()
SWEEP_SECONDS = float(os.environ.get("REFNET_HOLD_SWEEP_SECONDS", "10"))


def _agency() -> str:
    return os.environ.get("REFNET_SHELTER_AGENCY", "erbil-shelter")


def _int(value, field):
    if isinstance(value, bool):
        raise InvalidInput("must be a whole number", field=field)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput("must be a whole number", field=field) from None


class ShelterService:
    name = "shelter"

    db = ServiceDatabase("shelter")
    outbox = Outbox("shelter", outbox)
    audit_table = audit_log

    @consume_events("shelter")
    def on_event(self, body):
        app.apply_event(self.db, body, agency=_agency(), hold=HOLD)

    @timer(interval=SWEEP_SECONDS)
    def expire_holds(self):
        try:
            app.expire_holds(self.db, _agency(), hold=HOLD)
        except Exception:  # the next tick retries; never let the timer die
            log.exception("hold expiry sweep failed")

    @rpc
    def list_incoming(self, caller, status="received"):
        return app.list_incoming(self.db, Caller.from_dict(caller), status)

    @rpc
    @audited("referral.decide", "referral", "reference")
    def decide(self, caller, reference, decision, reason=None, correlation_id=None):
        return app.decide(self.db, Caller.from_dict(caller), reference, decision, reason,
                          correlation_id, hold=HOLD)

    @rpc
    @audited("facility.ensure", "facility", "facility")
    def ensure_facility(self, caller, facility, name):
        return app.ensure_facility(self.db, Caller.from_dict(caller), facility, name)

    @rpc
    @audited("facility.set_capacity", "facility", "facility")
    def set_capacity(self, caller, facility, population_group, capacity, correlation_id=None,
                     reason=None):
        return app.set_capacity(self.db, Caller.from_dict(caller), facility, population_group,
                                capacity, correlation_id, reason=reason, hold=HOLD)

    @rpc
    @audited("facility.set_out_of_service", "facility", "facility")
    def set_out_of_service(self, caller, facility, population_group, beds, reason=None,
                           expected_return=None, correlation_id=None):
        return app.set_out_of_service(self.db, Caller.from_dict(caller), facility, population_group,
                                      _int(beds, "beds"), reason, expected_return, correlation_id,
                                      hold=HOLD)

    @rpc
    def capacity_history(self, caller, facility):
        return app.capacity_history_of(self.db, Caller.from_dict(caller), facility)

    @rpc
    def availability(self, caller):
        who = Caller.from_dict(caller)
        return [shape("availability", who.role, row) for row in app.availability(self.db, who)]

    @rpc
    @audited("admission.admit", "referral", "reference")
    def admit(self, caller, facility, reference, case_manager, correlation_id=None):
        return app.admit(self.db, Caller.from_dict(caller), facility, reference, case_manager,
                         correlation_id)

    @rpc
    @audited("admission.discharge", "admission", "admission_id")
    def discharge(self, caller, facility, admission_id, outcome, correlation_id=None):
        return app.discharge(self.db, Caller.from_dict(caller), facility,
                             _int(admission_id, "admission"), outcome, correlation_id, hold=HOLD)

    @rpc
    def waitlist(self, caller, population_group=None):
        return app.waitlist(self.db, Caller.from_dict(caller), population_group)

    @rpc
    @audited("waitlist.reorder", "referral", "reference")
    def reorder_waitlist(self, caller, reference, priority, reason):
        return app.reorder_waitlist(self.db, Caller.from_dict(caller), reference, priority, reason)

    @rpc
    @audited("facility.read_board", "facility", "facility")
    def bed_board(self, caller, facility):
        return app.bed_board(self.db, Caller.from_dict(caller), facility)

    @rpc
    @audited("facility.read_census", "facility", "facility")
    def daily_census(self, caller, facility, date=None):
        return app.daily_census(self.db, Caller.from_dict(caller), facility, date)

    @rpc
    def hsds_service(self, caller, facility):
        return app.hsds_service(self.db, Caller.from_dict(caller), facility)

    @rpc
    def list_hearings(self, caller, upcoming_only=True):
        return app.list_hearings(self.db, Caller.from_dict(caller), bool(upcoming_only))

    @rpc
    @audited("audit.query", "audit")
    def audit_query(self, caller, object=None, actor=None, limit=100):
        Caller.from_dict(caller).require("admin")
        with self.db.read() as c:
            return audit_query_rows(c, audit_log, object=object, actor=actor, limit=limit)

    @rpc
    def ping(self):
        return {"service": self.name, "outbox_published": self.outbox.published}
