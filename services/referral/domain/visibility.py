"""Who sees which fields of a referral: the referral service's visibility table. No I/O.

One row per (view, role): the fields that role is granted. Every answer the service gives is
cut by ``shape`` from this table, so a field the table does not grant never leaves the service,
whatever the use case put in the dictionary. The object relation (own agency, consent) is
decided by ``referral.status_access`` before a view is shaped; a role absent from a view's row
gets nothing (the entrypoint answers ``404`` or ``403``).
"""

STATUS_FIELDS = ("reference", "status", "timeline")
# the FHIR Task's elements (docs/decisions/0025): status, dates, agencies, pseudonyms; no names
FHIR_TASK_FIELDS = frozenset({
    "resourceType", "id", "meta", "identifier", "status", "statusReason", "businessStatus",
    "intent", "priority", "code", "focus", "for", "authoredOn", "lastModified", "requester",
    "owner"})

VISIBILITY: dict[str, dict[str, frozenset[str]]] = {
    # GET /referrals/{ref}/status
    # (held_by: the provider holding it, docs/decisions/0039)
    # (valid_until: when the consent ends, for the gateway's copy only, which never shows it,
    # docs/decisions/0048)
    "status": {
        "shelter": frozenset({*STATUS_FIELDS, "legal", "held_by"}),
        # own agency, consent standing
        "police": frozenset({*STATUS_FIELDS, "legal", "held_by", "valid_until"}),
        # consent to legal help standing
        "legal": frozenset({*STATUS_FIELDS, "legal", "held_by", "valid_until"}),
    },
    # GET /referrals/{ref}/fhir-task: the same audiences as the status, the same consent rule
    "fhir_task": {
        "shelter": FHIR_TASK_FIELDS,
        "police": FHIR_TASK_FIELDS,   # own agency, consent standing
        "legal": FHIR_TASK_FIELDS,    # consent to legal help standing
    },
    # the answer to an audience whose consent was withdrawn: that fact, nothing more
    "status_withdrawn": {
        "police": frozenset(STATUS_FIELDS),
        "legal": frozenset(STATUS_FIELDS),
    },
    # GET /referrals (one item)
    "list_item": {
        "shelter": frozenset({"reference", "status", "urgency", "population_group",
                              "submitted_at", "updated_at"}),
        "police": frozenset({"reference", "status", "urgency", "population_group",
                             "submitted_at", "updated_at"}),
        "legal": frozenset({"reference", "status", "urgency", "population_group",
                            "submitted_at", "updated_at"}),
    },
    # GET /referrals/{ref}: identity and circumstances
    "file": {
        "shelter": frozenset({"reference", "status", "referring_agency", "submitted_at",
                              "population_group", "beds_needed", "submission", "anonymised",
                              "file_shared", "guardian", "attachments"}),
    },
    # GET /referrals/{ref} for shelter staff without consent to share the file with their
    # agency: the status-level summary, no identity, no circumstances (docs/decisions/0040)
    "file_summary": {
        "shelter": frozenset({"reference", "status", "file_shared", "population_group",
                              "beds_needed", "urgency", "needs", "service_languages",
                              "children_count"}),
    },
    # GET/POST /referrals/{ref}/consent
    "consent": {
        "shelter": frozenset({"reference", "referring_police", "legal_team", "providers",
                              "history"}),
    },
    # GET /referrals/unplaced: references, since when, the last holder; no personal data
    "unplaced_item": {
        "admin": frozenset({"reference", "status", "unplaced_since", "last_holder"}),
    },
    # POST /referrals/{ref}/withdraw
    "withdraw": {
        "police": frozenset({"reference", "status", "withdrawn_at"}),
    },
    # POST /referrals/search (keyed hash of the name; shelter staff only)
    "search_item": {
        "shelter": frozenset({"reference", "status", "submitted_at"}),
    },
    # report_figures: counts and quartiles only, no reference; the gateway
    # suppresses them for the public audience (the only one analysts may ask for)
    "report": {role: frozenset({"period", "referrals", "served", "durations"})
               for role in ("shelter", "analyst")},
}


def granted(view: str, role: str) -> frozenset[str]:
    """The fields ``role`` is granted in ``view`` (none when the table has no row)."""
    return VISIBILITY.get(view, {}).get(role, frozenset())


def shape(view: str, role: str, data: dict) -> dict:
    """Only the fields ``role`` is granted in ``view``."""
    allowed = granted(view, role)
    return {k: v for k, v in data.items() if k in allowed}
