"""Demo agencies, users and the demo facility. Every name here is invented."""

# The NGO shelter this project started from (45 beds), and a government shelter: two shelter
# providers of one network, each with its own facility (docs/decisions/0038).
FACILITY = {"id": "erbil-shelter", "name": "Demo shelter", "provider": "erbil-shelter"}
CAPACITY = {"women": 25, "men": 12, "children": 8}  # 45 beds
GOV_FACILITY = {"id": "duhok-gov-shelter-1", "name": "Demo government shelter",
                "provider": "duhok-gov-shelter"}
GOV_CAPACITY = {"women": 20, "children": 10}
FACILITIES = [(FACILITY, CAPACITY), (GOV_FACILITY, GOV_CAPACITY)]

USERS = [
    {"user": "officer.demo", "role": "police", "agency": "erbil-tip-unit"},
    {"user": "officer.other", "role": "police", "agency": "duhok-tip-unit"},
    {"user": "intake.demo", "role": "shelter", "agency": "erbil-shelter"},
    {"user": "intake.gov", "role": "shelter", "agency": "duhok-gov-shelter"},
    {"user": "lawyer.demo", "role": "legal", "agency": "erbil-legal-aid"},
    {"user": "clerk.demo", "role": "court", "agency": "erbil-criminal-court"},
    {"user": "admin.demo", "role": "admin", "agency": "refnet-admin"},
    {"user": "analyst.demo", "role": "analyst", "agency": "refnet-analytics"},
]

# An invented referral, in the shape the API takes.
SAMPLE_REFERRAL = {
    "survivor": {"name": "Demo Person A.", "sex": "female", "birth_year": 1998, "age_estimated": True,
                 "nationality": "ET", "languages": ["am", "ar"], "phone": "+9647500000000"},
    "exploitation_types": ["labour"], "identified_on": "2026-11-20", "identified_place": "Erbil",
    "needs": ["shelter", "legal", "documents"], "children": [], "urgency": "urgent",
    "consent": {"given": True, "recorded_by": "Officer Demo", "basis": "informed_consent"},
    "officer": {"name": "Officer Demo", "unit": "Erbil TIP Unit"},
}
