"""Administration (docs/decisions/0043): web users (list, create, disable, enable, a new
password), revoking tokens (one, or every token a user holds now), a service's audit trail and
the check of its keyed chain, and the dead-letter queue.

Web users and revocations live in the gateway's own tables; the gateway holds no audit key, so
each such change is written into the referral service's audit chain (``audit_record``, with the
administrator's identity and request id) *before* it is made: when the trail cannot be written
nothing changes (503). A refusal (no such user, a username taken) is recorded too. Neither
passwords nor anything but ids reach the trail or a log.
"""

import re
import secrets

from marshmallow import fields, validate

from services.contracts.vocabulary import ROLE_AGENCY_KINDS, ROLES

from ..accounts import MAX_PASSWORD, MIN_PASSWORD, USERNAME, normalise_username
from ..directory import require_kind
from ..errors import ApiProblem, InputError
from .declare import FILTERED, INPUT, LISTING, NOT_JSON, ONE, TOO_LARGE, WRITE, Ctx, endpoint
from .shapes import Strict, answer, integers, one_of, sized, strings

ADMIN = ("admin",)
SERVICES = ("referral", "shelter", "legal", "notify")
DEAD_LETTER_KEEPER = "referral"   # the one service whose broker user reads the parking queue
TRAIL = "referral"                # the chain the gateway's own changes are recorded in


# --- schemas ---------------------------------------------------------------------------------------

class AuditQuery(Strict):
    service = fields.String(load_default="referral", validate=validate.OneOf(SERVICES))
    object = sized(1, 120, metadata={"description": "e.g. referral:RN-... or legal_case:<id>"})
    actor = sized(1, 100)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class RevocationBody(Strict):
    jti = sized(1, 64)
    user = sized(1, 100)


def _password(**kw):
    return sized(MIN_PASSWORD, MAX_PASSWORD, metadata={
        "description": f"{MIN_PASSWORD} to {MAX_PASSWORD} characters; left out, one is generated "
                       "and answered once"}, **kw)


class NewWebUser(Strict):
    username = fields.String(required=True, validate=validate.Regexp(
        re.compile(USERNAME.pattern, re.IGNORECASE)), metadata={
        "description": "1 to 100 of a-z 0-9 . _ @ -, starting with a letter or digit (kept in "
                       "lower case)"})
    role = one_of(ROLES, required=True)
    agency = sized(1, 100, required=True, metadata={
        "description": "an active agency of the directory, of a kind the role fits"})
    password = _password()


class NewPassword(Strict):
    password = _password()


class VerifyBody(Strict):
    service = one_of(SERVICES, required=True)


class RetryBody(Strict):
    id = sized(1, 300, required=True, metadata={"description": "the dead letter's id, as listed"})


AuditEntry = answer("AuditEntry", id=fields.Integer(),
                    **strings("at actor role agency action object outcome"),
                    correlation_id=fields.String(allow_none=True), hash=fields.String())
RevocationResult = answer("RevocationResult", strings("revoked"))
WebUser = answer("WebUser", strings("username role agency"), enabled=fields.Boolean(),
                 password=fields.String(metadata={
                     "description": "only when generated: shown this once, stored only hashed"}))
Checkpoint = answer("Checkpoint", integers("entry_id"), strings("at"))
VerifyResult = answer("VerifyResult", strings("service"), integers("entries"),
                      intact=fields.Boolean(), problems=fields.List(fields.String()),
                      checkpoint=fields.Nested(Checkpoint, allow_none=True),
                      recorded=fields.Nested(Checkpoint, allow_none=True))
DeadLetter = answer("DeadLetter", strings("id type queue reason died_at"), integers("deaths"))


# --- the gateway's own changes, into a service's audit chain ----------------------------------------

def _record(ctx: Ctx, action: str, obj: str, outcome: str = "ok") -> None:
    """One entry in the referral service's chain (``audit_record``); raises when it cannot be
    written, so the change it announces is not made."""
    ctx.rpc(TRAIL, "audit_record", action=action, object=obj, outcome=outcome)


