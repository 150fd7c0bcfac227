"""The police submission the benchmark sends: a woman with one child, invented."""

import json

SUBMISSION = {
    "survivor": {"name": "Bench Person A.", "sex": "female", "birth_year": 1998,
                 "age_estimated": True, "nationality": "ET", "languages": ["am", "ar"],
                 "phone": "+9647500000000"},
    "exploitation_types": ["labour"], "identified_on": "2026-11-20",
    "identified_place": "Erbil", "needs": ["shelter", "legal", "documents"],
    "children": [{"sex": "female", "age": 6}], "urgency": "urgent",
    "consent": {"given": True, "recorded_by": "Officer Bench", "basis": "informed_consent"},
    "officer": {"name": "Officer Bench", "unit": "Erbil TIP Unit"},
}
BODY = json.dumps(SUBMISSION).encode()


def numbered(i: int) -> dict:
    """The submission with a survivor of its own (name and birth year from ``i``)."""
    return {**SUBMISSION, "survivor": {**SUBMISSION["survivor"], "name": f"Day Person {i}",
                                       "birth_year": 1990 + i % 15}}
