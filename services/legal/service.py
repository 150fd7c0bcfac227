"""nameko entrypoints of the legal service: validate, delegate to ``app``, return."""

import logging
import os

from nameko.timer import timer

from services.common.audit import audited
from services.common.audit import query as audit_query_rows
from nameko.extensions import DependencyProvider

from services.common.caller import Caller
from services.common.runtime.consumers import consume_events
from services.common.runtime.entrypoints import rpc
from services.common.runtime.observability import Observability
from services.common.runtime.providers import Outbox, ServiceDatabase
from services.common.sealing import FileCipher

from . import app, report
from .domain import clock
from .tables import audit_log, outbox

log = logging.getLogger(__name__)


class NoteCipher(DependencyProvider):
    """Legal notes are narrative: encrypted at rest with ``REFNET_FILE_KEYS`` (as the referral
    file); unset (a bare test container), notes are stored as given."""

    def setup(self):
        keys = self.container.config.get("FILE_KEYS") or os.environ.get("REFNET_FILE_KEYS")
        self.cipher = FileCipher(keys) if keys else None
        if self.cipher is None:
            log.warning("REFNET_FILE_KEYS is not set: legal notes are stored unencrypted")

    def get_dependency(self, worker_ctx):
        return self.cipher


class LegalService:
    name = "legal"

    db = ServiceDatabase("legal")
    # before `outbox` below: that name is the outbox table only until it is rebound
    observability = Observability("legal", outbox)
    outbox = Outbox("legal", outbox)
    audit_table = audit_log
    note_cipher = NoteCipher()

    @consume_events("legal")
    def on_event(self, body):
        app.apply_event(self.db, body)

    @timer(interval=clock.reminder_poll_seconds())
    def send_reminders(self):
        """Every replica ticks; each due reminder is claimed by exactly one (see app)."""
        app.send_due_reminders(self.db, clock.reminder_now(), clock.reminder_lead())

    @rpc
    def list_eligible(self, caller):
        return app.list_eligible(self.db, Caller.from_dict(caller))

    @rpc
    @audited("legal_case.open", "referral", "reference")
    def open_case(self, caller, reference, lawyer, correlation_id=None):
        return app.open_case(self.db, Caller.from_dict(caller), reference, lawyer, correlation_id)

    @rpc
    def list_cases(self, caller):
        return app.list_cases(self.db, Caller.from_dict(caller))

    @rpc
    @audited("legal_case.read", "legal_case", "case_id")
    def get_case(self, caller, case_id):
        return app.get_case(self.db, Caller.from_dict(caller), case_id, cipher=self.note_cipher)

    @rpc
    @audited("legal_case.add_session", "legal_case", "case_id")
    def add_session(self, caller, case_id, held_on, topic, lawyer=None):
        return app.add_session(self.db, Caller.from_dict(caller), case_id, held_on, topic, lawyer)

    @rpc
    @audited("legal_case.add_note", "legal_case", "case_id")
    def add_note(self, caller, case_id, text):
        return app.add_note(self.db, Caller.from_dict(caller), case_id, text, cipher=self.note_cipher)

    @rpc
    @audited("court_case.file", "legal_case", "case_id")
    def file_court_case(self, caller, case_id, court, case_number, charges, standing,
                        status="investigation", correlation_id=None):
        return app.file_court_case(self.db, Caller.from_dict(caller), case_id, court, case_number,
                                   charges, standing, status, correlation_id)

    @rpc
    def list_court_cases(self, caller):
        return app.list_court_cases(self.db, Caller.from_dict(caller))

    @rpc
    @audited("court_case.read", "court_case", "court_case_id")
    def get_court_case(self, caller, court_case_id):
        return app.get_court_case(self.db, Caller.from_dict(caller), court_case_id)

    @rpc
    @audited("court_case.change_status", "court_case", "court_case_id")
    def change_court_status(self, caller, court_case_id, status, verdict=None, correlation_id=None):
        return app.change_court_status(self.db, Caller.from_dict(caller), court_case_id, status,
                                       verdict, correlation_id)

    @rpc
    @audited("hearing.schedule", "court_case", "court_case_id")
    def schedule_hearing(self, caller, court_case_id, starts_at, time_zone, purpose,
                         attendance_required, correlation_id=None):
        return app.schedule_hearing(self.db, Caller.from_dict(caller), court_case_id, starts_at,
                                    time_zone, purpose, attendance_required, correlation_id)

    @rpc
    @audited("hearing.record_outcome", "hearing", "hearing_id")
    def record_outcome(self, caller, hearing_id, outcome, note=None, new_starts_at=None,
                       time_zone=None, correlation_id=None):
        return app.record_outcome(self.db, Caller.from_dict(caller), hearing_id, outcome, note,
                                  new_starts_at, time_zone, correlation_id)

    @rpc
    def list_hearings(self, caller, from_date=None, to_date=None):
        return app.list_hearings(self.db, Caller.from_dict(caller), from_date, to_date)

    @rpc
    @audited("document.request", "legal_case", "case_id")
    def request_document(self, caller, case_id, kind, authority, requested_on=None,
                         correlation_id=None):
        return app.request_document(self.db, Caller.from_dict(caller), case_id, kind, authority,
                                    requested_on, correlation_id)

    @rpc
    @audited("document.change_status", "document", "document_id")
    def change_document_status(self, caller, document_id, status, on=None, correlation_id=None):
        return app.change_document_status(self.db, Caller.from_dict(caller), document_id, status,
                                          on, correlation_id)

    @rpc
    @audited("labour_dispute.open", "legal_case", "case_id")
    def open_dispute(self, caller, case_id, employer, claims, amount_claimed=None, currency=None,
                     opened_on=None):
        return app.open_dispute(self.db, Caller.from_dict(caller), case_id, employer, claims,
                                amount_claimed, currency, opened_on)

    @rpc
    @audited("labour_dispute.update", "labour_dispute", "dispute_id")
    def update_dispute(self, caller, dispute_id, status, outcome=None, amount_recovered=None):
        return app.update_dispute(self.db, Caller.from_dict(caller), dispute_id, status, outcome,
                                  amount_recovered)

    @rpc
    def list_referral_requests(self, caller):
        return app.list_referral_requests(self.db, Caller.from_dict(caller))

    @rpc
    @audited("consent.apply", "referral", "reference")
    def apply_consent(self, caller, reference, audience, granted, until=None, changed_at=None):
        return app.apply_consent(self.db, Caller.from_dict(caller), reference, audience, granted,
                                 until, changed_at)

    @rpc
    @audited("audit.query", "audit")
    def audit_query(self, caller, object=None, actor=None, limit=100):
        Caller.from_dict(caller).require("admin")
        with self.db.read() as c:
            return audit_query_rows(c, audit_log, object=object, actor=actor, limit=limit)

    @rpc
    @audited("report.figures", "report")
    def report_figures(self, caller, first_day, last_day):
        """Court-case counts for a period (issue 10); never a reference or a case number."""
        return report.report_figures(self.db, Caller.from_dict(caller), first_day, last_day)

    @rpc
    def ping(self):
        return {"service": self.name, "outbox_published": self.outbox.published}
