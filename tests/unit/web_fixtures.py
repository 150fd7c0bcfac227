"""Answers of the fake RPC layer for the web page tests: the shapes the services return."""

REF = "RN-ABCD-EFGH-IJKL-MNOP"
CASE = "c" * 32
COURT_CASE = "d" * 32
HEARING = "e" * 32
DOC = "f" * 32
DISPUTE = "a" * 32
AT = "2026-11-20T09:30:00Z"

STATUS = {"reference": REF, "status": "bed_held", "timeline": [
    {"at": AT, "agency": "erbil-tip-unit", "status": "submitted", "note": "Submitted"},
    {"at": AT, "agency": "erbil-shelter", "status": "received", "note": "Received"},
    {"at": AT, "agency": "erbil-shelter", "status": "accepted", "note": "Accepted"},
    {"at": AT, "agency": "erbil-criminal-court", "status": "hearing_scheduled", "kind": "legal",
     "hearing_at": "2026-12-10T06:30:00Z", "note": "Hearing at erbil-criminal-court"}],
    "legal": {"court_cases": [{"court_case_id": COURT_CASE, "court": "erbil-criminal-court",
                               "status": "filed", "verdict": None, "changed_at": AT}],
              "hearings": [{"hearing_id": HEARING, "court": "erbil-criminal-court",
                            "court_case_id": COURT_CASE, "starts_at": "2026-12-10T06:30:00Z",
                            "starts_at_local": "2026-12-10T09:30:00+03:00",
                            "time_zone": "Asia/Baghdad", "status": "scheduled"}]}}

LISTING = {"items": [{"reference": REF, "status": "received", "urgency": "urgent",
                      "population_group": "women", "submitted_at": AT, "updated_at": AT}],
           "next_cursor": None}

SUBMISSION = {
    "survivor": {"name": "Amina K.", "sex": "female", "birth_year": 1998, "age_estimated": True,
                 "nationality": "ET", "languages": ["am", "ar"], "phone": "+9647501234567"},
    "exploitation_types": ["labour"], "identified_on": "2026-11-20", "identified_place": "Erbil",
    "needs": ["shelter", "legal"], "children": [{"sex": "female", "age": 6}], "urgency": "urgent",
    "consent": {"given": True, "recorded_by": "Officer Hawre", "basis": "informed_consent"},
    "officer": {"name": "Officer Hawre", "unit": "Erbil TIP Unit"}, "circumstances": "Found at a farm."}

FILE = {"reference": REF, "status": "received", "referring_agency": "erbil-tip-unit",
        "submitted_at": AT, "population_group": "women", "beds_needed": 2, "submission": SUBMISSION}

INCOMING = [{"reference": REF, "population_group": "women", "urgency": "urgent",
             "needs": ["shelter", "legal"], "children_count": 1, "beds_needed": 2,
             "referring_agency": "erbil-tip-unit", "status": "received", "received_at": AT,
             "decided_at": None, "decision_reason": None}]

COUNT = {"facility": "erbil-shelter", "facility_name": "Demo shelter", "population_group": "women",
         "capacity": 25, "out_of_service": 1, "occupied": 3, "held": 2, "available": 19,
         "updated_at": AT}

AVAILABILITY = {"facilities": [COUNT, {**COUNT, "population_group": "men", "capacity": 12,
                                       "out_of_service": 0, "occupied": 0, "held": 0, "available": 12}]}

PLACE_HELD = {"reference": REF, "state": "held", "population_group": "women", "beds": 2,
              "admission_id": None, "case_manager": None, "held_at": AT,
              "hold_expires_at": "2026-11-22T09:30:00Z", "admitted_at": None,
              "discharged_at": None, "outcome": None}
PLACE_ADMITTED = {**PLACE_HELD, "reference": "RN-QRST-UVWX-YZ23-4567", "state": "admitted",
                  "admission_id": 7, "case_manager": "intake.demo", "admitted_at": AT}

BOARD = {"facility": "erbil-shelter", "facility_name": "Demo shelter", "groups": [
    {**COUNT, "out_of_service_reason": "water damage", "out_of_service_until": "2026-12-01",
     "places": [PLACE_HELD, PLACE_ADMITTED]}]}

