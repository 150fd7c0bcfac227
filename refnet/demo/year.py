"""``refnet demo-year``: drive the real HTTP API through an invented first year of the shelter.

The plan (``year_plan``) says what happens on which day; this module does it through the
gateway with bearer tokens, one day at a time, with the network's demo clock
(``REFNET_DEMO_CLOCK_FILE``, docs/decisions/0023) set to that day, so every time the services
record (submission, decision, admission, discharge, milestones, court cases) is a real date in
the year. After each day it waits until the referrals touched that day show the expected status,
so the next day's events never overtake it. At the end the clock is set back to now.
"""

import os
import time
from datetime import date, datetime, time as day_time, timedelta, timezone

import requests

from . import year_plan

ORDER = ("discharge", "submit", "withdraw", "decide", "admit", "milestone", "legal_case", "court")
# a discharge as transferred is closed at once: no follow-up is scheduled (docs/decisions/0051)
SETTLED = {"submit": ("received",), "withdraw": ("withdrawn",), "decide": None,
           "admit": ("admitted",), "discharge": ("discharged", "closed")}


class DemoError(RuntimeError):
    """The API answered something the year did not plan for."""


class Driver:
    """Calls the API as the demo users, retrying what the API says to retry (429, 503)."""

    def __init__(self, url: str, token_secret: str, clock_file: str, first_day: date):
        from gateway.tokens import issue_token
        self.url, self.clock_file, self.first_day = url.rstrip("/") + "/api/v1", clock_file, first_day
        self.session = requests.Session()
        self._tokens: dict[tuple[str, str, str], str] = {}
        self._issue = lambda user, role, agency: issue_token(token_secret, user=user, role=role,
                                                             agency=agency, ttl=6 * 3600)

    def token(self, user: str, role: str, agency: str) -> str:
        """A bearer token of a demo user (issued once, kept)."""
        key = (user, role, agency)
        if key not in self._tokens:
            self._tokens[key] = self._issue(user, role, agency)
        return self._tokens[key]

    def set_day(self, day: int) -> None:
        """Move the demo clock to 09:00 UTC of the year's ``day`` (written atomically)."""
        target = datetime.combine(self.first_day + timedelta(days=day), day_time(9, 0),
                                  tzinfo=timezone.utc)
        offset = (target - datetime.now(timezone.utc)).total_seconds()
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{offset:.3f}")
        os.replace(tmp, self.clock_file)

    def reset_clock(self) -> None:
        """Put the demo clock back at now."""
        with open(self.clock_file, "w") as f:
            f.write("0")

    def call(self, method: str, path: str, token: str, expect=(200, 201, 202), retry_on=(),
             **kwargs) -> dict:
        """One request; 429 waits for Retry-After (the per-user rate limit), 502/503 and
        ``retry_on`` are tried again for up to 30 s, anything else unexpected raises."""
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        deadline, limited_until = time.time() + 30, time.time() + 180
        while True:
            response = self.session.request(method, self.url + path, timeout=30, headers=headers,
                                            **kwargs)
            if response.status_code in expect:
                return response.json()
            if response.status_code == 429 and time.time() < limited_until:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if (response.status_code in (502, 503) or response.status_code in retry_on) \
                    and time.time() < deadline:
                time.sleep(0.2)
                continue
            raise DemoError(f"{method} {path}: {response.status_code} {response.text[:300]}")


def _submission(p: year_plan.Person, first_day: date) -> dict:
    identified = first_day + timedelta(days=max(0, p.referred - 1))
    return {
        "survivor": {"name": f"Demo Year Person {p.key[-3:]}", "sex": p.sex, "age": p.age,
                     "age_estimated": True, "nationality": p.nationality, "languages": ["ar"]},
        "exploitation_types": p.exploitation, "identified_on": identified.isoformat(),
        "identified_place": "Erbil", "needs": ["shelter", "legal", "psychosocial"], "children": [],
        "urgency": "urgent",
        "consent": {"given": True, "recorded_by": "Officer Demo",
                    "basis": "best_interest" if p.child else "informed_consent"},
        "officer": {"name": "Officer Demo", "unit": p.source},
        # the year is the one shelter's: addressed to it, a decline ends a referral there
        # rather than passing it to another provider of the network (docs/decisions/0039)
        "addressed_to": year_plan.PROVIDER,
    }


def _actions(people: list[year_plan.Person]) -> dict[int, list]:
    days: dict[int, list] = {}

    def add(day, kind, person, *extra):
        days.setdefault(day, []).append((ORDER.index(kind), kind, person, extra))

    for p in people:
        add(p.referred, "submit", p)
        if p.outcome == "withdrawn":
            add(p.decided, "withdraw", p)
        elif p.outcome in ("accepted", "declined"):
            add(p.decided, "decide", p)
        if p.admitted is not None:
            add(p.admitted, "admit", p)
        if p.discharged is not None:
            add(p.discharged, "discharge", p)
        for code, day in p.milestones.items():
            add(day, "milestone", p, code)
        if p.legal_case is not None:
            add(p.legal_case, "legal_case", p)
        for day, status, verdict in p.court_steps:
            add(day, "court", p, status, verdict)
    return days


