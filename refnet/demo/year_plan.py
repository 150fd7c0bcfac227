"""The invented first year of the shelter, as a seeded plan. Pure: no I/O.

70 people served from 11 countries (54 women, 13 men, 2 boys, 1 girl), referred mostly by the
anti-trafficking directorate, for labour and sexual exploitation; a few referrals declined,
withdrawn or still pending; admissions, discharges, first-week milestones, legal cases and
court cases. ``plan(seed)`` gives every action with its day (0 = the first day of the year)
and ``expected(plan)`` the figures the internal report must show, counted with the referral
service's own statistical vocabulary. Every name is invented.
"""

import random
from collections import Counter
from dataclasses import dataclass, field

from services.contracts.submission import ADULT_AGE
from services.contracts.vocabulary import PERSON_LABELS, exploitation_category

from .data import FACILITY as DEMO_FACILITY

YEAR_DAYS = 365
SEED = 2026
FACILITY = DEMO_FACILITY["id"]
PROVIDER = DEMO_FACILITY["provider"]  # the shelter of the year: every referral is addressed to it
CAPACITY = {"women": 40, "men": 15, "children": 6}
COUNTRIES = (("ET", 22), ("BD", 12), ("PH", 8), ("SY", 7), ("NP", 5), ("LK", 4), ("KE", 3),
             ("GH", 3), ("IQ", 3), ("UG", 2), ("ID", 1))          # 70 people, 11 countries
SERVED = {("female", "adult"): 54, ("male", "adult"): 13, ("male", "child"): 2,
          ("female", "child"): 1}
NOT_SERVED = {"declined": 10, "withdrawn": 5, "pending": 1}
SOURCES = (("krg-anti-trafficking-directorate", 0.74), ("erbil-tip-unit", 0.14),
           ("duhok-tip-unit", 0.07), ("labour-inspectorate", 0.05))
DISCHARGE_OUTCOMES = (("repatriated", 0.45), ("reintegrated", 0.3), ("transferred", 0.1),
                      ("self_exit", 0.1), ("other", 0.05))
VERDICTS = (("convicted", 0.6), ("acquitted", 0.25), ("dismissed", 0.15))
CASE_MANAGERS = ("cm.rania", "cm.dilan", "cm.shno")
PSYCHOLOGIST = "psy.avan"
LAWYERS = ("lawyer.hawre", "lawyer.zhilwan")
COURT = "erbil-criminal-court"


@dataclass
class Person:
    """One person referred in the year, and the days of what happens to them."""
    key: str                  # the idempotency key of the submission (and the plan's handle)
    source: str
    sex: str
    age: int
    nationality: str
    exploitation: list[str]
    outcome: str              # accepted | declined | withdrawn | pending
    referred: int             # day of the referral
    decided: int | None = None
    admitted: int | None = None
    discharged: int | None = None
    discharge_outcome: str | None = None
    milestones: dict = field(default_factory=dict)   # code -> day done
    case_manager: str = CASE_MANAGERS[0]
    legal_case: int | None = None
    court_steps: list = field(default_factory=list)  # [(day, status, verdict)]

    @property
    def child(self) -> bool:
        """Under the age of an adult when referred."""
        return self.age < ADULT_AGE

    @property
    def age_band(self) -> str:
        """``child`` or ``adult``, as the referral service codes it."""
        return "child" if self.child else "adult"

    @property
    def group(self) -> str:
        """The population group whose bed the person takes."""
        return "children" if self.child else ("women" if self.sex == "female" else "men")


def _weighted(rng: random.Random, choices) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _exploitation(rng: random.Random, sex: str, child: bool) -> list[str]:
    if sex == "male":
        return ["labour"] if rng.random() < 0.9 else ["labour", "forced_criminality"]
    if child:
        return ["forced_marriage", "sexual"]
    return _weighted(rng, ((("labour",), 0.5), (("sexual",), 0.3), (("labour", "sexual"), 0.15),
                           (("other",), 0.05)))


