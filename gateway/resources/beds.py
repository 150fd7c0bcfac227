"""Beds and facilities: availability for every role, the facilities of each shelter provider
(registered, renamed and closed by the provider's staff or an administrator), capacity and beds
out of service with their history, the bed board and the daily census, and a facility as an
HSDS service."""

from marshmallow import fields, validate

from services.contracts.vocabulary import POPULATION_GROUPS, PROVIDER_KIND, ROLES

from ..directory import require_kind
from .declare import LISTING, ONE, WRITE, Ctx, endpoint
from .shapes import Strict, answer, integers, iso, sized, strings

SHELTER_OR_ADMIN = ("shelter", "admin")


# --- schemas ---------------------------------------------------------------------------------------

class CapacitySchema(Strict):
    population_group = fields.String(required=True, validate=validate.OneOf(POPULATION_GROUPS))
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10000))
    reason = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "Why (kept in the capacity history)."})


class OutOfServiceSchema(Strict):
    population_group = fields.String(required=True, validate=validate.OneOf(POPULATION_GROUPS))
    beds = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10000),
                          metadata={"description": "Beds of the group out of service now (0 returns all)."})
    reason = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "Required when beds > 0, e.g. 'water damage'."})
    expected_return = fields.Date(metadata={"description": "Required when beds > 0."})


AGENCY_ID = r"^[a-z0-9][a-z0-9-]{0,99}$"


USER_ID = r"^[A-Za-z0-9._@-]{1,100}$"


def _manager(**kw):
    return fields.String(validate=validate.Regexp(USER_ID), allow_none=True, metadata={
        "description": "The facility manager's user id (told of residents' overdue "
                       "first-week milestones beside the case manager); null: none named."},
        **kw)


class FacilityBody(Strict):
    facility = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9-]{1,64}$"),
                             metadata={"description": "The facility's id: letters, digits, dashes."})
    name = sized(1, 200, required=True)
    provider = fields.String(validate=validate.Regexp(AGENCY_ID), metadata={
        "description": "The shelter provider's agency id: an administrator names it; shelter "
                       "staff register their own organisation's (absent or their own)."})
    manager = _manager()


class RenameBody(Strict):
    name = sized(1, 200, required=True)


class ManagerBody(Strict):
    manager = _manager(load_default=None)


class CensusQuery(Strict):
    date = fields.Date(metadata={"description": "YYYY-MM-DD (UTC); today when absent."})


Facility = answer("Facility", strings("facility name provider status created_at"),
                  closed_at=fields.String(allow_none=True), manager=fields.String(allow_none=True))
BedCount = answer(
    "BedCount", strings("facility facility_name population_group"),
    integers("capacity out_of_service occupied held"),
    available=fields.Integer(metadata={"description": "capacity - out_of_service - occupied - held"}),
    updated_at=fields.String(),
    provider=fields.String(metadata={"description": "The shelter provider (agency id); in "
                                                    "availability"}))
Place = answer("Place", strings("reference state population_group"), integers("beds"),
               integers("admission_id", allow_none=True),
               strings("case_manager held_at hold_expires_at admitted_at discharged_at outcome",
                       allow_none=True))
BoardGroup = answer("BoardGroup", strings("out_of_service_reason out_of_service_until",
                                          allow_none=True),
                    places=fields.List(fields.Nested(Place)), base=BedCount)
BedBoard = answer("BedBoard", strings("facility facility_name"),
                  groups=fields.List(fields.Nested(BoardGroup)))
CensusCount = answer("CensusCount", integers("residents beds_occupied"))
DailyCensus = answer("DailyCensus", strings("facility facility_name date"),
                     {name: fields.List(fields.Nested(Place))
                      for name in ("arrivals", "expected_arrivals", "departures")},
                     census=fields.Dict(keys=fields.String(), values=fields.Nested(CensusCount)))
CapacityChange = answer("CapacityChange", strings("population_group change"),
                        integers("capacity out_of_service occupied held"),
                        reason=fields.String(allow_none=True),
                        **strings("changed_by changed_at"))
HsdsUnit = answer("HsdsUnit", strings("id name identifier"))
HsdsCapacity = answer("HsdsCapacity", id=fields.String(), unit=fields.Nested(HsdsUnit),
                      **integers("available maximum"), **strings("description updated"))
# An Open Referral HSDS 3.1 ``service`` (only the fields this export fills)
HsdsService = answer("HsdsService", strings("id name description status organization_id"),
                     last_modified=fields.String(allow_none=True),
                     capacities=fields.List(fields.Nested(HsdsCapacity)))
ReferralPlace = answer(
    "ReferralPlace", facilities=fields.List(fields.Nested(Facility)),
    place=fields.Nested(
        answer("ReferralPlaceAt", strings("facility state")), allow_none=True, metadata={
            "description": "Where the referral holds (held) or occupies (admitted) beds at one "
                           "of the provider's open facilities; null: at none of them"}))
Availability = answer(
    "Availability", facilities=fields.List(fields.Nested(BedCount)),
    as_of=fields.String(metadata={"description": "When these counts were read from the shelter "
                                                 "service (at most a second ago)"}))


