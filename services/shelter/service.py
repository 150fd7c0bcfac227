"""nameko entrypoints of the shelter service: validate, delegate to ``app``, return.

Settings (environment): ``REFNET_HOLD_HOURS`` (default 48) or ``REFNET_HOLD_SECONDS`` (tests)
is how long an accepted referral's beds are held; ``REFNET_HOLD_SWEEP_SECONDS`` (default 10) how
often every replica looks for expired holds (``app.expire_holds`` is safe to run concurrently).
``REFNET_MILESTONE_SWEEP_SECONDS`` (default 60) is how often every replica looks for first-week
milestones that became overdue (``care.notify_overdue_milestones`` sends each notice once).
``REFNET_FILE_KEYS`` (Fernet keys, as the referral service's) encrypts care notes, goals and
screening results at rest. Care reads and writes take their time from services/common/clock.py
(``REFNET_TEST_CLOCK_OFFSET_FILE`` moves it, in tests only).
"""

import logging
import os
from datetime import timedelta

from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.common import clock
from services.common.audit import audited
from services.common.audit import query as audit_query_rows
from services.common.caller import Caller
from services.common.errors import InvalidInput
from services.common.runtime.consumers import consume_events
from services.common.runtime.entrypoints import rpc
from services.common.runtime.observability import Observability
from services.common.runtime.providers import Outbox, ServiceDatabase
from services.common.sealing import FileCipher

from . import report
from .domain.fields import check_whole_number
from .usecases import (admissions, beds, care_plans, events, hearings, intake, plan_items,
                       waitlist_order)
from .domain.visibility import shape
from .observability import bed_gauges
from .tables import audit_log, outbox

log = logging.getLogger(__name__)


def hold_duration() -> timedelta:
    if os.environ.get("REFNET_HOLD_SECONDS"):
        return timedelta(seconds=float(os.environ["REFNET_HOLD_SECONDS"]))
    return timedelta(hours=float(os.environ.get("REFNET_HOLD_HOURS", "48")))


HOLD = hold_duration()
SWEEP_SECONDS = float(os.environ.get("REFNET_HOLD_SWEEP_SECONDS", "10"))
MILESTONE_SWEEP_SECONDS = float(os.environ.get("REFNET_MILESTONE_SWEEP_SECONDS", "60"))


class CareCipher(DependencyProvider):
    """Injects the ``FileCipher`` for care notes, goals and screening results
    (``REFNET_FILE_KEYS`` or nameko config ``FILE_KEYS``); None when unset, and then only the
    care endpoints that store or read personal text fail (beds and placements keep working)."""

    def setup(self):
        keys = self.container.config.get("FILE_KEYS") or os.environ.get("REFNET_FILE_KEYS")
        self.cipher = FileCipher(keys) if keys else None
        if self.cipher is None:
            log.warning("REFNET_FILE_KEYS is not set: care notes cannot be stored or read")

    def get_dependency(self, worker_ctx):
        return self.cipher


def _agency() -> str:
    return os.environ.get("REFNET_SHELTER_AGENCY", "erbil-shelter")


