"""nameko entrypoints of the shelter service: validate, delegate to a use case, return.

Settings are in ``settings.py``, loaded once here. Every time the shelter records or compares
(decisions, holds and their expiry, admissions, milestones falling due) comes from its one
process clock (``ServiceClock``), which a demo network or an end-to-end test may move forward.
"""

import logging

from nameko.timer import timer

from services.common import audit
from services.common.audit import audited
from services.common.runtime.consumers import consume_events
from services.common.runtime.entrypoints import rpc
from services.common.runtime.observability import Observability
from services.common.runtime.providers import FileKeys, Outbox, ServiceDatabase
from services.common.runtime import skeleton  # not its class: `nameko run` serves every class here

from . import usecases
from .domain.fields import check_whole_number as whole
from .observability import bed_gauges
from .settings import SETTINGS, cash_approval_of, hold_of, timing_of
from .tables import audit_log
from .tables import outbox as outbox_table
from .usecases.report import report_figures, report_figures_for

log = logging.getLogger(__name__)

VALUES = SETTINGS.load_at_start()  # once: a missing or bad value stops the process, naming it
HOLD = hold_of(VALUES)
CASH_APPROVAL = cash_approval_of(VALUES)
TIMING = timing_of(VALUES)
AGENCY = VALUES.shelter_agency