# every role of the network's own agencies; a partner agency's staff see only what was referred
# to them (gateway/resources/partners.py)
NETWORK_ROLES = tuple(role for role in ROLES if role != "partner")


# --- views -----------------------------------------------------------------------------------------

@endpoint("GET", "/shelters/availability", roles=NETWORK_ROLES,
          summary="Bed availability per facility and population group (no addresses)",
          response=Availability, errors=LISTING)
def availability(ctx: Ctx):
    return ctx.extensions["refnet.availability"].answer(lambda: ctx.rpc("shelter", "availability"))


@endpoint("GET", "/shelters/facilities", roles=SHELTER_OR_ADMIN,
          summary="The caller's provider's facilities (an administrator: every provider's)",
          response=Facility, many=True, errors=LISTING)
def list_facilities(ctx: Ctx):
    return ctx.rpc("shelter", "list_facilities")


@endpoint("POST", "/shelters/facilities", roles=SHELTER_OR_ADMIN,
          summary="Register a facility of a shelter provider (its staff, or an administrator "
                  "naming the provider)",
          body=FacilityBody, response=Facility, status=201, errors=WRITE - {404},
          changes_beds=True)
def register_facility(ctx: Ctx):
    provider = ctx.data.get("provider")
    if provider is not None and ctx.identity.role == "admin":  # staff: their own (the service)
        require_kind(ctx.extensions["refnet.directory"], provider, (PROVIDER_KIND,), "provider")
    return ctx.rpc("shelter", "register_facility", facility=ctx.data["facility"],
                   name=ctx.data["name"], provider=ctx.data.get("provider"),
                   manager=ctx.data.get("manager"))


@endpoint("PATCH", "/shelters/facilities/<facility>", roles=SHELTER_OR_ADMIN,
          summary="Rename one of the provider's facilities", body=RenameBody, response=Facility,
          errors=WRITE - {409}, changes_beds=True)
def rename_facility(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "rename_facility", facility=facility, name=ctx.data["name"])


@endpoint("PUT", "/shelters/facilities/<facility>/manager", roles=SHELTER_OR_ADMIN,
          summary="Name the facility's manager (a user id; null: none)", body=ManagerBody,
          response=Facility, errors=WRITE - {409})
def set_facility_manager(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "set_facility_manager", facility=facility,
                   manager=ctx.data.get("manager"))


@endpoint("POST", "/shelters/facilities/<facility>/close", roles=SHELTER_OR_ADMIN,
          summary="Close a facility nobody lives in or is expected at (409 otherwise)",
          response=Facility, errors=ONE | {409}, changes_beds=True)
def close_facility(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "close_facility", facility=facility)


@endpoint("PUT", "/shelters/<facility>/capacity", roles=SHELTER_OR_ADMIN,
          summary="Set the bed capacity of a facility for a population group",
          body=CapacitySchema, response=BedCount, errors=WRITE, changes_beds=True)
def set_capacity(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "set_capacity", facility=facility,
                   population_group=ctx.data["population_group"], capacity=ctx.data["capacity"],
                   correlation_id=ctx.correlation_id, reason=ctx.data.get("reason"))


@endpoint("PUT", "/shelters/<facility>/out-of-service", roles=SHELTER_OR_ADMIN,
          summary="Set how many beds of a group are out of service, why, until when",
          body=OutOfServiceSchema, response=BedCount, errors=WRITE, changes_beds=True)
def set_out_of_service(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "set_out_of_service", facility=facility,
                   population_group=ctx.data["population_group"], beds=ctx.data["beds"],
                   reason=ctx.data.get("reason"), expected_return=iso(ctx.data.get("expected_return")),
                   correlation_id=ctx.correlation_id)


@endpoint("GET", "/shelters/<facility>/capacity-history", roles=SHELTER_OR_ADMIN,
          summary="Every capacity and out-of-service change, newest first",
          response=CapacityChange, many=True, errors=ONE)
def capacity_history(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "capacity_history", facility=facility)


@endpoint("GET", "/shelters/<facility>/board", roles=("shelter",),
          summary="Bed board: counts per group and who holds or occupies each place (by reference)",
          response=BedBoard, errors=ONE)
def bed_board(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "bed_board", facility=facility)


@endpoint("GET", "/shelter/referrals/<reference>/place", roles=("shelter",),
          summary="Your provider's facilities, and where the referral holds or occupies beds at "
                  "one of them: the referral page's part of the bed boards in one call",
          response=ReferralPlace, errors=LISTING)
def referral_place(ctx: Ctx, reference: str):
    return ctx.rpc("shelter", "referral_place", reference=reference)


@endpoint("GET", "/shelters/<facility>/census", roles=("shelter",),
          summary="A day's arrivals, expected arrivals, departures and end-of-day census",
          query=CensusQuery, response=DailyCensus, errors=ONE | {422})
def daily_census(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "daily_census", facility=facility, date=iso(ctx.query.get("date")))


@endpoint("GET", "/shelters/<facility>/hsds", roles=NETWORK_ROLES,
          summary="The facility's service as an Open Referral HSDS 3.1 service with bed capacities",
          response=HsdsService, errors=ONE)
def hsds(ctx: Ctx, facility: str):
    return ctx.rpc("shelter", "hsds_service", facility=facility)
