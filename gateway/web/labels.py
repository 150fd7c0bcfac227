"""What each code of the shared vocabulary is called on a page, in the person's language.

The services answer with codes (``bed_held``, ``forced_marriage``); a page shows the label of
the code in the chosen language (``label("status", code)`` in templates). A code without a
label is shown as it is, so a new code never breaks a page.
"""

from flask_babel import lazy_gettext as _l

LABELS = {
    "role": {
        "police": _l("Police"), "shelter": _l("Shelter staff"), "legal": _l("Legal team"),
        "court": _l("Court"), "admin": _l("Administrator"), "analyst": _l("Analyst"),
        "partner": _l("Partner agency"),
    },
    "status": {  # a referral's status and the codes on its timeline
        "submitted": _l("Submitted"), "received": _l("Received by the shelter"),
        "screening": _l("Screening"), "accepted": _l("Accepted"), "declined": _l("Declined"),
        "withdrawn": _l("Withdrawn"), "waitlisted": _l("On the waiting list"),
        "bed_held": _l("Bed held"), "admitted": _l("Admitted"), "discharged": _l("Discharged"),
        "closed": _l("Closed"), "consent_withdrawn": _l("Consent withdrawn"),
        "legal_case_opened": _l("Legal case opened"), "legal_case_closed": _l("Legal case closed"),
        "court_investigation": _l("Court case: investigation"),
        "court_filed": _l("Court case: filed"), "court_trial": _l("Court case: trial"),
        "court_verdict": _l("Court case: verdict"), "court_appeal": _l("Court case: appeal"),
        "court_closed": _l("Court case: closed"),
        "hearing_scheduled": _l("Hearing scheduled"), "hearing_held": _l("Hearing held"),
        "hearing_postponed": _l("Hearing postponed"), "hearing_cancelled": _l("Hearing cancelled"),
        "all": _l("All"),
    },
    "group": {"women": _l("Women"), "men": _l("Men"), "children": _l("Children and families")},
    "urgency": {"routine": _l("Routine"), "urgent": _l("Urgent"), "emergency": _l("Emergency")},
    "exploitation": {
        "labour": _l("Labour exploitation"), "sexual": _l("Sexual exploitation"),
        "forced_marriage": _l("Forced marriage"), "forced_criminality": _l("Forced criminality"),
        "organ_removal": _l("Organ removal"), "other": _l("Other"),
    },
    "need": {
        "shelter": _l("Shelter"), "medical": _l("Medical care"), "legal": _l("Legal help"),
        "documents": _l("Identity documents"), "repatriation": _l("Return home"),
        "psychosocial": _l("Psychosocial support"),
    },
    "sex": {"female": _l("Female"), "male": _l("Male")},
    "basis": {"informed_consent": _l("Informed consent of the person"),
              "best_interest": _l("Best interest of the child")},
    "outcome": {"repatriated": _l("Returned home"), "reintegrated": _l("Reintegrated"),
                "transferred": _l("Transferred"), "self_exit": _l("Left by own choice"),
                "other": _l("Other")},
    "place": {"waitlisted": _l("On the waiting list"), "held": _l("Held"),
              "admitted": _l("Admitted"), "discharged": _l("Discharged"),
              "expired": _l("Hold expired"), "released": _l("Released")},
    "court": {"investigation": _l("Investigation"), "filed": _l("Filed"), "trial": _l("Trial"),
              "verdict": _l("Verdict"), "appeal": _l("Appeal"), "closed": _l("Closed")},
    "verdict": {"convicted": _l("Convicted"), "acquitted": _l("Acquitted"),
                "dismissed": _l("Dismissed")},
    "standing": {"victim": _l("Victim"), "witness": _l("Witness"), "plaintiff": _l("Plaintiff"),
                 "defendant": _l("Defendant")},
    "statute": {"law-6-2018": _l("Anti-Trafficking Law No. 6 of 2018"), "other": _l("Other law")},
    "hearing": {"scheduled": _l("Scheduled"), "held": _l("Held"), "postponed": _l("Postponed"),
                "cancelled": _l("Cancelled")},
    "document": {"identity_card": _l("Identity card"), "passport": _l("Passport"),
                 "travel_document": _l("Travel document")},
    "document_status": {"requested": _l("Requested"), "submitted": _l("Submitted"),
                        "issued": _l("Issued"), "rejected": _l("Rejected")},
    "claim": {"unpaid_wages": _l("Unpaid wages"), "confiscated_documents": _l("Confiscated documents"),
              "contract_breach": _l("Breach of contract")},
    "dispute": {"open": _l("Open"), "mediation": _l("In mediation"), "settled": _l("Settled"),
                "failed": _l("Mediation failed"), "referred_to_court": _l("Referred to court")},
    "case": {"open": _l("Open"), "closed": _l("Closed")},
    "eligible": {"eligible": _l("Eligible"), "withdrawn": _l("Withdrawn"),
                 "consent_withdrawn": _l("Consent withdrawn")},
    "milestone": {"case_manager_assigned": _l("Case manager assigned"),
                  "psychological_screening": _l("Psychological screening"),
                  "legal_rights_briefing": _l("Legal rights briefing"),
                  "plan_agreed": _l("Care plan agreed")},
    "milestone_state": {"done": _l("Done"), "due": _l("Due"), "overdue": _l("Overdue")},
    "task_kind": {"accompaniment": _l("Court accompaniment"),
                  "cash_approval": _l("Cash approval")},
    "task_status": {"to_arrange": _l("To arrange"), "assigned": _l("Assigned"),
                    "done": _l("Done"), "not_needed": _l("Not needed"), "open": _l("Open tasks")},
    "reason": {  # why a shelter declined or the police withdrew a referral (decisions.py)
        "no_bed_in_group": _l("No bed for the person's group"),
        "outside_mandate": _l("Outside the shelter's mandate"),
        "needs_beyond_capacity": _l("Medical or psychiatric needs beyond the shelter's capacity"),
        "safety_risk_to_residents": _l("Safety risk to residents"),
        "survivor_declined": _l("The survivor declined"), "duplicate": _l("Duplicate referral"),
        "placed_elsewhere": _l("Placed elsewhere"), "returned_home": _l("Returned home"),
        "referred_in_error": _l("Referred in error"), "other": _l("Other reason"),
        "unknown": _l("Reason not recorded"),
        # why a provider referred a referral on (REFER_ON_REASONS)
        "better_fit_elsewhere": _l("Another provider fits better"),
        "specialised_services": _l("Specialised services needed"),
        "language": _l("Language"), "closer_to_family": _l("Closer to family"),
        "safety": _l("Safety"),
        # why a provider screens before deciding (SCREENING_REASONS)
        "needs_assessment": _l("Needs assessment"), "safety_assessment": _l("Safety assessment"),
        "age_assessment": _l("Age assessment"), "identity_check": _l("Identity check"),
        "interview_pending": _l("Interview with the survivor pending"),
        # why a referral was closed (CLOSURE_REASONS_V2)
        "no_decision": _l("Closed: no decision was recorded"),
        "no_bed": _l("Closed: no bed came free"),
        "no_arrival": _l("Closed: the person did not arrive"),
        "declined_settled": _l("Closed after the decline settled"),
        "withdrawn_settled": _l("Closed after the withdrawal settled"),
        "follow_up_ended": _l("Closed when the follow-up ended"),
    },
    "change": {"capacity": _l("Capacity"), "out_of_service": _l("Out of service")},
    "agency_kind": {  # the agency directory (AGENCY_KINDS)
        "police_unit": _l("Police unit"), "shelter_provider": _l("Shelter provider"),
        "legal_aid": _l("Legal aid"), "court": _l("Court"),
        "international_org": _l("International organisation"), "embassy": _l("Embassy"),
        "labour_office": _l("Labour office"), "health_mhpss": _l("Health and psychosocial care"),
        "other": _l("Other"),
    },
    "agency_service": {  # what an agency offers (AGENCY_SERVICES)
        "shelter": _l("Shelter"), "medical": _l("Medical care"), "legal": _l("Legal help"),
        "documents": _l("Identity documents"), "repatriation": _l("Return home"),
        "psychosocial": _l("Psychosocial support"),
        "return_reintegration": _l("Return and reintegration"),
        "travel_document": _l("Travel document"), "labour_dispute": _l("Labour dispute"),
        "mhpss": _l("Mental health and psychosocial support"), "other": _l("Other"),
    },
    # partner referrals (docs/decisions/0040)
    "partner_service": {"return_reintegration": _l("Return and reintegration"),
                        "travel_document": _l("Travel document"),
                        "labour_dispute": _l("Labour dispute"),
                        "mhpss": _l("Mental health and psychosocial support"),
                        "legal_aid": _l("Legal aid"), "health_care": _l("Health care"),
                        "other": _l("Other service")},
    "partner_status": {"sent": _l("Sent"), "accepted": _l("Accepted"), "declined": _l("Declined"),
                       "done": _l("Done")},
    "partner_decline": {"outside_mandate": _l("Outside the agency's mandate"),
                        "no_capacity": _l("No capacity"),
                        "missing_documents": _l("Documents missing"),
                        "survivor_declined": _l("The survivor declined"),
                        "other": _l("Other reason")},
    "partner_outcome": {"service_delivered": _l("Service delivered"),
                        "partially_delivered": _l("Partly delivered"),
                        "not_delivered": _l("Not delivered"),
                        "survivor_withdrew": _l("The survivor withdrew"), "other": _l("Other outcome")},
    # notifications (docs/decisions/0042): what happened, and the ways a person is told
    "moment": {"referral_offered": _l("A referral is offered to us"),
               "referral_accepted": _l("My referral was accepted"),
               "referral_declined": _l("My referral was declined"),
               "bed_held": _l("A bed is held for my referral"),
               "admitted": _l("The person I referred was admitted"),
               "referral_escalated": _l("My referral was escalated"),
               "hold_expiring": _l("A bed hold is about to expire"),
               "milestone_overdue": _l("A first-week milestone is overdue"),
               "hearing_reminder": _l("A hearing is coming up"),
               "task_assigned": _l("A task was assigned to me"),
               "approval_awaited": _l("A cash request awaits approval"),
               "court_status_changed": _l("A court case changed status"),
               "delivery_failed": _l("A message could not be sent")},
    "channel": {"inbox": _l("Inbox"), "email": _l("Email"), "sms": _l("SMS")},
    # care plans (gateway/web/care.py)
    "plan_status": {"open": _l("Open"), "closed": _l("Closed"), "all": _l("All")},
    "care_service": {"case_management": _l("Case management"),
                     "legal_counselling": _l("Legal counselling"),
                     "court_representation": _l("Court representation"),
                     "identity_documents": _l("Identity documents"),
                     "cash_assistance": _l("Cash assistance"),
                     "labour_mediation": _l("Labour mediation"), "health_care": _l("Health care"),
                     "mhpss": _l("Mental health and psychosocial support")},
    "item_status": {"planned": _l("Planned"), "in_progress": _l("In progress"), "done": _l("Done"),
                    "cancelled": _l("Cancelled")},
    "cash_purpose": {"repatriation": _l("Return home"), "legal_fees": _l("Legal fees"),
                     "other": _l("Other")},
    "screening_outcome": {"no_concerns": _l("No concerns"),
                          "support_recommended": _l("Support recommended"),
                          "specialist_referral": _l("Referral to a specialist")},
    "yesno": {True: _l("Yes"), False: _l("No")},
    # administration (docs/decisions/0043): whose audit trail, and how each call ended
    "service": {"referral": _l("Referral service"), "shelter": _l("Shelter service"),
                "legal": _l("Legal service"), "notify": _l("Notification service")},
    "audit_outcome": {"ok": _l("Done"), "not_found": _l("Not found"), "denied": _l("Refused: role"),
                      "invalid": _l("Refused: input"), "refused": _l("Refused"),
                      "error": _l("Failed")},
    # consent audiences (GET/POST /referrals/{ref}/consent)
    "audience": {"referring_police": _l("The referring police"), "legal_team": _l("The legal team"),
                 "provider": _l("A provider (the file)")},
}


def label(kind: str, code) -> str:
    """The label of ``code`` in vocabulary ``kind``, or the code itself."""
    if code is None:
        return ""
    found = LABELS.get(kind, {}).get(code)
    return str(found) if found is not None else str(code)


def choices(kind: str, codes) -> list[tuple[str, str]]:
    return [(code, label(kind, code)) for code in codes]
