"""The referral service's use cases, one module per part of the referral's life. Each takes
validated input, runs one short transaction, and writes the events of any change to the outbox
in that same transaction; "now" comes from the clock it is given.

* ``intake``: a sealed police submission, recorded once.
* ``events``: the shelter's and legal service's events, applied once each.
* ``status``: the status and timeline, the FHIR Task, the list.
* ``files``: the decrypted file, the names for the shelter's pages and the search by name
  (shelter staff).
* ``withdrawal``: the referring police call a referral off.
* ``consent``: the survivor's choices of sharing, recorded and read.
* ``retention``: closing stale referrals, anonymisation (with the legal hold), key rotation,
  backfill of statistical codes.
* ``report``: the period's figures (counts and quartiles only).
* ``attachments``: identity scans on a referral, added, listed and read.
* ``directory``: the agency directory (docs/decisions/0037): list, read, register, change.
"""

from .attachments import add_attachment, list_attachments, read_attachment
from .consent import get_consent, record_consent
from .directory import get_agency, list_agencies, register_agency, update_agency
from .events import apply_event
from .files import get_file, names_for, search_by_name
from .intake import submit
from .report import report_figures, report_figures_for
from .retention import anonymise_closed, backfill_report_codes, close_settled, close_stale
from .status import get_fhir_task, get_status, list_referrals, list_unplaced
from .guardians import set_guardian
from .withdrawal import withdraw

__all__ = ["anonymise_closed", "apply_event", "backfill_report_codes", "close_settled", "close_stale", "get_consent", "get_fhir_task",
           "get_agency", "get_file", "get_status", "list_agencies", "list_referrals",
           "list_unplaced", "names_for", "record_consent", "register_agency", "report_figures",
           "search_by_name", "submit", "update_agency", "withdraw"]
__all__ += ["report_figures_for", "set_guardian", "add_attachment", "list_attachments", "read_attachment"]
