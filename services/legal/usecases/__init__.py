"""The legal service's use cases, one module per aggregate. Each checks the caller (role and
object, services/legal/domain/access.py), applies the domain rules, and writes the change and
the event announcing it in one short transaction (outbox). Time comes from the injected clock
(``clock=``), or as ``now`` for the reminder job, so tests drive it."""

from .attachments import add_attachment, list_attachments, read_attachment
from .cases import (add_note, add_session, get_case, list_cases, list_eligible,
                    list_referral_requests, open_case, reassign_lawyer)
from .consent import apply_consent
from .court_cases import change_court_status, file_court_case, get_court_case, list_court_cases
from .disputes import open_dispute, update_dispute
from .documents import change_document_status, request_document
from .events import apply_event
from .hearings import (list_hearings, record_outcome, schedule_hearing, send_due_reminders,
                       set_interpreter)
from .retention import anonymise_closed_cases, close_case, reopen_case

__all__ = [
    "add_attachment", "list_attachments", "read_attachment",
    "add_note", "add_session", "anonymise_closed_cases", "apply_consent", "apply_event",
    "change_court_status", "close_case",
    "change_document_status", "file_court_case", "get_case", "get_court_case", "list_cases",
    "list_court_cases", "list_eligible", "list_hearings", "list_referral_requests", "open_case",
    "open_dispute", "reassign_lawyer", "record_outcome", "reopen_case", "request_document",
    "schedule_hearing", "set_interpreter",
    "send_due_reminders", "update_dispute",
]
