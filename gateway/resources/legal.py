"""Legal representation, for the legal team only (every role check is repeated in the legal
service): eligible referrals, legal cases with counselling sessions and notes, document
requests, labour disputes, and the plan items the shelter referred to the legal team. Court
cases and hearings are in ``court.py``."""

from marshmallow import fields, validate

from services.contracts.vocabulary import (DISPUTE_CLAIMS, DISPUTE_STATUSES, DOCUMENT_KINDS,
                                           DOCUMENT_STATUSES, LAWYER_CHANGE_REASONS,
                                           LEGAL_CLOSURE_REASONS, LEGAL_REOPEN_REASONS)

from .court import CourtCase, Hearing
from .declare import LISTING, ONE, WRITE, Ctx, endpoint
from .shapes import OPAQUE_ID, Strict, answer, iso, one_of, sized, staff_id, strings

LEGAL = ("legal",)


# --- schemas ---------------------------------------------------------------------------------------

class OpenCaseBody(Strict):
    reference = sized(1, 40, required=True)
    lawyer = staff_id(required=True, metadata={"description": "The lawyer assigned (user id)."})


class CloseCaseBody(Strict):
    reason_code = one_of(LEGAL_CLOSURE_REASONS, required=True,
                         metadata={"description": "Why the legal case is closed (a code)."})


class ReopenCaseBody(Strict):
    reason_code = one_of(LEGAL_REOPEN_REASONS, required=True,
                         metadata={"description": "Why the legal case is reopened (a code)."})


class LawyerBody(Strict):
    lawyer = staff_id(required=True, metadata={"description": "The new lawyer (user id)."})
    reason_code = one_of(LAWYER_CHANGE_REASONS, required=True,
                         metadata={"description": "Why the case changes hands (a code)."})


class SessionBody(Strict):
    held_on = fields.Date(required=True)
    topic = sized(1, 200, required=True)
    lawyer = staff_id(metadata={"description": "Who held it (user id; default: the caller)."})


class NoteBody(Strict):
    text = sized(1, 10_000, required=True,
                 metadata={"description": "Legal note: the legal team only, ever."})


