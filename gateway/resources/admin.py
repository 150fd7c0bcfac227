"""Administration: revoking tokens (one, or every token a user holds now) and reading a
service's audit trail."""

from marshmallow import fields, validate

from .declare import FILTERED, INPUT, NOT_JSON, TOO_LARGE, Ctx, endpoint
from .shapes import Strict, answer, sized, strings
from ..errors import InputError

ADMIN = ("admin",)


# --- schemas ---------------------------------------------------------------------------------------

class AuditQuery(Strict):
    service = fields.String(load_default="referral",
                            validate=validate.OneOf(["referral", "shelter", "legal", "notify"]))
    object = sized(1, 120, metadata={"description": "e.g. referral:RN-... or legal_case:<id>"})
    actor = sized(1, 100)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class RevocationBody(Strict):
    jti = sized(1, 64)
    user = sized(1, 100)


AuditEntry = answer("AuditEntry", id=fields.Integer(),
                    **strings("at actor role agency action object outcome"),
                    correlation_id=fields.String(allow_none=True), hash=fields.String())
RevocationResult = answer("RevocationResult", strings("revoked"))


# --- views -----------------------------------------------------------------------------------------

@endpoint("GET", "/audit", roles=ADMIN,
          summary="A service's audit trail by object or actor, newest first", query=AuditQuery,
          response=AuditEntry, many=True, errors=FILTERED)
def audit_trail(ctx: Ctx):
    q = ctx.query
    return ctx.rpc(q["service"], "audit_query", object=q.get("object"), actor=q.get("actor"),
                   limit=q["limit"])


@endpoint("POST", "/admin/revocations", roles=ADMIN,
          summary="Revoke one token (jti) or every token a user holds now", body=RevocationBody,
          response=RevocationResult,
          errors=(INPUT | TOO_LARGE | NOT_JSON) - {503})  # the gateway's own table: no service
def revoke(ctx: Ctx):
    store = ctx.extensions["refnet.revocations"]
    if bool(ctx.data.get("jti")) == bool(ctx.data.get("user")):
        raise InputError("Give jti or user, not both.", "jti")
    if ctx.data.get("jti"):
        store.revoke_token(ctx.data["jti"])
        return {"revoked": "token"}
    store.revoke_user(ctx.data["user"])
    return {"revoked": "user"}
