"""Codes shared by every agency: statuses, population groups, roles, the categories the
period reports count by. Plain constants, and the one rule that groups exploitation forms."""

POPULATION_GROUPS = ("women", "men", "children")
URGENCIES = ("routine", "urgent", "emergency")
URGENCY_RANK = {"routine": 0, "urgent": 1, "emergency": 2}
EXPLOITATION_TYPES = (
    "labour", "sexual", "forced_marriage", "forced_criminality", "organ_removal", "other",
)
NEEDS = ("shelter", "medical", "legal", "documents", "repatriation", "psychosocial")
SEXES = ("female", "male")
# an accompanying child (issue 21): the age band (given, or derived from an exact age) and how
# the child is related to the survivor
CHILD_AGE_BANDS = ("0-4", "5-11", "12-17")
CHILD_RELATIONSHIPS = ("child", "sibling", "other_relative", "unrelated")
# how a minor survivor's guardian stands to the child (issue 21)
GUARDIAN_RELATIONSHIPS = ("parent", "relative", "appointed_guardian", "social_worker")
# the best-interests determination a minor's placement decision waits for (issue 21)
BEST_INTERESTS_OUTCOMES = ("placement_recommended", "family_tracing_first",
                           "alternative_care_recommended", "further_assessment_needed")
CONSENT_BASES = ("informed_consent", "best_interest")
CONSENT_AUDIENCES = ("referring_police", "legal_team")  # whom a survivor may share status with
# "partner": staff of a partner agency (ROLE_AGENCY_KINDS below), who see only the care-plan
# items referred to their agency (docs/decisions/0040)
ROLES = ("police", "shelter", "legal", "court", "admin", "analyst", "partner")

REFERRAL_STATUSES = (
    "submitted", "received", "screening", "accepted", "declined", "withdrawn",
    "waitlisted", "bed_held", "admitted", "discharged", "closed",
)
DISCHARGE_OUTCOMES = ("repatriated", "reintegrated", "transferred", "self_exit", "other")
# Why a shelter declined a referral, and why the referring police withdrew one: codes only
# travel (events, the status timeline, the FHIR Task); a free-text note stays with the service
# that took it (docs/decisions/0036). Labels are in services/contracts/decisions.py.
DECLINE_REASONS = ("no_bed_in_group", "outside_mandate", "needs_beyond_capacity",
                   "safety_risk_to_residents", "survivor_declined", "duplicate", "other")
WITHDRAWAL_REASONS = ("survivor_declined", "placed_elsewhere", "returned_home",
                      "referred_in_error", "other")
# Why the holding provider started screening a received referral before deciding (issue 21):
# what it must assess first. The screening is the provider's answer: the referral is no longer
# passed on for want of one.
SCREENING_REASONS = ("needs_assessment", "safety_assessment", "age_assessment",
                     "identity_check", "interview_pending", "other")
# Why the referral service closed a referral that stopped moving (services/referral/domain/
# retention.py): no decision was ever recorded, no bed came free while it waited, or the person
# never arrived once accepted.
CLOSURE_REASONS = ("no_decision", "no_bed", "no_arrival")
# the statuses a referral can be stuck in before admission, and so closed with one of those
STALE_REFERRAL_STATUSES = ("submitted", "received", "screening", "waitlisted", "accepted", "bed_held")
# Why a referral that reached an end is closed (referral.closed v2, issue 21): a decline or a
# withdrawal that stayed settled for REFNET_SETTLE_DAYS, or the shelter's follow-up after
# discharge that ended. v2's reasons are v1's and these.
ENDED_CLOSURE_REASONS = ("declined_settled", "withdrawn_settled", "follow_up_ended")
CLOSURE_REASONS_V2 = CLOSURE_REASONS + ENDED_CLOSURE_REASONS
# every status a referral can be closed from (v2): the stale ones and the ends
CLOSABLE_REFERRAL_STATUSES = STALE_REFERRAL_STATUSES + ("declined", "withdrawn", "discharged")

