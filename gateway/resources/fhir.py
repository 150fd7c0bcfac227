"""A referral's status as a FHIR R4 Task (SDOHCC Task for Referral Management): the schemas of
the Task and the endpoint that serves it, to the same audiences as the referral's status."""

import json

from marshmallow import Schema, fields

from .declare import ONE, Answer, Ctx, endpoint
from .referrals import STATUS_ROLES
from .shapes import answer, strings

FHIR_JSON = "application/fhir+json"

FhirCoding = answer("FhirCoding", strings("system code display"))
FhirCodeableConcept = answer("FhirCodeableConcept", coding=fields.List(fields.Nested(FhirCoding)),
                             text=fields.String())
FhirIdentifier = answer("FhirIdentifier", strings("use system value"))
FhirReference = answer("FhirReference", strings("reference type"),
                       identifier=fields.Nested(FhirIdentifier))
FhirMeta = answer("FhirMeta", profile=fields.List(fields.String()))


class FhirTask(Schema):
    """A FHIR R4 Task of the SDOHCC Task for Referral Management profile (docs/decisions/0025):
    no name, no phone; ``for`` is a per-referral pseudonym, requester and owner agency ids."""
    resourceType = fields.String(metadata={"description": "Task"})
    id = fields.String(metadata={"description": "The referral's reference"})
    meta = fields.Nested(FhirMeta)
    identifier = fields.List(fields.Nested(FhirIdentifier))
    status = fields.String(metadata={"description": "requested, accepted, in-progress, completed, "
                                                    "rejected or cancelled (SDOHCC referral task "
                                                    "status: never received or ready)"})
    statusReason = fields.Nested(FhirCodeableConcept, metadata={
        "description": "When rejected or cancelled: the decline or withdrawal reason as a "
                       "code of refnet's status-reason system, never free text"})
    businessStatus = fields.Nested(FhirCodeableConcept,
                                   metadata={"description": "refnet's own referral status"})
    intent = fields.String(metadata={"description": "order"})
    priority = fields.String()
    code = fields.Nested(FhirCodeableConcept)
    focus = fields.Nested(FhirReference)
    for_ = fields.Nested(FhirReference, data_key="for")
    authoredOn = fields.String()
    lastModified = fields.String()
    requester = fields.Nested(FhirReference)
    owner = fields.Nested(FhirReference)


@endpoint("GET", "/referrals/<reference>/fhir-task", roles=STATUS_ROLES,
          summary="The referral's status as a FHIR R4 Task (SDOHCC Task for Referral Management); "
                  "the same audiences as its status, no names",
          response=FhirTask, errors=ONE, media_type=FHIR_JSON)
def referral_fhir_task(ctx: Ctx, reference: str):
    task = ctx.rpc("referral", "get_fhir_task", reference=reference)
    # in the order the service built it (resourceType first, as FHIR JSON is usually written)
    return Answer(json.dumps(task))
