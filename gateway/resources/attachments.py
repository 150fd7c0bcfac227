"""Documents on a record, kept by the service that owns it (issue 21; docs/decisions/0056):
identity scans on a referral, medical reports on a care plan, powers of attorney and court
summonses on a legal case. Uploaded as ``multipart/form-data`` (a ``kind`` field and a part
named ``file``), checked here by size and content before any call and again by the service;
listed without content; downloaded as the file itself, never cached. Who may add, list and read
is each service's rule (every call there is audited, reads included)."""

import unicodedata
import urllib.parse

from werkzeug.datastructures import Headers

from services.contracts import attachments as rules

from .declare import ONE, WRITE, Answer, Ctx, endpoint
from .shapes import Attachment, Strict, numeric_id, one_of

# --- schemas ---------------------------------------------------------------------------------------


def _form(service: str) -> type[Strict]:
    """The fields of an upload to ``service``: the kind, one of those it keeps."""
    kinds = rules.kinds_of(service)
    return type(f"{service.title()}AttachmentForm", (Strict,), {
        "kind": one_of(kinds, required=True, metadata={"description": f"One of {', '.join(kinds)}"})})


ReferralAttachmentForm, ShelterAttachmentForm, LegalAttachmentForm = (
    _form(service) for service in ("referral", "shelter", "legal"))


UPLOAD = dict(upload=True, response=Attachment, status=201, errors=WRITE)
READ = dict(media_type=rules.MEDIA_TYPES[0], also_as=rules.MEDIA_TYPES[1:], errors=ONE)


# --- the answer of a download ----------------------------------------------------------------------

def disposition(file_name: str) -> str:
    """``Content-Disposition: attachment`` with the file's name: plain when it is ASCII, else
    an ASCII fallback and the UTF-8 name (RFC 6266), as Werkzeug's ``send_file`` writes it."""
    try:
        file_name.encode("ascii")
        names = {"filename": file_name}
    except UnicodeEncodeError:
        plain = unicodedata.normalize("NFKD", file_name).encode("ascii", "ignore").decode("ascii")
        names = {"filename": plain or "document",
                 "filename*": "UTF-8''" + urllib.parse.quote(file_name, safe="!#$&+^`|~")}
    headers = Headers()
    headers.set("Content-Disposition", "attachment", **names)
    return headers["Content-Disposition"]


def download(found: dict) -> Answer:
    """A read attachment as the file itself: its type (found by content when it was stored), a
    download, never stored by a browser or proxy, never sniffed as another type."""
    return Answer(rules.decode(found["content"]), media_type=found["media_type"], headers={
        "Content-Disposition": disposition(found["file_name"]), "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


def _plan(plan_id: str) -> int:
    return numeric_id(plan_id, "plan")


def _sent(ctx: Ctx) -> dict:
    """What an upload call sends the service: the kind, the file's name and its bytes."""
    return {"kind": ctx.data["kind"], "file_name": ctx.upload.file_name,
            "content": rules.encode(ctx.upload.data)}


# --- on a referral: identity scans -----------------------------------------------------------------

@endpoint("POST", "/referrals/<reference>/attachments", roles=("police", "shelter"),
          summary="Add an identity scan to a referral (the referring police, or the staff who "
                  "read the file)", body=ReferralAttachmentForm, **UPLOAD)
def add_referral_attachment(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "add_attachment", reference=reference, **_sent(ctx))


@endpoint("GET", "/referrals/<reference>/attachments", roles=("shelter",),
          summary="A referral's documents, without content (the staff who read the file)",
          response=Attachment, many=True, errors=ONE)
def list_referral_attachments(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "list_attachments", reference=reference)


@endpoint("GET", "/referrals/<reference>/attachments/<attachment_id>", roles=("shelter",),
          summary="Download one of a referral's documents (audited)", **READ)
def read_referral_attachment(ctx: Ctx, reference: str, attachment_id: str):
    return download(ctx.rpc("referral", "read_attachment", reference=reference,
                            attachment_id=attachment_id))


# --- on a care plan: medical reports ---------------------------------------------------------------

@endpoint("POST", "/shelter/plans/<plan_id>/attachments", roles=("shelter",),
          summary="Add a medical report to a care plan", body=ShelterAttachmentForm, **UPLOAD)
def add_plan_attachment(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "add_attachment", plan_id=_plan(plan_id), **_sent(ctx))


@endpoint("GET", "/shelter/plans/<plan_id>/attachments", roles=("shelter",),
          summary="A care plan's documents, without content (its case manager and psychologist)",
          response=Attachment, many=True, errors=ONE)
def list_plan_attachments(ctx: Ctx, plan_id: str):
    return ctx.rpc("shelter", "list_attachments", plan_id=_plan(plan_id))


@endpoint("GET", "/shelter/plans/<plan_id>/attachments/<attachment_id>", roles=("shelter",),
          summary="Download one of a care plan's documents (audited)", **READ)
def read_plan_attachment(ctx: Ctx, plan_id: str, attachment_id: str):
    return download(ctx.rpc("shelter", "read_attachment", plan_id=_plan(plan_id),
                            attachment_id=attachment_id))


# --- on a legal case: powers of attorney and court summonses ---------------------------------------

@endpoint("POST", "/legal/cases/<case_id>/attachments", roles=("legal",),
          summary="Add a power of attorney or a court summons to a legal case",
          body=LegalAttachmentForm, **UPLOAD)
def add_case_attachment(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "add_attachment", case_id=case_id, **_sent(ctx))


@endpoint("GET", "/legal/cases/<case_id>/attachments", roles=("legal",),
          summary="A legal case's documents, without content", response=Attachment, many=True,
          errors=ONE)
def list_case_attachments(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "list_attachments", case_id=case_id)


@endpoint("GET", "/legal/cases/<case_id>/attachments/<attachment_id>", roles=("legal",),
          summary="Download one of a legal case's documents (audited)", **READ)
def read_case_attachment(ctx: Ctx, case_id: str, attachment_id: str):
    return download(ctx.rpc("legal", "read_attachment", case_id=case_id,
                            attachment_id=attachment_id))