class ShelterService:
    name = "shelter"

    db = ServiceDatabase("shelter")
    # before `outbox` below: that name is the outbox table only until it is rebound
    observability = Observability("shelter", outbox, collectors=[bed_gauges])
    outbox = Outbox("shelter", outbox)
    cipher = CareCipher()
    audit_table = audit_log

    @consume_events("shelter")
    def on_event(self, body):
        events.apply_event(self.db, body, agency=_agency(), hold=HOLD)

    @timer(interval=SWEEP_SECONDS)
    def expire_holds(self):
        try:
            admissions.expire_holds(self.db, _agency(), hold=HOLD)
        except Exception:  # the next tick retries; never let the timer die
            log.exception("hold expiry sweep failed")

    @timer(interval=MILESTONE_SWEEP_SECONDS)
    def notify_overdue_milestones(self):
        """Every replica ticks; each milestone's overdue notice is claimed once (see care)."""
        try:
            care_plans.notify_overdue_milestones(self.db, _agency(), clock.now())
        except Exception:  # the next tick retries; never let the timer die
            log.exception("overdue milestone sweep failed")

    @rpc
    def list_incoming(self, caller, status="received"):
        return intake.list_incoming(self.db, Caller.from_dict(caller), status)

    @rpc
    @audited("referral.decide", "referral", "reference")
    def decide(self, caller, reference, decision, reason=None, correlation_id=None):
        return intake.decide(self.db, Caller.from_dict(caller), reference, decision, reason,
                          correlation_id, hold=HOLD)

    @rpc
    @audited("facility.ensure", "facility", "facility")
    def ensure_facility(self, caller, facility, name):
        return beds.ensure_facility(self.db, Caller.from_dict(caller), facility, name)

    @rpc
    @audited("facility.set_capacity", "facility", "facility")
    def set_capacity(self, caller, facility, population_group, capacity, correlation_id=None,
                     reason=None):
        return beds.set_capacity(self.db, Caller.from_dict(caller), facility, population_group,
                                capacity, correlation_id, reason=reason, hold=HOLD)

    @rpc
    @audited("facility.set_out_of_service", "facility", "facility")
    def set_out_of_service(self, caller, facility, population_group, beds, reason=None,
                           expected_return=None, correlation_id=None):
        return beds.set_out_of_service(self.db, Caller.from_dict(caller), facility, population_group,
                                      check_whole_number(beds, "beds"), reason, expected_return, correlation_id,
                                      hold=HOLD)

    @rpc
    def capacity_history(self, caller, facility):
        return beds.capacity_history_of(self.db, Caller.from_dict(caller), facility)

    @rpc
    def availability(self, caller):
        who = Caller.from_dict(caller)
        return [shape("availability", who.role, row) for row in beds.availability(self.db, who)]

    @rpc
    @audited("admission.admit", "referral", "reference")
    def admit(self, caller, facility, reference, case_manager, correlation_id=None):
        return admissions.admit(self.db, Caller.from_dict(caller), facility, reference, case_manager,
                         correlation_id)

    @rpc
    @audited("admission.discharge", "admission", "admission_id")
    def discharge(self, caller, facility, admission_id, outcome, correlation_id=None):
        return admissions.discharge(self.db, Caller.from_dict(caller), facility,
                             check_whole_number(admission_id, "admission"), outcome, correlation_id, hold=HOLD)

    @rpc
    def waitlist(self, caller, population_group=None):
        return waitlist_order.waitlist(self.db, Caller.from_dict(caller), population_group)

    @rpc
    @audited("waitlist.reorder", "referral", "reference")
    def reorder_waitlist(self, caller, reference, priority, reason):
        return waitlist_order.reorder_waitlist(self.db, Caller.from_dict(caller), reference, priority, reason)

    @rpc
    @audited("facility.read_board", "facility", "facility")
    def bed_board(self, caller, facility):
        return beds.bed_board(self.db, Caller.from_dict(caller), facility)

    @rpc
    @audited("facility.read_census", "facility", "facility")
    def daily_census(self, caller, facility, date=None):
        return beds.daily_census(self.db, Caller.from_dict(caller), facility, date)

    @rpc
    def hsds_service(self, caller, facility):
        return beds.hsds_service(self.db, Caller.from_dict(caller), facility)

    @rpc
    def list_hearings(self, caller, upcoming_only=True):
        return hearings.list_hearings(self.db, Caller.from_dict(caller), bool(upcoming_only))

    # --- care plans, milestones, notes (issue 4): shelter staff only, checked in care -----------

    @rpc
    def list_plans(self, caller, facility=None, case_manager=None, status="open"):
        return care_plans.list_plans(self.db, Caller.from_dict(caller), clock.now(), facility,
                               case_manager, status)

    @rpc
    def get_plan(self, caller, plan_id):
        return care_plans.get_plan(self.db, Caller.from_dict(caller), self.cipher,
                             check_whole_number(plan_id, "plan"), clock.now())

    @rpc
    def update_plan(self, caller, plan_id, goals=None, psychologist=None):
        return care_plans.update_plan(self.db, Caller.from_dict(caller), self.cipher,
                                check_whole_number(plan_id, "plan"), clock.now(), goals, psychologist)

    @rpc
    def complete_milestone(self, caller, plan_id, milestone):
        return care_plans.complete_milestone(self.db, Caller.from_dict(caller), check_whole_number(plan_id, "plan"),
                                       milestone, clock.now())

    @rpc
    def list_milestones(self, caller, state=None, facility=None, case_manager=None):
        return care_plans.list_milestones(self.db, Caller.from_dict(caller), clock.now(), state,
                                    facility, case_manager)

    @rpc
    def add_plan_item(self, caller, plan_id, service_code, owner, starts_on=None, due_on=None,
                      cash=None):
        # ``service_code``: the plan item's service (``service`` is the RPC client's own argument)
        return plan_items.add_item(self.db, Caller.from_dict(caller), check_whole_number(plan_id, "plan"),
                             clock.now(), service_code, owner, starts_on, due_on, cash)

    @rpc
    def update_plan_item(self, caller, plan_id, item_id, status=None, owner=None, starts_on=None,
                         due_on=None):
        return plan_items.update_item(self.db, Caller.from_dict(caller), check_whole_number(plan_id, "plan"),
                                check_whole_number(item_id, "item"), clock.now(), status, owner, starts_on,
                                due_on)

    @rpc
    def approve_plan_item(self, caller, plan_id, item_id):
        return plan_items.approve_item(self.db, Caller.from_dict(caller), check_whole_number(plan_id, "plan"),
                                 check_whole_number(item_id, "item"), clock.now())

    @rpc
    def refer_plan_item(self, caller, plan_id, item_id, correlation_id=None):
        return plan_items.refer_item_to_legal(self.db, Caller.from_dict(caller), check_whole_number(plan_id, "plan"),
                                        check_whole_number(item_id, "item"), clock.now(), _agency(),
                                        correlation_id)

    @rpc
    def add_care_note(self, caller, plan_id, text):
        return care_plans.add_note(self.db, Caller.from_dict(caller), self.cipher,
                             check_whole_number(plan_id, "plan"), text, clock.now())

    @rpc
    def list_care_notes(self, caller, plan_id):
        return care_plans.list_notes(self.db, Caller.from_dict(caller), self.cipher, check_whole_number(plan_id, "plan"))

    @rpc
    def record_screening(self, caller, plan_id, outcome, summary=None):
        return care_plans.record_screening(self.db, Caller.from_dict(caller), self.cipher,
                                     check_whole_number(plan_id, "plan"), outcome, summary, clock.now())

    @rpc
    def get_screening(self, caller, plan_id):
        return care_plans.get_screening(self.db, Caller.from_dict(caller), self.cipher,
                                  check_whole_number(plan_id, "plan"))

    @rpc
    @audited("audit.query", "audit")
    def audit_query(self, caller, object=None, actor=None, limit=100):
        Caller.from_dict(caller).require("admin")
        with self.db.read() as c:
            return audit_query_rows(c, audit_log, object=object, actor=actor, limit=limit)

    @rpc
    @audited("report.figures", "report")
    def report_figures(self, caller, first_day, last_day):
        """Counts, occupancy and day-measures for a period (issue 10); never a reference."""
        return report.report_figures(self.db, Caller.from_dict(caller), first_day, last_day)

    @rpc
    def ping(self):
        return {"service": self.name, "outbox_published": self.outbox.published}
