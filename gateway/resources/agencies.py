"""The agency directory (owned by the referral service, docs/decisions/0037): every signed-in role
lists and reads it; administrators register agencies and change them. Each answer gives an
agency's ``name`` in the request's language (``Accept-Language``, or the page's), falling back
to English, beside all its ``names``."""

from marshmallow import ValidationError, fields, validate, validates_schema

from services.common.errors import Conflict
from services.contracts.identities import AGENCY
from services.contracts.vocabulary import (AGENCY_KINDS, AGENCY_NAME_LANGUAGES, AGENCY_SERVICES,
                                           ROLES)

from ..directory import name_in, request_language
from ..errors import ApiProblem
from .declare import FILTERED, INPUT, ONE, WRITE, Answer, Ctx, endpoint
from .shapes import Strict, answer, one_of, sized, strings

ADMIN = ("admin",)
AGENCY_ID = f"^{AGENCY.pattern}$"
LANGUAGE_CODE = r"^[a-z]{2,3}$"


# --- schemas ---------------------------------------------------------------------------------------

class Names(Strict):
    en = sized(1, 200, metadata={"description": "English name (required on registration)"})
    ar = sized(1, 200, allow_none=True)
    ckb = sized(1, 200, allow_none=True)


def _services(**kw):
    return fields.List(one_of(AGENCY_SERVICES), validate=validate.Length(max=len(AGENCY_SERVICES)),
                       **kw)


def _languages(**kw):
    return fields.List(fields.String(validate=validate.Regexp(LANGUAGE_CODE)),
                       validate=validate.Length(max=20),
                       metadata={"description": "ISO 639 codes of the languages spoken"}, **kw)


def _routing_order(**kw):
    return fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1_000_000),
                          metadata={"description": "where a shelter provider comes when a "
                                                   "referral to the network is offered round "
                                                   "(lowest first; null: after those with one)"},
                          **kw)


class AgencyQuery(Strict):
    kind = one_of(AGENCY_KINDS)
    active = fields.Boolean()


class NewAgency(Strict):
    id = fields.String(required=True, validate=validate.Regexp(AGENCY_ID), metadata={
        "description": "1 to 100 of a-z 0-9 . _ -, starting with a letter or digit"})
    kind = one_of(AGENCY_KINDS, required=True)
    name = sized(1, 200, metadata={"description": "English name (or give names)"})
    names = fields.Nested(Names, metadata={"description": "name per language: en, ar, ckb"})
    region = sized(0, 100)
    services = _services()
    languages = _languages()
    routing_order = _routing_order()
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _an_english_name(self, data, **_):
        if not (data.get("names") or {}).get("en") and not data.get("name"):
            raise ValidationError("An English name is required (name, or names.en).",
                                  field_name="name")


class AgencyChanges(Strict):
    name = sized(1, 200, metadata={"description": "English name"})
    names = fields.Nested(Names, metadata={"description": "names per language to change "
                                                          "(null removes one; en stays)"})
    region = sized(0, 100)
    services = _services()
    languages = _languages()
    routing_order = _routing_order()
    active = fields.Boolean()

    @validates_schema
    def _something(self, data, **_):
        if not data:
            raise ValidationError("Give at least one field to change.", field_name="body")


AgencyItem = answer(
    "Agency", strings("id name kind region"),
    names=fields.Dict(keys=fields.String(), values=fields.String(),
                      metadata={"description": "name per language (en, ar, ckb)"}),
    active=fields.Boolean(), services=fields.List(fields.String()),
    languages=fields.List(fields.String()), routing_order=fields.Integer(allow_none=True))
AgencyList = answer("AgencyList", items=fields.List(fields.Nested(AgencyItem)))


def item(entry: dict, language: str) -> dict:
    """A directory entry as the API shows it: its name in ``language`` beside all its names."""
    return {"id": entry["id"], "name": name_in(entry, language, entry["id"]),
            "names": entry.get("names") or {}, "kind": entry["kind"],
            "region": entry.get("region") or "", "active": bool(entry.get("active")),
            "services": entry.get("services") or [], "languages": entry.get("languages") or [],
            "routing_order": entry.get("routing_order")}


def _names(data: dict, *, partial: bool) -> dict | None:
    names = dict(data.get("names") or {})
    if data.get("name"):
        names["en"] = data["name"]
    if not partial:
        names = {k: v for k, v in names.items() if v is not None}
    return {k: names[k] for k in AGENCY_NAME_LANGUAGES if k in names} or None


# --- views -----------------------------------------------------------------------------------------

@endpoint("GET", "/agencies", roles=ROLES,
          summary="The agency directory: every agency's id, name, kind, region and whether it "
                  "is active", query=AgencyQuery, response=AgencyList, errors=FILTERED)
def list_agencies(ctx: Ctx):
    rows = ctx.rpc("referral", "list_agencies", kind=ctx.query.get("kind"),
                   active=ctx.query.get("active"))
    language = request_language()
    return {"items": [item(row, language) for row in rows or []]}


@endpoint("GET", "/agencies/<agency>", roles=ROLES, summary="One agency of the directory",
          response=AgencyItem, errors=ONE)
def get_agency(ctx: Ctx, agency: str):
    return item(ctx.rpc("referral", "get_agency", agency=agency), request_language())


@endpoint("POST", "/agencies", roles=ADMIN,
          summary="Register an agency (201; 409 agency-exists for an id the directory holds)",
          body=NewAgency, response=AgencyItem, status=201, errors=INPUT | {409})
def register_agency(ctx: Ctx):
    data = ctx.data
    try:
        entry = ctx.rpc("referral", "register_agency", agency=data["id"], kind=data["kind"],
                        names=_names(data, partial=False), region=data.get("region"),
                        services=data.get("services"), languages=data.get("languages"),
                        routing_order=data.get("routing_order"), active=data["active"])
    except Conflict:
        raise ApiProblem(409, "agency-exists", "Agency exists",
                         "The directory holds an agency with this id.", field="id") from None
    ctx.extensions["refnet.directory"].invalidate()
    return Answer(item(entry, request_language()),
                  headers={"Location": f"/api/v1/agencies/{entry['id']}"})


@endpoint("PATCH", "/agencies/<agency>", roles=ADMIN,
          summary="Change an agency: names, region, services, languages, routing order, "
                  "active (deactivating refuses its tokens and web users)",
          body=AgencyChanges, response=AgencyItem, errors=WRITE - {409})
def update_agency(ctx: Ctx, agency: str):
    changes = {k: v for k, v in ctx.data.items() if k not in ("name", "names")}
    names = _names(ctx.data, partial=True)
    if names:
        changes["names"] = names
    entry = ctx.rpc("referral", "update_agency", agency=agency, changes=changes)
    ctx.extensions["refnet.directory"].invalidate()
    return item(entry, request_language())
