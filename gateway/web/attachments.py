"""Documents on the pages (issue 21; docs/decisions/0056): the shelter's referral page (identity
scans), the care plan page (medical reports) and the legal case page (powers of attorney, court
summonses) list a record's documents with a download link each, and take a new one through an
upload form (``multipart/form-data``: the CSRF token, ``kind`` and a part named ``file``).

Everything goes through the API's attachment endpoints (gateway/resources/attachments.py) with
``api.perform``: the same file checks (size, type by content, a name) before any service is
called, and each service's rule of who adds, lists and reads. A refused upload is shown beside
the file input in the person's words, with the API's status (413 too large, 415 not a form with
a file, 422 the file or its kind), and nothing is stored. No message repeats the file's name:
a name may be a person's. Each page module owns its routes; this module reads the upload, shows
the refusal and answers the download.
"""

from dataclasses import dataclass
from typing import Callable

from flask import current_app, g, redirect, request, url_for

from services.common.errors import Conflict, Forbidden, InvalidInput
from services.contracts import attachments as rules

from .. import api, uploads
from ..errors import ApiProblem, InputError
from ..resources.declare import Uploaded
from .core import answer, call, error_text
from .forms import F, build, field_errors
from .i18n import gettext as _, lazy_gettext as _l

FIELDS = [F("kind")]
FAILED = "attachments"  # the form's name on its page (and the section's anchor)
# what the file input offers to choose: the types the gateway and the services take
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"

KINDS = {"identity_scan": _l("Identity scan"), "medical_report": _l("Medical report"),
         "power_of_attorney": _l("Power of attorney"), "court_summons": _l("Court summons")}
# the formats' own names (PDF, JPEG, PNG) read the same in every language
FORMATS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))


def size_text(size: int) -> str:
    """A file's size for a person: bytes, KB or MB (of 1024)."""
    if size < 1024:
        return _("%(n)s bytes", n=size)
    if size < 1024 * 1024:
        return _("%(n)s KB", n=_short(size / 1024))
    return _("%(n)s MB", n=_short(size / (1024 * 1024)))


def _short(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass
class Documents:
    """A record's documents as its page shows them."""
    items: list[dict] | None             # None: the service did not let this person list them
    kinds: list[tuple[str, str]]         # the kinds the record takes: (code, label)
    action: str                          # where the upload form posts
    href: Callable[[str], str]           # the download link of one document, by its id
    refused: str | None = None           # said instead of the list when it was refused
    accept: str = ACCEPT

    @property
    def hint(self) -> str:
        return _("A PDF, JPEG or PNG file of at most %(size)s.",
                 size=size_text(current_app.config["ATTACHMENT_MAX_BYTES"]))

    @staticmethod
    def kind(code: str) -> str:
        return kind_label(code)

    @staticmethod
    def format(media_type: str) -> str:
        return FORMATS.get(media_type, media_type)

    @staticmethod
    def size(size: int) -> str:
        return size_text(size)


def documents(listing: str, service: str, action: str, download: str, *,
              refused: str | None = None, ask: bool = True, items: list[dict] | None = None,
              **params) -> Documents | None:
    """The documents section of a page: the list the API endpoint ``listing`` answers (its
    ``Forbidden`` shows ``refused`` instead, or no section without it; ``ask`` false shows
    ``refused`` without asking; ``items``, the list another answer carried, is shown without
    asking), the kinds of ``service``, the upload form's ``action`` and the web endpoint
    ``download`` that answers one document. None: no section at all."""
    if items is not None:
        ask = False
    elif ask:
        try:
            items = call(listing, **params)
        except Forbidden:
            if refused is None:
                return None
        except Conflict:  # the record was anonymised: its documents went with it
            return None
    elif refused is None:
        return None
    return Documents(items, [(k, kind_label(k)) for k in rules.kinds_of(service)], action,
                     lambda attachment_id: url_for(download, attachment_id=attachment_id,
                                                   **params), refused)


# --- an upload ---------------------------------------------------------------------------------------

def receive(endpoint: str, **params) -> tuple[dict | None, int]:
    """Send the posted form's kind and file to the API endpoint ``endpoint``: ``(None, 201)``
    when it was stored, else ``(errors by input name, status)`` for the page to show the form
    again (``file``: the file input). A form too large to read (core.upload_form) is refused
    here with 413, without any call."""
    if g.get("web_upload_too_large"):
        return {"file": [_too_large()]}, 413
    try:
        answer(endpoint, body=build(request.form, FIELDS), upload=_file_part, **params)
    except (ApiProblem, InvalidInput) as refused:
        if _about_the_file(refused):
            return {"file": [file_text(refused)]}, getattr(refused, "status", 422)
        if isinstance(refused, (InputError, InvalidInput)):
            return field_errors(refused, FIELDS), 422
        raise  # not the form's: the role, the agency (the error page says so)
    except Forbidden:
        return {"": [_("You may not add documents here.")]}, 403
    except Conflict:
        return {"": [error_text(409)[1]]}, 409
    return None, 201


def added(endpoint: str, page: Callable[..., object], page_endpoint: str, **params):
    """The answer to a posted upload form: the page again (``page(errors, status)``) with the
    refusal beside the file input, or back to ``page_endpoint`` at the documents section with
    the notice that the document was added."""
    errors, status = receive(endpoint, **params)
    if errors is not None:
        return page(errors, status)
    return redirect(url_for(page_endpoint, notice="document_added", _anchor=FAILED, **params))


def _file_part() -> Uploaded:
    """The form's file; a browser sends a form whose file was not chosen with an empty part
    without a name: that is no file, not an empty one."""
    part = uploads.file_part()
    if not part.file_name and not part.data:
        raise InputError("Send the file in a part named file.", "file")
    return part


def _about_the_file(refused: Exception) -> bool:
    if isinstance(refused, ApiProblem) and refused.status in (413, 415):
        return True
    return getattr(refused, "field", None) in ("file", "file_name")


def _too_large() -> str:
    return _("The file is too large: a file may be at most %(size)s.",
             size=size_text(current_app.config["ATTACHMENT_MAX_BYTES"]))


def file_text(refused: Exception) -> str:
    """What a person reads for the refusal of a file, the gateway's or the service's. The API's
    messages name neither the file nor its content; these do not either."""
    status = getattr(refused, "status", 422)
    detail = (getattr(refused, "detail", "") or "").lower()
    if status == 413 or "larger than" in detail:
        return _too_large()
    if status == 415 or "part named file" in detail:
        return _("Choose a file to upload.")
    if "empty" in detail:
        return _("The file is empty.")
    if "not a pdf" in detail:
        return _("Only a PDF, JPEG or PNG file is accepted: its content is checked, not its name.")
    if "name" in detail:
        return _("The file needs a name.")
    return _("This file is not accepted.")


# --- a download ----------------------------------------------------------------------------------------

def download(endpoint: str, **params):
    """One document as the API answers it: its bytes and type, ``Content-Disposition:
    attachment``, ``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff``."""
    return api.respond(answer(endpoint, **params))