class ShelterService(skeleton.ServiceSkeleton):
    """Beds, placements, residents' hearings and care plans of the network's shelter."""

    name = "shelter"
    audit_table = audit_log
    report_figures_of = staticmethod(report_figures)  # shelter staff: their provider's only
    report_figures_for_of = staticmethod(report_figures_for)  # the periods of a public report at once

    db = ServiceDatabase("shelter")
    observability = Observability("shelter", outbox_table, collectors=[bed_gauges])
    outbox = Outbox("shelter", outbox_table)
    cipher = FileKeys()

    # --- what other services tell the shelter, and its sweeps --------------------------------

    @consume_events("shelter")
    def on_event(self, body):
        """Another service's event (referrals submitted or withdrawn, residents' hearings)."""
        usecases.apply_event(self.db, body, agency=AGENCY, hold=HOLD, now=self.clock.now(),
                             timing=TIMING)

    @timer(interval=VALUES.hold_sweep_seconds)
    def expire_holds(self):
        """Every replica ticks; each expired hold is claimed once (see admissions)."""
        try:
            usecases.expire_holds(self.db, hold=HOLD, now=self.clock.now())
        except Exception:  # the next tick retries; never let the timer die
            log.exception("hold expiry sweep failed")

    @timer(interval=VALUES.escalation_sweep_seconds)
    def escalate_unanswered(self):
        """Every replica ticks; each escalation step is claimed once (see usecases.routing)."""
        try:
            usecases.escalate(self.db, TIMING, now=self.clock.now())
        except Exception:  # the next tick retries; never let the timer die
            log.exception("escalation sweep failed")

    @timer(interval=VALUES.milestone_sweep_seconds)
    def notify_overdue_milestones(self):
        """Every replica ticks; each milestone's overdue notice is claimed once (see care_plans)."""
        try:
            usecases.notify_overdue_milestones(self.db, self.clock.now())
        except Exception:  # the next tick retries; never let the timer die
            log.exception("overdue milestone sweep failed")

    @timer(interval=VALUES.shelter_retention_sweep_seconds)
    def retention_sweep(self):
        """Every replica ticks; each ended referral's free text is anonymised once (retention)."""
        try:
            count = usecases.anonymise_ended(self.db, AGENCY, self.clock.now(),
                                             VALUES.shelter_retention_days)
            if count:
                log.info("retention: %d referral(s) anonymised at the shelter", count)
        except Exception:  # the next tick retries; never let the timer die
            log.exception("retention sweep failed")

    # --- intake, beds, admissions, the waitlist, hearings -------------------------------------

    @rpc
    def list_incoming(self, caller, status="received", limit=50, cursor=None):
        """The referrals the caller's provider holds, in a status, a page at a time (shelter
        staff of any provider: the use case lists only what the caller's agency holds)."""
        return usecases.list_incoming(self.db, caller, status, whole(limit, "limit"), cursor)

    @rpc
    @audited("referral.start_screening", "referral", "reference")
    def start_screening(self, caller, reference, reason_code=None, correlation_id=None):
        """The holding provider starts screening a received referral, with a coded reason."""
        return usecases.start_screening(self.db, caller, reference, reason_code, correlation_id,
                                        now=self.clock.now())

    @rpc
    @audited("referral.best_interests", "referral", "reference")
    def record_best_interests(self, caller, reference, outcome=None, assessed_on=None):
        """The holding provider records a minor survivor's best-interests determination."""
        return usecases.record_best_interests(self.db, caller, reference, outcome, assessed_on,
                                              now=self.clock.now())

    @rpc
    @audited("referral.decide", "referral", "reference")
    def decide(self, caller, reference, decision, reason=None, correlation_id=None,
               reason_code=None, to=None):
        """Accept (holding beds or waitlisting), decline with a reason code (and a note) or
        refer on (``to``, a reason code), by the provider that holds the referral: the use
        case's holder check answers ``NotFound`` to any other."""
        return usecases.decide(self.db, caller, reference, decision, reason, correlation_id,
                               hold=HOLD, now=self.clock.now(), reason_code=reason_code, to=to,
                               timing=TIMING)

    @rpc
    @audited("facility.register", "facility", "facility")
    def register_facility(self, caller, facility, name, provider=None, manager=None):
        """Register a facility of the caller's provider (an administrator names the provider),
        with its manager (a staff user id) if named."""
        return usecases.register_facility(self.db, caller, facility, name, provider,
                                          now=self.clock.now(), manager=manager)

    @rpc
    @audited("facility.rename", "facility", "facility")
    def rename_facility(self, caller, facility, name):
        """Rename one of the provider's facilities."""
        return usecases.rename_facility(self.db, caller, facility, name, now=self.clock.now())

    @rpc
    @audited("facility.set_manager", "facility", "facility")
    def set_facility_manager(self, caller, facility, manager):
        """Name the facility's manager (a staff user id; None: none)."""
        return usecases.set_facility_manager(self.db, caller, facility, manager,
                                             now=self.clock.now())

    @rpc
    @audited("facility.close", "facility", "facility")
    def close_facility(self, caller, facility):
        """Close a facility nobody lives in or is expected at."""
        return usecases.close_facility(self.db, caller, facility, now=self.clock.now())

    @rpc
    def list_facilities(self, caller):
        """The caller's provider's facilities (administrators: every one)."""
        return usecases.list_facilities(self.db, caller)

    @rpc
    @audited("facility.set_capacity", "facility", "facility")
    def set_capacity(self, caller, facility, population_group, capacity, correlation_id=None,
                     reason=None):
        """Set a group's beds at a facility; beds added go to the waitlist."""
        return usecases.set_capacity(self.db, caller, facility, population_group, capacity,
                                     correlation_id, reason=reason, hold=HOLD,
                                     now=self.clock.now())

    @rpc
    @audited("facility.set_out_of_service", "facility", "facility")
    def set_out_of_service(self, caller, facility, population_group, beds, reason=None,
                           expected_return=None, correlation_id=None):
        """Take beds out of service with a reason and return date (0 returns them)."""
        return usecases.set_out_of_service(self.db, caller, facility, population_group,
                                           whole(beds, "beds"), reason, expected_return,
                                           correlation_id, hold=HOLD, now=self.clock.now())

    @rpc
    def capacity_history(self, caller, facility):
        """A facility's capacity changes, latest first."""
        return usecases.capacity_history_of(self.db, caller, facility)

    @rpc
    def availability(self, caller):
        """Beds per facility and group, counts only (anyone signed in)."""
        return usecases.availability(self.db, caller)

    @rpc
    @audited("admission.admit", "referral", "reference")
    def admit(self, caller, facility, reference, case_manager, correlation_id=None):
        """Admit a resident from a hold or to free beds; the care plan opens."""
        return usecases.admit(self.db, caller, facility, reference, case_manager, correlation_id,
                              now=self.clock.now())

    @rpc
    @audited("admission.discharge", "admission", "admission_id")
    def discharge(self, caller, facility, admission_id, outcome, correlation_id=None):
        """Discharge a resident with an outcome; the beds go to the waitlist; her follow-up
        contacts are scheduled."""
        return usecases.discharge(self.db, caller, facility, whole(admission_id, "admission"),
                                  outcome, correlation_id, hold=HOLD, now=self.clock.now(),
                                  follow_up_months=VALUES.follow_up_months)

    @rpc
    @audited("admission.transfer", "referral", "reference")
    def transfer_resident(self, caller, reference, to_facility, case_manager,
                          correlation_id=None):
        """Move an admitted resident to another provider's facility of her group."""
        return usecases.transfer(self.db, caller, reference, to_facility, case_manager,
                                 correlation_id, hold=HOLD, now=self.clock.now())

    @rpc
    def waitlist(self, caller, population_group=None):
        """The waitlist in offer order, per group."""
        return usecases.waitlist(self.db, caller, population_group)

    @rpc
    @audited("waitlist.reorder", "referral", "reference")
    def reorder_waitlist(self, caller, reference, priority, reason):
        """Move a waitlisted referral up or down, with a reason."""
        return usecases.reorder_waitlist(self.db, caller, reference, priority, reason,
                                         now=self.clock.now())

    @rpc
    @audited("facility.read_board", "facility", "facility")
    def bed_board(self, caller, facility):
        """Who holds or occupies each place of a facility (by reference)."""
        return usecases.bed_board(self.db, caller, facility)

    @rpc
    def referral_place(self, caller, reference):
        """The caller's provider's facilities and where the referral holds or occupies beds at
        one of them: the referral page's part of the shelter, in one call (by reference; no
        names, as the bed board)."""
        return usecases.referral_place(self.db, caller, reference)

    @rpc
    @audited("facility.read_census", "facility", "facility")
    def daily_census(self, caller, facility, date=None):
        """Arrivals, expected arrivals, departures and census of a day."""
        return usecases.daily_census(self.db, caller, facility, date, now=self.clock.now())

    @rpc
    def hsds_service(self, caller, facility):
        """The facility as an Open Referral (HSDS 3.1) service with its capacities."""
        return usecases.hsds_service(self.db, caller, facility)

    @rpc
    def list_hearings(self, caller, upcoming_only=True):
        """Residents' hearings with their accompaniment tasks."""
        return usecases.list_hearings(self.db, caller, bool(upcoming_only),
                                      now=self.clock.now())

    # --- care plans, milestones, notes: shelter staff only ------------------------------------
    # Every read of a plan (its goals), its notes or its screening result, and every change, is
    # audited with the plan as object; the lists carry no personal text and are not.

    @rpc
    def list_plans(self, caller, facility=None, case_manager=None, status="open"):
        """Care plans with their milestone states counted."""
        return usecases.list_plans(self.db, caller, self.clock.now(), facility, case_manager,
                                   status)

    @rpc
    @audited(usecases.PLAN_READ, "care_plan", "plan_id")
    def get_plan(self, caller, plan_id):
        """A care plan with the person's goals, items and milestones."""
        return usecases.get_plan(self.db, caller, self.cipher, whole(plan_id, "plan"),
                                 self.clock.now())

    @rpc
    def get_plan_overview(self, caller, plan_id):
        """A care plan with its notes, and for its case manager and psychologist its screening
        and documents: what its page shows, in one call. Each part is audited as its own call
        is, in one transaction, before the answer leaves."""
        reads: list = []
        try:
            return usecases.plan_overview(self.db, caller, self.cipher, whole(plan_id, "plan"),
                                          self.clock.now(), reads)
        except Exception as exc:
            if not reads:  # refused before anything was read (a role, a plan id that is not one)
                reads.append((usecases.PLAN_READ, exc))
            raise
        finally:
            audit.record(self, caller, audit.object_id("care_plan", plan_id), reads)

    @rpc
    @audited("care_plan.update", "care_plan", "plan_id")
    def update_plan(self, caller, plan_id, goals=None, psychologist=None):
        """Record the person's goals and/or name the plan's psychologist."""
        return usecases.update_plan(self.db, caller, self.cipher, whole(plan_id, "plan"),
                                    self.clock.now(), goals, psychologist)

    @rpc
    @audited("care_plan.set_languages", "care_plan", "plan_id")
    def set_languages(self, caller, plan_id, languages, interpreter_needed):
        """Record the person's languages and whether an interpreter is needed."""
        return usecases.set_languages(self.db, caller, self.cipher, whole(plan_id, "plan"),
                                      languages, interpreter_needed, self.clock.now())

    @rpc
    @audited("care_plan.set_case_data", "care_plan", "plan_id")
    def set_case_data(self, caller, plan_id, codes):
        """Record the plan's Human Trafficking Case Data Standard codes."""
        return usecases.set_case_data(self.db, caller, whole(plan_id, "plan"), codes,
                                      self.clock.now())

    @rpc
    @audited("report.htcds", "report")
    def htcds_export(self, caller, first_day, last_day):
        """A calendar period's cases in the HTCDS shape, small cells left out (analysts)."""
        return usecases.htcds_export(self.db, caller, first_day, last_day)

    @rpc
    @audited("care_plan.set_interpreter", "care_plan", "plan_id")
    def set_interpreter(self, caller, plan_id, occasion, language, status):
        """Book an interpreter for a first-week occasion, or move the booking on."""
        return usecases.set_booking(self.db, caller, whole(plan_id, "plan"), occasion, language,
                                    status, self.clock.now())

    @rpc
    @audited("care_plan.complete_milestone", "care_plan", "plan_id")
    def complete_milestone(self, caller, plan_id, milestone):
        """Mark the rights briefing or the agreed plan as done."""
        return usecases.complete_milestone(self.db, caller, whole(plan_id, "plan"), milestone,
                                           self.clock.now())

    @rpc
    def list_milestones(self, caller, state=None, facility=None, case_manager=None):
        """Milestones of open plans by state, per facility and case manager."""
        return usecases.list_milestones(self.db, caller, self.clock.now(), state, facility,
                                        case_manager)

    @rpc
    @audited("care_plan.add_item", "care_plan", "plan_id")
    def add_plan_item(self, caller, plan_id, service_code, owner, starts_on=None, due_on=None,
                      cash=None):
        """Plan a service for the resident."""
        # the RPC says ``service_code`` (``service`` is the RPC client's own argument)
        return usecases.add_item(self.db, caller, whole(plan_id, "plan"), self.clock.now(),
                                 service_code, owner, starts_on, due_on, cash,
                                 approval_within=CASH_APPROVAL)

    @rpc
    @audited("care_plan.update_item", "care_plan", "plan_id")
    def update_plan_item(self, caller, plan_id, item_id, status=None, owner=None, starts_on=None,
                         due_on=None):
        """Change an item's status, owner or dates (cash is paid once approved)."""
        return usecases.update_item(self.db, caller, whole(plan_id, "plan"),
                                    whole(item_id, "item"), self.clock.now(), status, owner,
                                    starts_on, due_on)

    @rpc
    @audited("care_plan.approve_item", "care_plan", "plan_id")
    def approve_plan_item(self, caller, plan_id, item_id):
        """A second staff member approves cash assistance."""
        return usecases.approve_item(self.db, caller, whole(plan_id, "plan"),
                                     whole(item_id, "item"), self.clock.now())

    # --- follow-up after discharge: codes and dates only ----------------------------------------

    @rpc
    def list_follow_ups(self, caller, state=None, mine=False):
        """The provider's follow-up contacts, overdue first (``mine``: the caller's)."""
        return usecases.list_follow_ups(self.db, caller, self.clock.now(), state, bool(mine))

    @rpc
    @audited("follow_up.record", "follow_up", "follow_up_id")
    def record_follow_up(self, caller, follow_up_id, outcome, contacted_on, correlation_id=None):
        """Record a follow-up contact's outcome code and day (once)."""
        return usecases.record_follow_up(self.db, caller, whole(follow_up_id, "follow_up"),
                                         outcome, contacted_on, self.clock.now(), correlation_id)

    # --- tasks: court accompaniment, cash approvals -------------------------------------------

    @rpc
    def list_tasks(self, caller, mine=False, status=None, cursor=None, limit=50):
        """The caller's provider's tasks, soonest due first (``mine``: only the caller's)."""
        return usecases.list_tasks(self.db, caller, self.clock.now(), mine=bool(mine),
                                   status=status, cursor=cursor, limit=whole(limit, "limit"))

    @rpc
    @audited("task.assign", "task", "task_id")
    def assign_task(self, caller, task_id, assignee, correlation_id=None):
        """Give a task to a staff member of its provider (or hand it to another)."""
        return usecases.assign_task(self.db, caller, task_id, assignee, self.clock.now(),
                                    correlation_id)

    @rpc
    @audited("task.finish", "task", "task_id")
    def finish_task(self, caller, task_id, outcome, correlation_id=None):
        """Finish an assigned task: done (a cash approval: the approval) or not needed."""
        return usecases.finish_task(self.db, caller, task_id, outcome, self.clock.now(),
                                    correlation_id)

    @rpc
    @audited("care_plan.refer_item", "care_plan", "plan_id")
    def refer_plan_item(self, caller, plan_id, item_id, correlation_id=None):
        """Refer a legal item to the legal team."""
        return usecases.refer_item_to_legal(self.db, caller, whole(plan_id, "plan"),
                                            whole(item_id, "item"), self.clock.now(),
                                            correlation_id)

    @rpc
    @audited("care_plan.refer_item_to_partner", "care_plan", "plan_id")
    def refer_plan_item_to_partner(self, caller, plan_id, item_id, partner_agency, service_code,
                                   correlation_id=None):
        """Refer a plan item to a partner agency (status only comes back)."""
        return usecases.refer_item_to_partner(self.db, caller, whole(plan_id, "plan"),
                                              whole(item_id, "item"), self.clock.now(),
                                              partner_agency, service_code, correlation_id)

    @rpc
    @audited("partner_referral.list", "partner_referrals", refusals_only=True)
    def list_partner_referrals(self, caller, status=None):
        """What was referred to the caller's partner agency."""
        return usecases.list_partner_referrals(self.db, caller, status)

    @rpc
    @audited("partner_referral.answer", "partner_referral", "partner_referral_id")
    def answer_partner_referral(self, caller, partner_referral_id, status, reason_code=None,
                                outcome_code=None, correlation_id=None):
        """A partner accepts, declines (a code) or completes (an outcome code) a referral."""
        return usecases.answer_partner_referral(self.db, caller, partner_referral_id,
                                                self.clock.now(), status, reason_code,
                                                outcome_code, correlation_id)

    @rpc
    @audited("care_note.add", "care_plan", "plan_id")
    def add_care_note(self, caller, plan_id, text):
        """Add a case note (stored encrypted)."""
        return usecases.add_note(self.db, caller, self.cipher, whole(plan_id, "plan"), text,
                                 self.clock.now())

    @rpc
    @audited(usecases.NOTES_READ, "care_plan", "plan_id")
    def list_care_notes(self, caller, plan_id):
        """A plan's case notes."""
        return usecases.list_notes(self.db, caller, self.cipher, whole(plan_id, "plan"))

    @rpc
    @audited("screening.record", "care_plan", "plan_id")
    def record_screening(self, caller, plan_id, outcome, summary=None):
        """The plan's psychologist records the screening result."""
        return usecases.record_screening(self.db, caller, self.cipher, whole(plan_id, "plan"),
                                         outcome, summary, self.clock.now())

    # --- documents on a plan (issue 21): every call audited, reads included -------------------

    @rpc
    @audited("attachment.add", "care_plan", "plan_id")
    def add_attachment(self, caller, plan_id, kind=None, file_name=None, content=None):
        """Keep a medical report (``content``: base64) on the plan: any staff of its provider."""
        return usecases.add_attachment(self.db, caller, self.cipher, whole(plan_id, "plan"), kind,
                                       file_name, content, VALUES.attachment_max_bytes,
                                       self.clock.now())

    @rpc
    @audited(usecases.DOCUMENTS_LISTED, "care_plan", "plan_id")
    def list_attachments(self, caller, plan_id):
        """The plan's documents without content (its case manager and psychologist)."""
        return usecases.list_attachments(self.db, caller, whole(plan_id, "plan"))

    @rpc
    @audited("attachment.read", "attachment", "attachment_id")
    def read_attachment(self, caller, plan_id, attachment_id):
        """One document with its content (base64), for the case manager and psychologist."""
        return usecases.read_attachment(self.db, caller, self.cipher, whole(plan_id, "plan"),
                                        attachment_id)

    @rpc
    @audited(usecases.SCREENING_READ, "care_plan", "plan_id")
    def get_screening(self, caller, plan_id):
        """The screening result (the plan's case manager and psychologist only)."""
        return usecases.get_screening(self.db, caller, self.cipher, whole(plan_id, "plan"))
