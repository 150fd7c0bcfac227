"""nameko entrypoints of the legal service: validate, delegate to the use cases, return."""

from datetime import timedelta

from nameko.timer import timer

from services.common.audit import audited
from services.common.runtime.consumers import consume_events
from services.common.runtime.entrypoints import rpc
from services.common.runtime.observability import Observability
from services.common.runtime.providers import FileKeys, Outbox, ServiceClock, ServiceDatabase
from services.common.runtime import skeleton  # the module: `nameko run` takes every class here

from . import report, usecases
from .settings import SETTINGS
from .tables import audit_log, outbox

VALUES = SETTINGS.load()  # once, at start: a bad value stops the process here, naming it
REMINDER_LEAD = timedelta(seconds=VALUES.reminder_lead_seconds)


class LegalService(skeleton.ServiceSkeleton):
    """Legal cases, court cases, hearings and their reminders, documents and labour disputes."""

    name = "legal"
    audit_table = audit_log
    report_figures_of = staticmethod(report.report_figures)

    db = ServiceDatabase("legal")
    # before `outbox` below: that name is the outbox table only until it is rebound
    observability = Observability("legal", outbox)
    outbox = Outbox("legal", outbox)
    clock = ServiceClock()
    cipher = FileKeys()  # legal notes are narrative: encrypted at rest

    @consume_events("legal")
    def on_event(self, body):
        usecases.apply_event(self.db, body, clock=self.clock)

    @timer(interval=VALUES.reminder_poll_seconds)
    def send_reminders(self):
        """Every replica ticks; each due reminder is claimed by exactly one (see the use case)."""
        usecases.send_due_reminders(self.db, self.clock.now(), REMINDER_LEAD)

    @rpc
    def list_eligible(self, caller):
        return usecases.list_eligible(self.db, caller, clock=self.clock)

    @rpc
    @audited("legal_case.open", "referral", "reference")
    def open_case(self, caller, reference, lawyer, correlation_id=None):
        return usecases.open_case(self.db, caller, reference, lawyer, correlation_id,
                                  clock=self.clock)

    @rpc
    def list_cases(self, caller):
        return usecases.list_cases(self.db, caller, clock=self.clock)

    @rpc
    @audited("legal_case.read", "legal_case", "case_id")
    def get_case(self, caller, case_id):
        return usecases.get_case(self.db, caller, case_id, cipher=self.cipher, clock=self.clock)

    @rpc
    @audited("legal_case.add_session", "legal_case", "case_id")
    def add_session(self, caller, case_id, held_on, topic, lawyer=None):
        return usecases.add_session(self.db, caller, case_id, held_on, topic, lawyer,
                                    clock=self.clock)

    @rpc
    @audited("legal_case.add_note", "legal_case", "case_id")
    def add_note(self, caller, case_id, text):
        return usecases.add_note(self.db, caller, case_id, text, cipher=self.cipher,
                                 clock=self.clock)

    @rpc
    @audited("court_case.file", "legal_case", "case_id")
    def file_court_case(self, caller, case_id, court, case_number, charges, standing,
                        status="investigation", correlation_id=None):
        return usecases.file_court_case(self.db, caller, case_id, court, case_number, charges,
                                        standing, status, correlation_id, clock=self.clock)

    @rpc
    def list_court_cases(self, caller):
        return usecases.list_court_cases(self.db, caller, clock=self.clock)

    @rpc
    @audited("court_case.read", "court_case", "court_case_id")
    def get_court_case(self, caller, court_case_id):
        return usecases.get_court_case(self.db, caller, court_case_id, clock=self.clock)

    @rpc
    @audited("court_case.change_status", "court_case", "court_case_id")
    def change_court_status(self, caller, court_case_id, status, verdict=None, correlation_id=None):
        return usecases.change_court_status(self.db, caller, court_case_id, status, verdict,
                                            correlation_id, clock=self.clock)

    @rpc
    @audited("hearing.schedule", "court_case", "court_case_id")
    def schedule_hearing(self, caller, court_case_id, starts_at, time_zone, purpose,
                         attendance_required, correlation_id=None):
        return usecases.schedule_hearing(self.db, caller, court_case_id, starts_at, time_zone,
                                         purpose, attendance_required, correlation_id,
                                         clock=self.clock)

    @rpc
    @audited("hearing.record_outcome", "hearing", "hearing_id")
    def record_outcome(self, caller, hearing_id, outcome, note=None, new_starts_at=None,
                       time_zone=None, correlation_id=None):
        return usecases.record_outcome(self.db, caller, hearing_id, outcome, note, new_starts_at,
                                       time_zone, correlation_id, clock=self.clock)

    @rpc
    def list_hearings(self, caller, from_date=None, to_date=None):
        return usecases.list_hearings(self.db, caller, from_date, to_date, clock=self.clock)

    @rpc
    @audited("document.request", "legal_case", "case_id")
    def request_document(self, caller, case_id, kind, authority, requested_on=None,
                         correlation_id=None):
        return usecases.request_document(self.db, caller, case_id, kind, authority, requested_on,
                                         correlation_id, clock=self.clock)

    @rpc
    @audited("document.change_status", "document", "document_id")
    def change_document_status(self, caller, document_id, status, on=None, correlation_id=None):
        return usecases.change_document_status(self.db, caller, document_id, status, on,
                                               correlation_id, clock=self.clock)

    @rpc
    @audited("labour_dispute.open", "legal_case", "case_id")
    def open_dispute(self, caller, case_id, employer, claims, amount_claimed=None, currency=None,
                     opened_on=None):
        return usecases.open_dispute(self.db, caller, case_id, employer, claims, amount_claimed,
                                     currency, opened_on, clock=self.clock)

    @rpc
    @audited("labour_dispute.update", "labour_dispute", "dispute_id")
    def update_dispute(self, caller, dispute_id, status, outcome=None, amount_recovered=None):
        return usecases.update_dispute(self.db, caller, dispute_id, status, outcome,
                                       amount_recovered, clock=self.clock)

    @rpc
    def list_referral_requests(self, caller):
        return usecases.list_referral_requests(self.db, caller)

    @rpc
    @audited("consent.apply", "referral", "reference")
    def apply_consent(self, caller, reference, audience, granted, until=None, changed_at=None):
        return usecases.apply_consent(self.db, caller, reference, audience, granted, until,
                                      changed_at, clock=self.clock)