def _refuse(ctx: Ctx, action: str, obj: str, outcome: str, problem: ApiProblem):
    _record(ctx, action, obj, outcome)
    raise problem


def _web_user(user, password: str | None = None) -> dict:
    found = {"username": user.username, "role": user.role, "agency": user.agency,
             "enabled": not user.disabled}
    return {**found, "password": password} if password else found


def new_password() -> str:
    """A generated password: 18 random URL-safe characters (about 108 bits)."""
    return secrets.token_urlsafe(14)[:18]


def _existing(ctx: Ctx, username: str, action: str):
    """The web user named in a path, or 404 (recorded as not found)."""
    name = normalise_username(username)
    accounts = ctx.extensions["refnet.accounts"]
    user = accounts.get_user(name) if USERNAME.match(name) else None
    if user is None:
        _refuse(ctx, action, f"web_user:{name}", "not_found",
                ApiProblem(404, "not-found", "Not found", "No such web user.", field="username"))
    return user


# --- views: web users ------------------------------------------------------------------------------

@endpoint("GET", "/admin/users", roles=ADMIN, summary="Everyone who signs in to the web pages",
          response=WebUser, many=True, errors=LISTING - {503})
def list_web_users(ctx: Ctx):
    return [_web_user(u) for u in ctx.extensions["refnet.accounts"].list_users()]


@endpoint("POST", "/admin/users", roles=ADMIN,
          summary="Add a web user (a generated password is answered once when none is given)",
          body=NewWebUser, response=WebUser, status=201, errors=INPUT | {409})
def create_web_user(ctx: Ctx):
    data, accounts = ctx.data, ctx.extensions["refnet.accounts"]
    username, role, agency = normalise_username(data["username"]), data["role"], data["agency"]
    obj = f"web_user:{username}"
    require_kind(ctx.extensions["refnet.directory"], agency, ROLE_AGENCY_KINDS[role], "agency")
    if accounts.get_user(username) is not None:
        _refuse(ctx, "web_user.create", obj, "refused",
                ApiProblem(409, "user-exists", "Conflict", "A web user has this username.",
                           field="username"))
    generated = None if data.get("password") else new_password()
    _record(ctx, "web_user.create", obj)
    try:
        accounts.create_user(username, data.get("password") or generated, role, agency)
    except ValueError as exc:   # the store's own rules, checked by the schema above already
        raise InputError(str(exc), "username") from None
    return _web_user(accounts.get_user(username), generated)


@endpoint("POST", "/admin/users/<username>/disable", roles=ADMIN,
          summary="Stop a web user signing in; their sessions end at once (not oneself)",
          response=WebUser, errors=ONE | {409})
def disable_web_user(ctx: Ctx, username: str):
    user = _existing(ctx, username, "web_user.disable")
    if user.username == ctx.identity.user:   # the last administrator could lock everyone out
        _refuse(ctx, "web_user.disable", f"web_user:{user.username}", "refused",
                ApiProblem(409, "own-user", "Conflict", "You cannot disable yourself.",
                           field="username"))
    _record(ctx, "web_user.disable", f"web_user:{user.username}")
    ctx.extensions["refnet.accounts"].disable_user(user.username)
    return _web_user(ctx.extensions["refnet.accounts"].get_user(user.username))


@endpoint("POST", "/admin/users/<username>/enable", roles=ADMIN,
          summary="Let a disabled web user sign in again, with the password they have",
          response=WebUser, errors=ONE)
def enable_web_user(ctx: Ctx, username: str):
    user = _existing(ctx, username, "web_user.enable")
    _record(ctx, "web_user.enable", f"web_user:{user.username}")
    ctx.extensions["refnet.accounts"].enable_user(user.username)
    return _web_user(ctx.extensions["refnet.accounts"].get_user(user.username))


@endpoint("POST", "/admin/users/<username>/password", roles=ADMIN,
          summary="A new password (generated and answered once when none is given); the user's "
                  "sessions and sign-in delays end, a disabled user stays disabled",
          body=NewPassword, response=WebUser, errors=WRITE - {409})