# Legal representation. The court-case status machine is in services/legal/domain.
COURT_CASE_STATUSES = ("investigation", "filed", "trial", "verdict", "appeal", "closed")
VERDICTS = ("convicted", "acquitted", "dismissed")
STANDINGS = ("victim", "witness", "plaintiff", "defendant")
CHARGE_STATUTES = ("law-6-2018", "other")  # Kurdistan Region Anti-Human Trafficking Law No. 6 of 2018
HEARING_STATUSES = ("scheduled", "held", "postponed", "cancelled")
HEARING_OUTCOMES = ("held", "postponed", "cancelled")
DOCUMENT_KINDS = ("identity_card", "passport", "travel_document")
DOCUMENT_STATUSES = ("requested", "submitted", "issued", "rejected")
DISPUTE_CLAIMS = ("unpaid_wages", "confiscated_documents", "contract_breach")
DISPUTE_STATUSES = ("open", "mediation", "settled", "failed", "referred_to_court")
# The legal case (services/legal/domain/legal_case.py; docs/decisions/0050): open or closed,
# closed and reopened with a coded reason each time, and its lawyer reassigned with a coded
# reason; the codes travel (legal.case_closed v2, legal.case_reopened), never a note.
LEGAL_CASE_STATUSES = ("open", "closed")
LEGAL_CLOSURE_REASONS = ("proceedings_concluded", "survivor_declined_help", "no_legal_remedy",
                         "transferred_to_other_counsel", "lost_contact", "other")
LEGAL_REOPEN_REASONS = ("new_proceedings", "appeal_lodged", "new_evidence", "closed_in_error",
                        "other")
LAWYER_CHANGE_REASONS = ("caseload", "conflict_of_interest", "leave", "survivor_request", "other")
COURT_ROLE = "court"  # a court user's agency is its court id, e.g. erbil-criminal-court

# The agency directory (owned by the referral service; docs/decisions/0037). Every token and web
# user names an agency of the directory, active, of a kind its role fits.
AGENCY_KINDS = ("police_unit", "shelter_provider", "legal_aid", "court", "international_org",
                "embassy", "labour_office", "health_mhpss", "other")
PROVIDER_KIND = "shelter_provider"  # the agencies a referral is addressed, offered and routed to
# the kinds of agency each role's people work at ("partner": staff of a partner agency a
# care-plan item was referred to; it sees only what was referred to its agency)
ROLE_AGENCY_KINDS = {
    "police": ("police_unit",),
    "shelter": ("shelter_provider",),
    "legal": ("legal_aid",),
    "court": ("court",),
    "partner": ("international_org", "embassy", "labour_office", "health_mhpss", "legal_aid",
                "other"),
    "admin": ("other",),
    "analyst": AGENCY_KINDS,
}
AGENCY_NAME_LANGUAGES = ("en", "ar", "ckb")  # a directory name in each of the page languages
# what an agency offers, matched against a referral's needs when it is routed
AGENCY_SERVICES = ("shelter", "medical", "legal", "documents", "repatriation", "psychosocial",
                   "return_reintegration", "travel_document", "labour_dispute", "mhpss", "other")

# Routing: why a provider was offered a referral, and why a holder referred it on.
OFFER_REASONS = ("addressed", "routed", "declined", "referred_on", "escalated")
REFER_ON_REASONS = ("better_fit_elsewhere", "specialised_services", "language",
                    "closer_to_family", "safety", "no_bed_in_group", "other")
UNPLACED_REASONS = ("no_provider_left",)

# Partner referrals: a care-plan item referred to a partner agency reports back with status only.
PARTNER_SERVICES = ("return_reintegration", "travel_document", "labour_dispute", "mhpss",
                    "legal_aid", "health_care", "other")
PARTNER_REFERRAL_STATUSES = ("sent", "accepted", "declined", "done")
PARTNER_DECLINE_REASONS = ("outside_mandate", "no_capacity", "missing_documents",
                           "survivor_declined", "other")
PARTNER_OUTCOMES = ("service_delivered", "partially_delivered", "not_delivered",
                    "survivor_withdrew", "other")

