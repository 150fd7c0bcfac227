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
    # a partner agency's officer: sees only the care-plan items referred to intl-return-org
    {"user": "return.demo", "role": "partner", "agency": "intl-return-org"},
]

# The demo agency directory (invented names): two shelter providers (the NGO shelter of the 45
# beds above, and a government shelter), two TIP police units, two courts, a legal-aid
# organisation, an international organisation for return and reintegration, and the agencies of
# the demo administrator and analyst. The government shelter's facility is seeded with the
# shelter service's demo data, not here.
AGENCIES = [
    {"id": "erbil-shelter", "kind": "shelter_provider", "region": "Erbil", "routing_order": 1,
     "names": {"en": "Safe Haven Erbil (NGO shelter)", "ar": "الملاذ الآمن أربيل (دار إيواء منظمة)",
               "ckb": "پەناگەی سەلامەت هەولێر (شێڵتەری ڕێکخراو)"},
     "services": ["shelter", "medical", "psychosocial", "legal", "documents"],
     "languages": ["ar", "ckb", "en", "am"]},
    {"id": "duhok-gov-shelter", "kind": "shelter_provider", "region": "Duhok", "routing_order": 2,
     "names": {"en": "Duhok Government Protection House", "ar": "دار الحماية الحكومية في دهوك",
               "ckb": "ماڵی پاراستنی حکومی دهۆک"},
     "services": ["shelter", "medical", "psychosocial"], "languages": ["ar", "ckb", "kmr"]},
    {"id": "erbil-tip-unit", "kind": "police_unit", "region": "Erbil",
     "names": {"en": "Erbil Anti-Trafficking Police Unit", "ar": "وحدة شرطة مكافحة الاتجار في أربيل",
               "ckb": "یەکەی پۆلیسی دژە بازرگانی بە مرۆڤ لە هەولێر"},
     "services": [], "languages": ["ar", "ckb"]},
    {"id": "duhok-tip-unit", "kind": "police_unit", "region": "Duhok",
     "names": {"en": "Duhok Anti-Trafficking Police Unit", "ar": "وحدة شرطة مكافحة الاتجار في دهوك",
               "ckb": "یەکەی پۆلیسی دژە بازرگانی بە مرۆڤ لە دهۆک"},
     "services": [], "languages": ["ar", "ckb", "kmr"]},
    {"id": "erbil-criminal-court", "kind": "court", "region": "Erbil",
     "names": {"en": "Erbil Criminal Court", "ar": "محكمة جنايات أربيل", "ckb": "دادگای تاوانی هەولێر"},
     "services": [], "languages": ["ar", "ckb"]},
    {"id": "duhok-criminal-court", "kind": "court", "region": "Duhok",
     "names": {"en": "Duhok Criminal Court", "ar": "محكمة جنايات دهوك", "ckb": "دادگای تاوانی دهۆک"},
     "services": [], "languages": ["ar", "ckb"]},
    {"id": "erbil-legal-aid", "kind": "legal_aid", "region": "Erbil",
     "names": {"en": "Erbil Legal Aid Centre", "ar": "مركز المساعدة القانونية في أربيل",
               "ckb": "ناوەندی یارمەتی یاسایی هەولێر"},
     "services": ["legal", "documents", "labour_dispute"], "languages": ["ar", "ckb", "en"]},
    {"id": "intl-return-org", "kind": "international_org", "region": "Kurdistan Region",
     "names": {"en": "International Return and Reintegration Office",
               "ar": "المكتب الدولي للعودة وإعادة الإدماج",
               "ckb": "نووسینگەی نێودەوڵەتی گەڕانەوە و تێکەڵبوونەوە"},
     "services": ["repatriation", "return_reintegration", "travel_document"],
     "languages": ["ar", "ckb", "en", "am", "tl"]},
    # two more referral sources of the demo year (refnet.demo.year_plan.SOURCES)
    {"id": "krg-anti-trafficking-directorate", "kind": "police_unit", "region": "Kurdistan Region",
     "names": {"en": "Anti-Trafficking Directorate", "ar": "مديرية مكافحة الاتجار بالبشر",
               "ckb": "بەڕێوەبەرایەتی دژە بازرگانی بە مرۆڤ"},
     "services": [], "languages": ["ar", "ckb"]},
    {"id": "labour-inspectorate", "kind": "police_unit", "region": "Erbil",
     "names": {"en": "Labour Inspectorate referral desk", "ar": "مكتب إحالات التفتيش العمالي",
               "ckb": "مێزی ڕەوانەکردنی پشکنینی کار"},
     "services": [], "languages": ["ar", "ckb"]},
    {"id": "refnet-admin", "kind": "other", "region": "",
     "names": {"en": "Referral network administration", "ar": "إدارة شبكة الإحالة",
               "ckb": "بەڕێوەبردنی تۆڕی ڕەوانەکردن"}, "services": [], "languages": []},
    {"id": "refnet-analytics", "kind": "other", "region": "",
     "names": {"en": "Referral network analytics", "ar": "تحليلات شبكة الإحالة",
               "ckb": "شیکاری تۆڕی ڕەوانەکردن"}, "services": [], "languages": []},
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