def reset_web_user_password(ctx: Ctx, username: str):
    user = _existing(ctx, username, "web_user.password")
    generated = None if ctx.data.get("password") else new_password()
    _record(ctx, "web_user.password", f"web_user:{user.username}")
    ctx.extensions["refnet.accounts"].set_password(user.username,
                                                   ctx.data.get("password") or generated)
    return _web_user(user, generated)


# --- views: tokens ---------------------------------------------------------------------------------

@endpoint("POST", "/admin/revocations", roles=ADMIN,
          summary="Revoke one token (jti) or every token a user holds now (their web sessions "
                  "end too)", body=RevocationBody, response=RevocationResult,
          errors=INPUT | TOO_LARGE | NOT_JSON)
def revoke(ctx: Ctx):
    store = ctx.extensions["refnet.revocations"]
    if bool(ctx.data.get("jti")) == bool(ctx.data.get("user")):
        raise InputError("Give jti or user, not both.", "jti")
    if ctx.data.get("jti"):
        _record(ctx, "token.revoke", f"token:{ctx.data['jti']}")
        store.revoke_token(ctx.data["jti"])
        return {"revoked": "token"}
    _record(ctx, "token.revoke_user", f"user:{ctx.data['user']}")
    store.revoke_user(ctx.data["user"])
    return {"revoked": "user"}


# --- views: the audit trail ------------------------------------------------------------------------

@endpoint("GET", "/audit", roles=ADMIN,
          summary="A service's audit trail by object or actor, newest first", query=AuditQuery,
          response=AuditEntry, many=True, errors=FILTERED)
def audit_trail(ctx: Ctx):
    q = ctx.query
    return ctx.rpc(q["service"], "audit_query", object=q.get("object"), actor=q.get("actor"),
                   limit=q["limit"])


@endpoint("POST", "/audit/verify", roles=ADMIN,
          summary="Check a service's keyed audit chain against its last checkpoint and record "
                  "the intact head as the next one (as `refnet audit verify`)",
          body=VerifyBody, response=VerifyResult, errors=INPUT)
def verify_audit(ctx: Ctx):
    service = ctx.data["service"]
    store = ctx.extensions["refnet.auditcheckpoints"]
    found = ctx.rpc(service, "audit_verify", checkpoints=store.rows(service))
    new = found.get("new_checkpoint")
    if found.get("intact") and new:
        store.insert(service, new)   # signed by the service, which holds the key
    brief = (lambda c: {"entry_id": c["entry_id"], "at": c["at"]} if c else None)
    return {"service": service, "entries": found.get("entries", 0), "intact": bool(found.get("intact")),
            "problems": list(found.get("problems") or []), "checkpoint": brief(found.get("checkpoint")),
            "recorded": brief(new if found.get("intact") else None)}


# --- views: dead letters ---------------------------------------------------------------------------

@endpoint("GET", "/admin/dead-letters", roles=ADMIN,
          summary="Messages parked after repeated failures: ids, type, queue, reason, deaths "
                  "(never a body)", response=DeadLetter, many=True, errors=LISTING)
def dead_letters(ctx: Ctx):
    return [{k: d.get(k) for k in ("id", "type", "queue", "reason", "deaths", "died_at")}
            for d in ctx.rpc(DEAD_LETTER_KEEPER, "dead_letters")]


DEAD_LETTER_ID = re.compile(r"^[^\s]{1,300}$")


@endpoint("POST", "/admin/dead-letters/retry", roles=ADMIN,
          summary="Send one parked message back to the queue it failed in",
          body=RetryBody, response=DeadLetter, errors=WRITE - {409})
def retry_dead_letter(ctx: Ctx):
    if not DEAD_LETTER_ID.match(ctx.data["id"]):
        raise InputError("A dead letter's id has no spaces.", "id")
    d = ctx.rpc(DEAD_LETTER_KEEPER, "retry_dead_letter", message_id=ctx.data["id"])
    return {k: d.get(k) for k in ("id", "type", "queue", "reason", "deaths", "died_at")}