def plan(seed: int = SEED) -> list[Person]:
    """Every person of the year, with the days of what happens to them."""
    rng = random.Random(seed)
    nationalities = [code for code, n in COUNTRIES for _ in range(n)]
    rng.shuffle(nationalities)
    served = [key for key, n in SERVED.items() for _ in range(n)]
    rng.shuffle(served)
    people: list[Person] = []
    for i, (sex, band) in enumerate(served):
        age = rng.randint(13, 17) if band == "child" else rng.randint(19, 48)
        referred = rng.randint(1, 320)
        decided = referred + rng.randint(1, 3)
        admitted = decided + 1                     # within the 48-hour hold
        stay = rng.randint(14, 150)
        person = Person(key=f"demo-year-{seed}-{i:03d}", source=_weighted(rng, SOURCES), sex=sex,
                        age=age, nationality=nationalities[i],
                        exploitation=_exploitation(rng, sex, band == "child"),
                        outcome="accepted", referred=referred, decided=decided, admitted=admitted,
                        case_manager=CASE_MANAGERS[i % len(CASE_MANAGERS)])
        if admitted + stay < YEAR_DAYS:
            person.discharged = admitted + stay
            person.discharge_outcome = _weighted(rng, DISCHARGE_OUTCOMES)
        last = (person.discharged or YEAR_DAYS) - 1    # the plan closes at discharge
        for code, p_done, late_max in (("psychological_screening", 0.9, 10),
                                       ("legal_rights_briefing", 0.95, 9),
                                       ("plan_agreed", 0.85, 12)):
            day = admitted + rng.randint(1, late_max)
            if rng.random() < p_done and day <= last:
                person.milestones[code] = day
        if not person.child and rng.random() < 0.4:
            opened = admitted + rng.randint(3, 20)
            if opened <= last:
                person.legal_case = opened
                day = opened + rng.randint(5, 30)
                steps = [(day, "filed", None)]
                for status, gap in (("trial", (20, 60)), ("verdict", (30, 90))):
                    day += rng.randint(*gap)
                    if day >= YEAR_DAYS or rng.random() < 0.2:
                        break
                    steps.append((day, status, _weighted(rng, VERDICTS) if status == "verdict" else None))
                person.court_steps = [s for s in steps if s[0] < YEAR_DAYS]
        people.append(person)
    n = len(people)
    for outcome, count in NOT_SERVED.items():
        for _ in range(count):
            sex = "female" if rng.random() < 0.75 else "male"
            referred = 362 if outcome == "pending" else rng.randint(1, 355)
            person = Person(key=f"demo-year-{seed}-{n:03d}", source=_weighted(rng, SOURCES),
                            sex=sex, age=rng.randint(19, 50), nationality=rng.choice(nationalities),
                            exploitation=_exploitation(rng, sex, False), outcome=outcome,
                            referred=referred)
            if outcome in ("declined", "withdrawn"):
                person.decided = referred + rng.randint(1, 3)
            people.append(person)
            n += 1
    return people


def peak_occupancy(people: list[Person]) -> dict[str, int]:
    """The most beds each group needs on any day (the plan must fit ``CAPACITY``)."""
    peak = {g: 0 for g in CAPACITY}
    for day in range(YEAR_DAYS):
        for g in CAPACITY:
            here = sum(1 for p in people if p.group == g and p.admitted is not None
                       and p.admitted <= day < (p.discharged or YEAR_DAYS + 1))
            peak[g] = max(peak[g], here)
    return peak


def expected(people: list[Person]) -> dict:
    """The figures the internal report of the year must show, from the plan."""
    served = [p for p in people if p.admitted is not None]
    by_source: dict[str, Counter] = {}
    for p in people:
        by_source.setdefault(p.source, Counter())[p.outcome] += 1
    people_by = Counter(PERSON_LABELS[(p.sex, p.age_band)] for p in served)
    court = Counter()
    for p in served:
        if p.court_steps:
            status, verdict = p.court_steps[-1][1], p.court_steps[-1][2]
            court[verdict or status] += 1
    return {
        "people_referred": len(people),
        "people_served": len(served),
        "nationalities": len({p.nationality for p in served}),
        "people": dict(people_by),
        "by_nationality": dict(Counter(p.nationality for p in served)),
        "by_exploitation": dict(Counter(exploitation_category(p.exploitation)
                                         for p in served)),
        "by_source": {s: dict(c) for s, c in by_source.items()},
        "admissions": {g: sum(1 for p in served if p.group == g) for g in CAPACITY},
        "discharges": dict(Counter(p.discharge_outcome for p in served if p.discharged is not None)),
        "legal_cases_opened": sum(1 for p in served if p.legal_case is not None),
        "court_cases": dict(court),
    }