def run(url: str, token_secret: str, clock_file: str, first_day: date, seed: int = year_plan.SEED,
        log=print) -> dict:
    """Drive the whole year; returns the period and what was done."""
    people = year_plan.plan(seed)
    d = Driver(url, token_secret, clock_file, first_day)
    admin = d.token("admin.demo", "admin", "refnet-admin")
    shelter_agency = year_plan.PROVIDER
    intake = d.token("intake.demo", "shelter", shelter_agency)
    legal = d.token("lawyer.demo", "legal", "erbil-legal-aid")
    refs, admissions, plans, court_ids, cases = {}, {}, {}, {}, {}
    d.set_day(0)
    try:
        for group, beds in year_plan.CAPACITY.items():
            d.call("PUT", f"/shelters/{year_plan.FACILITY}/capacity", admin,
                   json={"population_group": group, "capacity": beds,
                         "reason": "demo year: beds at opening"})
        schedule = _actions(people)
        for day in sorted(schedule):
            d.set_day(day)
            touched = []
            for _, kind, p, extra in sorted(schedule[day], key=lambda a: (a[0], a[2].key)):
                police = d.token(f"officer.{p.source}", "police", p.source)
                cm = d.token(p.case_manager, "shelter", shelter_agency)
                if kind == "submit":
                    answer = d.call("POST", "/referrals", police, json=_submission(p, first_day),
                                    headers={"Idempotency-Key": p.key})
                    refs[p.key] = answer["reference"]
                elif kind == "withdraw":
                    d.call("POST", f"/referrals/{refs[p.key]}/withdraw", police,
                           json={"reason_code": "placed_elsewhere"})
                elif kind == "decide":
                    body = ({"decision": "accept"} if p.outcome == "accepted" else
                            {"decision": "decline", "reason_code": "needs_beyond_capacity"})
                    # a decision the same day as the submission may reach the shelter before
                    # the referral does (the event is on its way): 404 is tried again
                    if p.outcome == "accepted" and p.child:
                        # a minor's placement waits for its best-interests determination
                        # (docs/decisions/0055)
                        d.call("POST", f"/referrals/{refs[p.key]}/best-interests", intake,
                               json={"outcome": "placement_recommended"}, retry_on=(404,))
                    d.call("POST", f"/referrals/{refs[p.key]}/decision", intake, json=body,
                           retry_on=(404,))
                elif kind == "admit":
                    answer = d.call("POST", f"/shelters/{year_plan.FACILITY}/admissions", cm, expect=(201,),
                                    json={"reference": refs[p.key], "case_manager": p.case_manager})
                    admissions[p.key], plans[p.key] = answer["admission_id"], answer["plan_id"]
                    d.call("PUT", f"/shelter/plans/{plans[p.key]}", cm,
                           json={"psychologist": year_plan.PSYCHOLOGIST})
                elif kind == "discharge":
                    d.call("POST", f"/shelters/{year_plan.FACILITY}/admissions/{admissions[p.key]}/discharge",
                           cm, json={"outcome": p.discharge_outcome})
                elif kind == "milestone":
                    code = extra[0]
                    if code == "psychological_screening":
                        psy = d.token(year_plan.PSYCHOLOGIST, "shelter", shelter_agency)
                        d.call("PUT", f"/shelter/plans/{plans[p.key]}/screening", psy,
                               json={"outcome": "support_recommended"})
                    else:
                        d.call("POST", f"/shelter/plans/{plans[p.key]}/milestones/{code}/done", cm)
                elif kind == "legal_case":  # eligibility arrives by event: retry until it has
                    answer = d.call("POST", "/legal/cases", legal, expect=(201,), retry_on=(404, 409),
                                    json={"reference": refs[p.key],
                                          "lawyer": year_plan.LAWYERS[len(cases) % len(year_plan.LAWYERS)]})
                    cases[p.key] = answer["case_id"]
                elif kind == "court":
                    status, verdict = extra
                    if status == "filed":
                        answer = d.call("POST", f"/legal/cases/{cases[p.key]}/court-cases", legal,
                                        expect=(201,), json={
                                            "court": year_plan.COURT, "case_number": f"DY/{p.key[-3:]}",
                                            "charges": [{"statute": "law-6-2018",
                                                         "description": "Trafficking in persons"}],
                                            "standing": "victim", "status": "filed"})
                        court_ids[p.key] = answer["court_case_id"]
                    else:
                        body = {"status": status, **({"verdict": verdict} if verdict else {})}
                        d.call("POST", f"/court-cases/{court_ids[p.key]}/status", legal, json=body)
                if kind in SETTLED:
                    touched.append((p, kind))
            _settle(d, refs, touched)
    finally:
        d.reset_clock()
    last_day = first_day + timedelta(days=year_plan.YEAR_DAYS - 1)
    log(f"demo year done: {len(refs)} referrals, {len(admissions)} admissions, "
        f"{len(cases)} legal cases, {len(court_ids)} court cases, "
        f"period {first_day.isoformat()} to {last_day.isoformat()}")
    return {"from": first_day.isoformat(), "to": last_day.isoformat(), "referrals": len(refs),
            "admissions": len(admissions), "legal_cases": len(cases), "court_cases": len(court_ids)}


def _settle(d: Driver, refs: dict, touched: list, timeout: float = 60.0) -> None:
    """Wait until every referral touched today shows the status its last action leads to."""
    want = {}
    # a shelter user of its own reads the statuses, so the polling does not spend the rate
    # limit of the users who act
    monitor = d.token("monitor.demo", "shelter", year_plan.PROVIDER)
    for p, kind in touched:
        statuses = SETTLED[kind] or (("bed_held", "accepted") if p.outcome == "accepted" else ("declined",))
        want[refs[p.key]] = statuses
    deadline = time.time() + timeout
    while want:
        for ref, statuses in list(want.items()):
            status = d.call("GET", f"/referrals/{ref}/status", monitor, expect=(200, 404))
            if status.get("status") in statuses:
                del want[ref]
        if want:
            if time.time() > deadline:
                raise DemoError(f"{len(want)} referral(s) did not settle: {list(want.items())[:3]}")
            time.sleep(0.05)