class DocumentRequestBody(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    authority = sized(1, 200, required=True)
    requested_on = fields.Date()


class DocumentStatusBody(Strict):
    status = fields.String(required=True, validate=validate.OneOf(DOCUMENT_STATUSES))
    on = fields.Date()


class DisputeBody(Strict):
    employer = sized(1, 200, required=True,
                     metadata={"description": "Employer or recruitment company."})
    claims = fields.List(fields.String(validate=validate.OneOf(DISPUTE_CLAIMS)), required=True,
                         validate=validate.Length(min=1, max=3))
    amount_claimed = fields.Integer(strict=True, validate=validate.Range(min=0))
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    opened_on = fields.Date()


class DisputeUpdateBody(Strict):
    status = fields.String(required=True, validate=validate.OneOf(DISPUTE_STATUSES))
    outcome = sized(1, 500)
    amount_recovered = fields.Integer(strict=True, validate=validate.Range(min=0))


LegalCase = answer("LegalCase", case_id=fields.String(**OPAQUE_ID),
                   **strings("reference lawyer status opened_at opened_by"),
                   **strings("closed_at closure_reason", allow_none=True))
StatusChange = answer("LegalCaseStatusChange", **strings("to at by role"),
                      **strings("from reason_code", allow_none=True))
LawyerChange = answer("LawyerChange", **strings("to at by"),
                      **strings("from reason_code", allow_none=True))
LegalCaseMoved = answer("LegalCaseMoved", base=LegalCase,
                        status_history=fields.List(fields.Nested(StatusChange)))
LegalCaseReassigned = answer("LegalCaseReassigned", base=LegalCase,
                             lawyer_history=fields.List(fields.Nested(LawyerChange)))
CounsellingSession = answer("CounsellingSession", session_id=fields.String(**OPAQUE_ID),
                            **strings("held_on topic lawyer"))
LegalNote = answer("LegalNote", note_id=fields.String(**OPAQUE_ID),
                   **strings("author text created_at"))
DocumentRequest = answer("DocumentRequest", document_id=fields.String(**OPAQUE_ID),
                         **strings("case_id kind authority status requested_on"),
                         **strings("submitted_on issued_on rejected_on", allow_none=True),
                         updated_at=fields.String())
LabourDispute = answer("LabourDispute", dispute_id=fields.String(**OPAQUE_ID),
                       **strings("case_id employer"), claims=fields.List(fields.String()),
                       amount_claimed=fields.Integer(allow_none=True),
                       amount_recovered=fields.Integer(allow_none=True),
                       currency=fields.String(allow_none=True), status=fields.String(),
                       outcome=fields.String(allow_none=True), **strings("opened_on updated_at"))
LegalCaseDetail = answer("LegalCaseDetail", base=LegalCase,
                         status_history=fields.List(fields.Nested(StatusChange)),
                         lawyer_history=fields.List(fields.Nested(LawyerChange)), **{
    name: fields.List(fields.Nested(schema)) for name, schema in (
        ("notes", LegalNote), ("counselling_sessions", CounsellingSession),
        ("court_cases", CourtCase), ("hearings", Hearing), ("documents", DocumentRequest),
        ("labour_disputes", LabourDispute))})
EligibleReferral = answer("EligibleReferral", strings("reference status eligible_since"))
LegalReferralRequest = answer("LegalReferralRequest",
                              strings("request_id reference service requested_at received_at"))


# --- views -----------------------------------------------------------------------------------------

@endpoint("GET", "/legal/eligible", roles=LEGAL,
          summary="Accepted referrals eligible for legal representation",
          response=EligibleReferral, many=True, errors=LISTING)
def legal_eligible(ctx: Ctx):
    return ctx.rpc("legal", "list_eligible")


@endpoint("POST", "/legal/cases", roles=LEGAL,
          summary="Open the legal case of an eligible referral, with a lawyer assigned",
          body=OpenCaseBody, response=LegalCase, status=201, errors=WRITE)
def open_case(ctx: Ctx):
    return ctx.rpc("legal", "open_case", reference=ctx.data["reference"], lawyer=ctx.data["lawyer"],
                   correlation_id=ctx.correlation_id)


@endpoint("GET", "/legal/cases", roles=LEGAL, summary="Legal cases", response=LegalCase,
          many=True, errors=LISTING)
def list_cases(ctx: Ctx):
    return ctx.rpc("legal", "list_cases")


@endpoint("GET", "/legal/cases/<case_id>", roles=LEGAL,
          summary="A legal case with notes, counselling, court cases, hearings, documents, disputes",
          response=LegalCaseDetail, errors=ONE)
def get_case(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "get_case", case_id=case_id)


@endpoint("POST", "/legal/cases/<case_id>/close", roles=LEGAL,
          summary="Close a legal case whose court cases are all closed, with a reason code (the "
                  "legal hold on the referral's records ends; retention counts from here)",
          body=CloseCaseBody, response=LegalCaseMoved, errors=WRITE)
def close_legal_case(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "close_case", case_id=case_id, reason_code=ctx.data["reason_code"],
                   correlation_id=ctx.correlation_id)


@endpoint("POST", "/legal/cases/<case_id>/reopen", roles=LEGAL,
          summary="Reopen a closed legal case, with a reason code (the legal hold stands again; "
                  "refused once retention anonymised it)",
          body=ReopenCaseBody, response=LegalCaseMoved, errors=WRITE)
def reopen_legal_case(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "reopen_case", case_id=case_id, reason_code=ctx.data["reason_code"],
                   correlation_id=ctx.correlation_id)


@endpoint("POST", "/legal/cases/<case_id>/lawyer", roles=LEGAL,
          summary="Hand an open legal case to another lawyer, with a reason code (kept in its "
                  "lawyer history)",
          body=LawyerBody, response=LegalCaseReassigned, errors=WRITE)
def reassign_lawyer(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "reassign_lawyer", case_id=case_id, lawyer=ctx.data["lawyer"],
                   reason_code=ctx.data["reason_code"])


@endpoint("POST", "/legal/cases/<case_id>/sessions", roles=LEGAL,
          summary="Log a counselling session", body=SessionBody, response=CounsellingSession,
          status=201, errors=WRITE)
def add_session(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "add_session", case_id=case_id, held_on=iso(ctx.data["held_on"]),
                   topic=ctx.data["topic"], lawyer=ctx.data.get("lawyer"))


@endpoint("POST", "/legal/cases/<case_id>/notes", roles=LEGAL,
          summary="Add a legal note (legal team only, never shared)", body=NoteBody,
          response=LegalNote, status=201, errors=WRITE)
def add_note(ctx: Ctx, case_id: str):
    return ctx.rpc("legal", "add_note", case_id=case_id, text=ctx.data["text"])


@endpoint("POST", "/legal/cases/<case_id>/documents", roles=LEGAL,
          summary="Request an identity card, passport or travel document",
          body=DocumentRequestBody, response=DocumentRequest, status=201, errors=WRITE)
def request_document(ctx: Ctx, case_id: str):
    d = ctx.data
    return ctx.rpc("legal", "request_document", case_id=case_id, kind=d["kind"],
                   authority=d["authority"], requested_on=iso(d.get("requested_on")),
                   correlation_id=ctx.correlation_id)


@endpoint("POST", "/legal/documents/<document_id>/status", roles=LEGAL,
          summary="A document request was submitted, issued or rejected",
          body=DocumentStatusBody, response=DocumentRequest, errors=WRITE)
def change_document_status(ctx: Ctx, document_id: str):
    return ctx.rpc("legal", "change_document_status", document_id=document_id,
                   status=ctx.data["status"], on=iso(ctx.data.get("on")),
                   correlation_id=ctx.correlation_id)


@endpoint("POST", "/legal/cases/<case_id>/labour-disputes", roles=LEGAL,
          summary="Open a labour dispute with an employer or recruitment company",
          body=DisputeBody, response=LabourDispute, status=201, errors=WRITE)
def open_dispute(ctx: Ctx, case_id: str):
    d = ctx.data
    return ctx.rpc("legal", "open_dispute", case_id=case_id, employer=d["employer"],
                   claims=d["claims"], amount_claimed=d.get("amount_claimed"),
                   currency=d.get("currency"), opened_on=iso(d.get("opened_on")))


@endpoint("POST", "/legal/labour-disputes/<dispute_id>", roles=LEGAL,
          summary="Record the status and outcome of a labour-dispute mediation",
          body=DisputeUpdateBody, response=LabourDispute, errors=WRITE)
def update_dispute(ctx: Ctx, dispute_id: str):
    d = ctx.data
    return ctx.rpc("legal", "update_dispute", dispute_id=dispute_id, status=d["status"],
                   outcome=d.get("outcome"), amount_recovered=d.get("amount_recovered"))


@endpoint("GET", "/legal/referral-requests", roles=LEGAL,
          summary="Plan items the shelter referred to the legal team (reference and service only)",
          response=LegalReferralRequest, many=True, errors=LISTING)
def legal_referral_requests(ctx: Ctx):
    return ctx.rpc("legal", "list_referral_requests")