# Notifications (services/notify; docs/decisions/0042): the moments a person or a duty desk is
# told of, and the channels it may reach them by. A notification carries a reference, a moment
# code and a link, never a name or any personal field.
NOTIFY_MOMENTS = (
    "referral_offered",      # a provider holds a referral: its duty desk
    "referral_accepted", "referral_declined", "bed_held", "admitted",  # the referring officer
    "referral_escalated",    # and unit, while the survivor lets them see status
    "hold_expiring",         # a bed hold ends soon and the person has not arrived: the provider
    "milestone_overdue",     # the case manager and the facility's manager
    "hearing_reminder",      # the shelter's accompaniment duty and the lawyer
    "task_assigned",         # the assignee
    "approval_awaited",      # a cash request: the facility's other staff
    "court_status_changed",  # the lawyer
    "delivery_failed",       # a notification could not be sent: the admins
)
NOTIFY_CHANNELS = ("inbox", "email", "sms")  # the inbox is always on
NOTIFY_LANGUAGES = ("en", "ar", "ckb")       # a message is written in the recipient's language
# Tasks (the shelter's): court accompaniment and cash approvals, each with an assignee and a due
# time; one status machine: to_arrange -> assigned -> done | not_needed (and assigned -> assigned
# to hand it to someone else). A task past its due time and not finished is overdue.
TASK_KINDS = ("accompaniment", "cash_approval")
TASK_STATUSES = ("to_arrange", "assigned", "done", "not_needed")
# what a referral's police-visible step can be (referral.status_changed): a new status, or an
# escalation (no provider answered in time; the status stays)
STATUS_CHANGES = REFERRAL_STATUSES + ("escalated",)

# ISO 3166-1 alpha-2, officially assigned codes.
ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())

# Care plans and first-week milestones. The rules are in services/shelter/domain/care.py.
CARE_SERVICES = ("case_management", "legal_counselling", "court_representation",
                 "identity_documents", "cash_assistance", "labour_mediation", "health_care", "mhpss")
LEGAL_REFERRAL_SERVICES = ("legal_counselling", "court_representation", "identity_documents",
                           "labour_mediation")  # plan items the shelter may refer to the legal team
PLAN_ITEM_STATUSES = ("planned", "in_progress", "done", "cancelled")
CASH_PURPOSES = ("repatriation", "legal_fees", "other")
MILESTONES = ("case_manager_assigned", "psychological_screening", "legal_rights_briefing",
              "plan_agreed")
MILESTONE_STATES = ("done", "due", "overdue")
SCREENING_OUTCOMES = ("no_concerns", "support_recommended", "specialist_referral")
# Follow-up after discharge (issue 21; services/shelter/domain/follow_up.py): how a scheduled
# contact went, and the states a contact is listed by. re_referred ends the follow-up early.
FOLLOW_UP_OUTCOMES = ("reached_safe", "needs_support", "re_referred", "lost_contact")
FOLLOW_UP_STATES = ("overdue", "due", "recorded", "cancelled")

# Period reports: what the referral service's figures are counted by, and how the gateway's
# tables and the demo data label them.
UNKNOWN = "unknown"  # a code not recorded (referrals from before the codes were kept)
REPORT_OUTCOMES = ("accepted", "declined", "withdrawn", "pending")  # of a period's referrals
AGE_BANDS = ("adult", "child")  # at identification; a child is under 18
PERSON_LABELS = {("female", "adult"): "women", ("male", "adult"): "men",
                 ("female", "child"): "girls", ("male", "child"): "boys"}
EXPLOITATION_CATEGORIES = ("labour", "sexual", "labour_and_sexual", "other")


def exploitation_category(forms) -> str:
    """One category per person (codes of ``EXPLOITATION_TYPES``), so the categories add up to
    the people counted: labour only, sexual only, both, or any other form (forced marriage,
    criminality, organ removal...); ``UNKNOWN`` when no form is recorded."""
    forms = set(forms) - {""}
    if not forms:
        return UNKNOWN
    if forms == {"labour"}:
        return "labour"
    if forms == {"sexual"}:
        return "sexual"
    if forms == {"labour", "sexual"}:
        return "labour_and_sexual"
    return "other"