# the referral page's part of the shelter: the provider's facilities and the referral's place
NOT_PLACED = {"facilities": [], "place": None}

CENSUS = {"facility": "erbil-shelter", "facility_name": "Demo shelter", "date": "2026-11-20",
          "arrivals": [PLACE_ADMITTED], "expected_arrivals": [PLACE_HELD],
          "departures": [{**PLACE_ADMITTED, "state": "discharged", "outcome": "repatriated"}],
          "census": {"women": {"residents": 1, "beds_occupied": 2},
                     "men": {"residents": 0, "beds_occupied": 0},
                     "children": {"residents": 0, "beds_occupied": 0}}}

WAITLIST = [{"reference": "RN-WAIT-WAIT-WAIT-WAIT", "population_group": "women", "position": 1,
             "beds": 1, "urgency": "routine", "waitlisted_at": AT, "priority": 0}]

HISTORY = [{"population_group": "women", "change": "capacity", "capacity": 25, "out_of_service": 0,
            "occupied": 0, "held": 0, "reason": "new wing", "changed_by": "admin.demo",
            "changed_at": AT}]

MILESTONES = {"state": "overdue", "as_of": AT, "count": 1, "groups": [
    {"facility": "erbil-shelter", "case_manager": "intake.demo", "count": 1, "milestones": [
        {"milestone": "psychological_screening", "due_at": AT, "done_at": None, "done_by": None,
         "state": "overdue", "plan_id": 1, "reference": REF, "admission_id": 7,
         "facility": "erbil-shelter", "case_manager": "intake.demo"}]}]}

HEARING_ROW = {"hearing_id": HEARING, "reference": REF, "case_id": CASE, "court_case_id": COURT_CASE,
               "case_number": "123/2026", "court": "erbil-criminal-court",
               "starts_at": "2026-12-10T06:30:00Z", "starts_at_local": "2026-12-10T09:30:00+03:00",
               "local_date": "2026-12-10", "local_time": "09:30", "time_zone": "Asia/Baghdad",
               "attendance_required": True, "purpose": "Testimony", "status": "scheduled",
               "outcome_note": None}

COURT_CASE_VIEW = {"court_case_id": COURT_CASE, "case_id": CASE, "reference": REF,
                   "court": "erbil-criminal-court", "case_number": "123/2026",
                   "charges": [{"statute": "law-6-2018", "description": None}], "standing": "victim",
                   "status": "filed", "verdict": None, "updated_at": AT,
                   "status_history": [{"status": "filed", "changed_at": AT}], "hearings": [HEARING_ROW]}

CASE_VIEW = {"case_id": CASE, "reference": REF, "lawyer": "lawyer.demo", "status": "open",
             "opened_at": AT, "opened_by": "lawyer.demo", "closed_at": None, "closure_reason": None,
             "status_history": [{"from": None, "to": "open", "reason_code": None, "at": AT,
                                 "by": "lawyer.demo", "role": "legal"}],
             "lawyer_history": [{"from": None, "to": "lawyer.demo", "reason_code": None, "at": AT,
                                 "by": "lawyer.demo"}],
             "notes": [{"note_id": "1" * 32, "author": "lawyer.demo", "text": "Strategy", "created_at": AT}],
             "counselling_sessions": [{"session_id": "2" * 32, "held_on": "2026-11-21",
                                       "topic": "Rights", "lawyer": "lawyer.demo"}],
             "court_cases": [COURT_CASE_VIEW], "hearings": [HEARING_ROW],
             "documents": [{"document_id": DOC, "case_id": CASE, "kind": "passport",
                            "authority": "Embassy", "status": "requested", "requested_on": "2026-11-21",
                            "updated_at": AT}],
             "labour_disputes": [{"dispute_id": DISPUTE, "case_id": CASE, "employer": "Farm Co.",
                                  "claims": ["unpaid_wages"], "amount_claimed": 1000,
                                  "amount_recovered": None, "currency": "USD", "status": "open",
                                  "outcome": None, "opened_on": "2026-11-21", "updated_at": AT}]}

