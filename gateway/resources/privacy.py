"""Privacy, for shelter staff: the survivor's consent per audience with its history, the search
for referrals by the survivor's name (a keyed hash; the name is never stored in clear), and the
names the survivors gave, for the shelter's own pages (docs/decisions/0045)."""

import logging

from marshmallow import ValidationError, fields, validate, validates_schema

from services.contracts.identities import AGENCY

from .declare import INPUT, NOT_JSON, ONE, TOO_LARGE, WRITE, Ctx, endpoint
from .shapes import Strict, answer, iso, reference_field, sized, strings

log = logging.getLogger(__name__)


# --- schemas ---------------------------------------------------------------------------------------

class ConsentBody(Strict):
    audience = fields.String(required=True, validate=validate.OneOf(
        ["referring_police", "legal_team", "provider"]), metadata={
            "description": "provider: consent to share the FILE with the provider ``agency``"})
    agency = fields.String(validate=validate.Regexp("^" + AGENCY.pattern + "$", error="Not an agency id."),
                           metadata={"description": "The provider agency (audience provider only)"})
    share = fields.Boolean(required=True, metadata={"description": "The survivor's choice"})
    purpose = sized(1, 200, metadata={"description": "What sharing is for (required to share)"})
    until = fields.Date(metadata={"description": "Consent ends after this day (UTC)"})
    guardian_consent = fields.Boolean(metadata={
        "description": "A minor survivor's choice only: whether the guardian consented with "
                       "the child (required, and true, to share)"})

    @validates_schema
    def _agency_with_provider(self, data, **_):
        if (data.get("audience") == "provider") != ("agency" in data):
            raise ValidationError("agency is given with audience provider, and only then",
                                  field_name="agency")


class NameSearchBody(Strict):
    name = sized(1, 200, required=True,
                 metadata={"description": "Matched by keyed hash; sent in the body so it "
                                          "never appears in a URL or an access log"})


class NamesBody(Strict):
    references = fields.List(reference_field(), required=True,
                             validate=validate.Length(min=1, max=100), metadata={
                                 "description": "The references of one page (1 to 100)"})


ConsentAudience = answer("ConsentAudience", share=fields.Boolean(),
                         **strings("until withdrawn_at", allow_none=True))
ProviderConsent = answer("ProviderConsent", agency=fields.String(metadata={
                             "description": "a provider agency id; * every provider the "
                                            "referral is offered to"}),
                         share=fields.Boolean(), **strings("until withdrawn_at", allow_none=True))
ConsentRecord = answer("ConsentRecord", audience=fields.String(), share=fields.Boolean(),
                       **strings("agency purpose until", allow_none=True),
                       **strings("recorded_by recorded_at"),
                       guardian_consent=fields.Boolean(allow_none=True, metadata={
                           "description": "a minor's choice: the guardian consented too"}))
ConsentState = answer("ConsentState", reference=fields.String(),
                      referring_police=fields.Nested(ConsentAudience),
                      legal_team=fields.Nested(ConsentAudience),
                      providers=fields.List(fields.Nested(ProviderConsent), metadata={
                          "description": "consent to share the file, per provider agency"}),
                      history=fields.List(fields.Nested(ConsentRecord)))
NameSearchHit = answer("NameSearchHit", strings("reference status submitted_at"))
SurvivorNames = answer("SurvivorNames", names=fields.Dict(
    keys=fields.String(), values=fields.String(), metadata={
        "description": "reference -> the name the survivor gave, for the references whose file "
                       "your agency may read (the others are left out); each is an audited read "
                       "of the file"}))


# --- views -----------------------------------------------------------------------------------------

@endpoint("GET", "/referrals/<reference>/consent", roles=("shelter",),
          summary="The survivor's consent per audience, and every recorded change (who, when, what for)",
          response=ConsentState, errors=ONE)
def get_consent(ctx: Ctx, reference: str):
    return ctx.rpc("referral", "get_consent", reference=reference)


@endpoint("POST", "/referrals/<reference>/consent", roles=("shelter",),
          summary="Record the survivor's choice for the referring police, the legal team or one "
                  "provider (the file); a withdrawal holds from the next read",
          body=ConsentBody, response=ConsentState, errors=WRITE | TOO_LARGE | NOT_JSON,
          changes_status=True)
def record_consent(ctx: Ctx, reference: str):
    d = ctx.data
    state = ctx.rpc("referral", "record_consent", reference=reference, audience=d["audience"],
                    share=d["share"], purpose=d.get("purpose"), until=iso(d.get("until")),
                    correlation_id=ctx.correlation_id, agency=d.get("agency"),
                    guardian_consent=d.get("guardian_consent"))
    if d["audience"] == "provider":  # the file stays in the referral service
        return state
    # The legal service hears of it by event too; telling it now means the very next read in
    # the legal service (the legal team's cases, the police's hearings) honours the change. A
    # failure here is covered by the event (logged, not raised).
    try:
        changed = state[d["audience"]]
        ctx.rpc("legal", "apply_consent", reference=reference, audience=d["audience"],
                granted=d["share"], until=changed.get("until"),
                changed_at=state["history"][-1]["recorded_at"] if state.get("history") else None)
    except Exception as exc:  # noqa: BLE001 - the event delivers it
        log.warning("consent for %s: legal service not told directly (%s); the event will",
                    reference, type(exc).__name__)
    return state


@endpoint("POST", "/referrals/search", roles=("shelter",),
          summary="Find referrals by the survivor's name (keyed hash; the name is never stored in clear)",
          body=NameSearchBody, response=NameSearchHit, many=True,
          errors=INPUT | TOO_LARGE | NOT_JSON)
def search_by_name(ctx: Ctx):
    return ctx.rpc("referral", "search_by_name", name=ctx.data["name"])


@endpoint("POST", "/referrals/names", roles=("shelter",),
          summary="The names the survivors gave, for the references of one page whose file your "
                  "agency may read (each an audited read of the file; the others left out)",
          body=NamesBody, response=SurvivorNames, errors=INPUT | TOO_LARGE | NOT_JSON)
def survivor_names(ctx: Ctx):
    return {"names": ctx.rpc("referral", "names_for", references=ctx.data["references"])}
