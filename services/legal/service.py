"""nameko entrypoints of the legal service: validate, delegate to the use cases, return."""

import logging
from datetime import timedelta

from nameko.timer import timer

from services.common.audit import audited
from services.common.runtime.consumers import consume_events
from services.common.runtime.entrypoints import rpc
from services.common.runtime.observability import Observability
from services.common.runtime.providers import FileKeys, Outbox, ServiceDatabase
from services.common.runtime import skeleton  # the module: `nameko run` takes every class here

from . import report, usecases
from .settings import SETTINGS
from .tables import audit_log, outbox as outbox_table

log = logging.getLogger(__name__)

VALUES = SETTINGS.load_at_start()  # once: a missing or bad value stops the process, naming it
REMINDER_LEAD = timedelta(seconds=VALUES.reminder_lead_seconds)


class LegalService(skeleton.ServiceSkeleton):
    """Legal cases, court cases, hearings and their reminders, documents and labour disputes."""

    name = "legal"
    audit_table = audit_log
    report_figures_of = staticmethod(report.report_figures)
    report_figures_for_of = staticmethod(report.report_figures_for)  # a public report's periods at once

    db = ServiceDatabase("legal")
    observability = Observability("legal", outbox_table)
    outbox = Outbox("legal", outbox_table)
    cipher = FileKeys()  # the keys of the sealed free text (services.common.atrest)

    @consume_events("legal")
    def on_event(self, body):
        """Events from the referral and shelter services, each applied once."""
        usecases.apply_event(self.db, body, clock=self.clock)

    @timer(interval=VALUES.reminder_poll_seconds)
    def send_reminders(self):
        """Every replica ticks; each due reminder is claimed by exactly one (see the use case)."""
        usecases.send_due_reminders(self.db, self.clock.now(), REMINDER_LEAD)

    @timer(interval=VALUES.legal_retention_sweep_seconds)
    def retention_sweep(self):
        """Every replica ticks; each closed case's free text is anonymised once (retention)."""
        try:
            count = usecases.anonymise_closed_cases(self.db, self.clock.now(),
                                                    VALUES.legal_retention_days)
            if count:
                log.info("retention: %d legal case(s) anonymised", count)
        except Exception:  # the next tick retries; never let the timer die
            log.exception("retention sweep failed")

    @rpc
    def list_eligible(self, caller):
        """Eligible referrals (legal team)."""
        return usecases.list_eligible(self.db, caller, clock=self.clock)

    @rpc
    @audited("legal_case.open", "referral", "reference")
    def open_case(self, caller, reference, lawyer, correlation_id=None):
        """Open the legal case of an eligible referral (legal team)."""
        return usecases.open_case(self.db, caller, reference, lawyer, correlation_id,
                                  clock=self.clock)

    @rpc
    def list_cases(self, caller):
        """The legal cases, newest first (legal team)."""
        return usecases.list_cases(self.db, caller, clock=self.clock)

    @rpc
    @audited("legal_case.read", "legal_case", "case_id")
    def get_case(self, caller, case_id):
        """A legal case with all its parts, notes included (legal team)."""
        return usecases.get_case(self.db, caller, case_id, clock=self.clock)

    @rpc
    @audited("legal_case.close", "legal_case", "case_id")
    def close_case(self, caller, case_id, reason_code=None, correlation_id=None):
        """Close a legal case whose court cases are closed, with a reason code: the legal hold
        ends (legal team)."""
        return usecases.close_case(self.db, caller, case_id, reason_code, correlation_id,
                                   clock=self.clock)

    @rpc
    @audited("legal_case.reopen", "legal_case", "case_id")
    def reopen_case(self, caller, case_id, reason_code=None, correlation_id=None):
        """Reopen a closed legal case, with a reason code: the legal hold again (legal team)."""
        return usecases.reopen_case(self.db, caller, case_id, reason_code, correlation_id,
                                    clock=self.clock)

    @rpc
    @audited("legal_case.reassign_lawyer", "legal_case", "case_id")
    def reassign_lawyer(self, caller, case_id, lawyer=None, reason_code=None):
        """Hand an open legal case to another lawyer, with a reason code (legal team)."""
        return usecases.reassign_lawyer(self.db, caller, case_id, lawyer, reason_code,
                                        clock=self.clock)

    @rpc
    @audited("legal_case.add_session", "legal_case", "case_id")
    def add_session(self, caller, case_id, held_on, topic, lawyer=None):
        """Record a counselling session (legal team)."""
        return usecases.add_session(self.db, caller, case_id, held_on, topic, lawyer,
                                    clock=self.clock)

    @rpc
    @audited("legal_case.add_note", "legal_case", "case_id")
    def add_note(self, caller, case_id, text):
        """Add a legal note, encrypted at rest (legal team)."""
        return usecases.add_note(self.db, caller, case_id, text, clock=self.clock)

    @rpc
    @audited("court_case.file", "legal_case", "case_id")
    def file_court_case(self, caller, case_id, court, case_number, charges, standing,
                        status="investigation", correlation_id=None):
        """Record a court case of a legal case (legal team)."""
        return usecases.file_court_case(self.db, caller, case_id, court, case_number, charges,
                                        standing, status, correlation_id, clock=self.clock)

    @rpc
    def list_court_cases(self, caller):
        """Court cases: all for the legal team, its own for a court."""
        return usecases.list_court_cases(self.db, caller, clock=self.clock)

    @rpc
    @audited("court_case.read", "court_case", "court_case_id")
    def get_court_case(self, caller, court_case_id):
        """A court case with its history and hearings (legal team, or its court)."""
        return usecases.get_court_case(self.db, caller, court_case_id, clock=self.clock)

    @rpc
    @audited("court_case.change_status", "court_case", "court_case_id")
    def change_court_status(self, caller, court_case_id, status, verdict=None, correlation_id=None):
        """Move a court case along its status machine (legal team, or its court)."""
        return usecases.change_court_status(self.db, caller, court_case_id, status, verdict,
                                            correlation_id, clock=self.clock)

    @rpc
    @audited("hearing.schedule", "court_case", "court_case_id")
    def schedule_hearing(self, caller, court_case_id, starts_at, time_zone, purpose,
                         attendance_required, correlation_id=None):
        """Set a hearing in the court's local time (legal team, or its court)."""
        return usecases.schedule_hearing(self.db, caller, court_case_id, starts_at, time_zone,
                                         purpose, attendance_required, correlation_id,
                                         clock=self.clock)

    @rpc
    @audited("hearing.record_outcome", "hearing", "hearing_id")
    def record_outcome(self, caller, hearing_id, outcome, note=None, new_starts_at=None,
                       time_zone=None, correlation_id=None):
        """Record a hearing's outcome (legal team, or its court)."""
        return usecases.record_outcome(self.db, caller, hearing_id, outcome, note, new_starts_at,
                                       time_zone, correlation_id, clock=self.clock)

    @rpc
    @audited("hearing.set_interpreter", "hearing", "hearing_id")
    def set_interpreter(self, caller, hearing_id, language, status):
        """Book the survivor's interpreter at a hearing, or move the booking on (legal team)."""
        return usecases.set_interpreter(self.db, caller, hearing_id, language, status,
                                        clock=self.clock)

    @rpc
    def list_hearings(self, caller, from_date=None, to_date=None):
        """Hearings between two days, each role's slice."""
        return usecases.list_hearings(self.db, caller, from_date, to_date, clock=self.clock)

    @rpc
    @audited("document.request", "legal_case", "case_id")
    def request_document(self, caller, case_id, kind, authority, requested_on=None,
                         correlation_id=None):
        """Start an identity or travel document request (legal team)."""
        return usecases.request_document(self.db, caller, case_id, kind, authority, requested_on,
                                         correlation_id, clock=self.clock)

    @rpc
    @audited("document.change_status", "document", "document_id")
    def change_document_status(self, caller, document_id, status, on=None, correlation_id=None):
        """Move a document request on (legal team)."""
        return usecases.change_document_status(self.db, caller, document_id, status, on,
                                               correlation_id, clock=self.clock)

    # --- documents on a legal case (issue 21): every call audited, reads included -------------

    @rpc
    @audited("attachment.add", "legal_case", "case_id")
    def add_attachment(self, caller, case_id, kind=None, file_name=None, content=None):
        """Keep a power of attorney or court summons (``content``: base64) on the case."""
        return usecases.add_attachment(self.db, caller, self.cipher, case_id, kind, file_name,
                                       content, VALUES.attachment_max_bytes, clock=self.clock)

    @rpc
    @audited("attachment.list", "legal_case", "case_id")
    def list_attachments(self, caller, case_id):
        """The case's documents without content (legal team)."""
        return usecases.list_attachments(self.db, caller, case_id, clock=self.clock)

    @rpc
    @audited("attachment.read", "attachment", "attachment_id")
    def read_attachment(self, caller, case_id, attachment_id):
        """One document with its content (base64), for the legal team."""
        return usecases.read_attachment(self.db, caller, self.cipher, case_id, attachment_id,
                                        clock=self.clock)

    @rpc
    @audited("labour_dispute.open", "legal_case", "case_id")
    def open_dispute(self, caller, case_id, employer, claims, amount_claimed=None, currency=None,
                     opened_on=None):
        """Open a labour dispute (legal team)."""
        return usecases.open_dispute(self.db, caller, case_id, employer, claims, amount_claimed,
                                     currency, opened_on, clock=self.clock)

    @rpc
    @audited("labour_dispute.update", "labour_dispute", "dispute_id")
    def update_dispute(self, caller, dispute_id, status, outcome=None, amount_recovered=None):
        """Record where a labour dispute stands (legal team)."""
        return usecases.update_dispute(self.db, caller, dispute_id, status, outcome,
                                       amount_recovered, clock=self.clock)

    @rpc
    def list_referral_requests(self, caller):
        """What the shelter referred to the legal team (legal team)."""
        return usecases.list_referral_requests(self.db, caller, clock=self.clock)

    @rpc
    @audited("consent.apply", "referral", "reference")
    def apply_consent(self, caller, reference, audience, granted, until=None, changed_at=None):
        """A consent change the gateway just recorded, applied at once (shelter staff)."""
        return usecases.apply_consent(self.db, caller, reference, audience, granted, until,
                                      changed_at, clock=self.clock)
