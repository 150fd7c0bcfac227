"""The Human Trafficking Case Data Standard (HTCDS, IOM, CC BY 4.0) at the shelter: the codes
staff record on a resident's plan, and a period's export in the standard's shape with the
small-cell rule of the public report (k = 11, decision 0024). Plain rules; no I/O.

The value lists are the standard's value names as it spells them, copied in
docs/standards/htcds/values.json (source, commit and licence there; a unit test keeps the two
equal). Decision 0054 says which fields, why, and how the export is made safe.
"""

from collections import Counter

from services.common.errors import InvalidInput
from services.contracts.htcds import FIELDS, LISTS, MAX_COUNTRIES
from services.contracts.vocabulary import ISO_COUNTRIES

K = 11  # the public report's threshold (decision 0024): CTDC publishes nothing under 11
# the shelter's population group -> the standard's prs_Gender and refnet's age band
GROUPS = {"women": ("Female", "adult"), "men": ("Male", "adult"), "children": ("Unknown", "minor")}
RULE = ("a record whose prs_Gender, age band, prs_Nationality, vic_TypeOfExploitation and "
        f"countries of exploitation together are shared by fewer than {K} records is left out")


def check_case_data(body) -> dict:
    """The codes staff record, checked: each list of distinct values of the standard's list,
    the countries ISO 3166-1 alpha-2. ``InvalidInput`` naming the field (``methods_of_control.2``
    for the third value) otherwise. Returns the same fields, lists in the standard's order."""
    if not isinstance(body, dict):
        raise InvalidInput("an object of codes", field="body")
    for name in body:
        if name not in FIELDS:
            raise InvalidInput("not a case data field", field=name)
    clean: dict = {}
    for name, (_, values) in LISTS.items():
        clean[name] = _distinct(body.get(name, []), name, values)
    origin = body.get("country_of_origin")
    if origin is not None and origin not in ISO_COUNTRIES:
        raise InvalidInput("an ISO 3166-1 alpha-2 code (upper case)", field="country_of_origin")
    clean["country_of_origin"] = origin
    countries = body.get("countries_of_exploitation", [])
    if isinstance(countries, list) and len(countries) > MAX_COUNTRIES:
        raise InvalidInput(f"at most {MAX_COUNTRIES} countries", field="countries_of_exploitation")
    clean["countries_of_exploitation"] = sorted(
        _distinct(countries, "countries_of_exploitation", ISO_COUNTRIES,
                  "an ISO 3166-1 alpha-2 code"))
    return clean


def _distinct(values, name: str, allowed, problem: str = "not a value of the standard's list"):
    if not isinstance(values, list):
        raise InvalidInput("a list", field=name)
    for i, value in enumerate(values):
        if not isinstance(value, str) or value not in allowed:
            raise InvalidInput(problem, field=f"{name}.{i}")
        if value in values[:i]:
            raise InvalidInput("a value is given once", field=f"{name}.{i}")
    if isinstance(allowed, tuple):
        return sorted(values, key=allowed.index)
    return list(values)


def case_status(discharged: bool, outcome: str | None) -> str:
    """cas_Status of a stay at the end of the period: Active while the person stays; Closed
    after a discharge, ClosedReferred when the discharge was a transfer to another provider."""
    if not discharged:
        return "Active"
    return "ClosedReferred" if outcome == "transferred" else "Closed"


def record(case: dict) -> dict:
    """One case in the standard's shape: codes only, no reference, no name, no date.
    ``case`` has ``population_group``, ``status`` (cas_Status) and the recorded codes."""
    gender, band = GROUPS.get(case["population_group"], ("Unknown", "unknown"))
    return {
        "prs_Gender": gender,
        "refnet_AgeBand": band,
        "prs_Nationality": case["country_of_origin"],
        **{field: list(case[name]) for name, (field, _) in LISTS.items()},
        "hte_Events": [{"hte_Type": "Exploitation", "hte_Country": country}
                       for country in case["countries_of_exploitation"]],
        "cas_Status": case["status"],
    }


def quasi_identifiers(r: dict) -> tuple:
    """What an outsider may know of a person and match a record with."""
    return (r["prs_Gender"], r["refnet_AgeBand"], r["prs_Nationality"] or "",
            tuple(sorted(r["vic_TypeOfExploitation"])),
            tuple(sorted(e["hte_Country"] for e in r["hte_Events"])))  # sets: order says nothing


def export(cases, k: int = K) -> dict:
    """The period's records with every record of a combination of quasi-identifiers shared by
    fewer than ``k`` records left out, and how many were. Records are ordered by their content
    and numbered 1..n afterwards: the number is opaque and says nothing of when or who."""
    records = [record(c) for c in cases]
    sizes = Counter(quasi_identifiers(r) for r in records)
    kept = [r for r in records if sizes[quasi_identifiers(r)] >= k]
    kept.sort(key=lambda r: repr(sorted(r.items())))
    return {"records": [{"record": str(i), **r} for i, r in enumerate(kept, start=1)],
            "suppression": {"threshold": k, "rule": RULE, "records": len(records),
                            "suppressed_records": len(records) - len(kept)}}


def latest_per_stay(rows) -> list:
    """One row per stay (``admission_id``): a person transferred between providers has a plan
    at each; the codes recorded last count once."""
    latest: dict = {}
    for row in rows:
        seen = latest.get(row["admission_id"])
        if seen is None or row["updated_at"] > seen["updated_at"]:
            latest[row["admission_id"]] = row
    return list(latest.values())