CASES = [{k: CASE_VIEW[k] for k in ("case_id", "reference", "lawyer", "status", "opened_at", "opened_by")}]
ELIGIBLE = [{"reference": "RN-ELIG-IBLE-ELIG-IBLE", "status": "eligible", "eligible_since": AT}]


# a care-plan item referred to a partner agency, as the partner's list shows it (decision 0040)
PARTNER_REFERRALS = [
    {"partner_referral_id": "9" * 32, "reference": REF, "agency": "erbil-shelter",
     "partner_agency": "iom-erbil", "service": "return_reintegration", "status": status,
     "reason_code": None, "outcome_code": None, "sent_at": AT, "updated_at": AT}
    for status in ("sent", "accepted")]
PARTNER_REFERRALS[1]["partner_referral_id"] = "8" * 32

# the status-level summary a provider without consent to share the file reads (decision 0040)
FILE_SUMMARY = {"reference": REF, "status": "received", "file_shared": False,
                "population_group": "women", "beds_needed": 2, "urgency": "urgent",
                "needs": ["shelter", "legal"], "service_languages": ["am", "ar"],
                "children_count": 1}


TASKS = {"items": [
    {"id": "1" * 32, "kind": "accompaniment", "status": "to_arrange", "reference": REF,
     "facility": "erbil-shelter", "assignee": None, "requested_by": None,
     "due_at": "2026-03-05T07:00:00Z", "overdue": True, "hearing_id": "c" * 32, "plan_id": None,
     "item_id": None, "changed_at": AT, "changed_by": "refnet-shelter"},
    {"id": "2" * 32, "kind": "cash_approval", "status": "assigned", "reference": REF,
     "facility": "erbil-shelter", "assignee": "manager.two", "requested_by": "cm.one",
     "due_at": "2026-03-06T07:00:00Z", "overdue": False, "hearing_id": None, "plan_id": 12,
     "item_id": 3, "changed_at": AT, "changed_by": "cm.one"}],
    "next_cursor": "abc"}


FOLLOW_UP = {"follow_up_id": 41, "admission_id": 7, "reference": REF, "facility": "erbil-shelter",
             "case_manager": "cm.one", "months": 1, "discharged_on": "2026-02-01",
             "due_on": "2026-03-01", "state": "overdue", "outcome": None, "contacted_on": None,
             "recorded_at": None, "recorded_by": None, "ended_at": None}
FOLLOW_UPS = {"state": "overdue", "as_of": "2026-03-10", "count": 2, "follow_ups": [
    FOLLOW_UP, {**FOLLOW_UP, "follow_up_id": 42, "months": 3, "due_on": "2026-05-01",
                "state": "recorded", "outcome": "reached_safe", "contacted_on": "2026-03-02",
                "recorded_at": AT, "recorded_by": "cm.one"}]}


def answer_everything(rpc) -> None:
    r = rpc.responses
    r[("shelter", "list_follow_ups")] = FOLLOW_UPS
    r[("shelter", "list_tasks")] = TASKS
    r[("shelter", "list_partner_referrals")] = PARTNER_REFERRALS
    r[("referral", "list_referrals")] = LISTING
    r[("referral", "get_status")] = STATUS
    r[("referral", "get_file")] = FILE
    r[("shelter", "list_incoming")] = {"items": INCOMING, "next_cursor": None}
    r[("shelter", "availability")] = AVAILABILITY["facilities"]
    r[("shelter", "bed_board")] = BOARD
    r[("shelter", "referral_place")] = NOT_PLACED
    r[("shelter", "daily_census")] = CENSUS
    r[("shelter", "waitlist")] = WAITLIST
    r[("shelter", "capacity_history")] = HISTORY
    r[("shelter", "list_milestones")] = MILESTONES
    r[("legal", "list_cases")] = CASES
    r[("legal", "list_eligible")] = ELIGIBLE
    r[("legal", "get_case")] = CASE_VIEW
    r[("legal", "list_court_cases")] = [COURT_CASE_VIEW]
    r[("legal", "get_court_case")] = COURT_CASE_VIEW
    r[("legal", "list_hearings")] = [HEARING_ROW]
