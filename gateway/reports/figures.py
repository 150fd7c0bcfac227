"""The summary of a period, assembled from what each service answered. Pure.

``build_summary(referral, shelter, legal, audience)`` turns the three services' figures into
tables and measures. ``internal`` shows exact counts; ``public`` first merges small categories
(top nationalities and referral sources, the rest as "other"), then suppresses every table
(``suppression``), and suppresses any rate or day-measure computed from fewer than 11 people
or from a suppressed count; it publishes no measure's base (n). Each count appears in one
table only (admissions by population group would repeat women and men of the sex and age
table, and give the girl away beside it: they are not a table; admissions are a headline).
"""

from services.contracts.vocabulary import (AGE_BANDS, EXPLOITATION_CATEGORIES, PERSON_LABELS,
                                           REPORT_OUTCOMES, SEXES)

from . import suppression

AUDIENCES = ("internal", "public")


def _one_way(name, title, counts: dict[str, int], label: str) -> dict:
    columns = list(counts)
    return {"name": name, "title": title, "row_label": None, "column_label": label, "rows": [],
            "columns": columns, "cells": [[counts[c] for c in columns]], "row_totals": None,
            "column_totals": None, "total": sum(counts.values())}


def _two_way(name, title, rows: list[str], columns: list[str], counts: dict[str, dict],
             row_label: str, column_label: str) -> dict:
    cells = [[(counts.get(r) or {}).get(c, 0) for c in columns] for r in rows]
    return {"name": name, "title": title, "row_label": row_label, "column_label": column_label,
            "rows": rows, "columns": columns, "cells": cells,
            "row_totals": [sum(r) for r in cells],
            "column_totals": [sum(col) for col in zip(*cells)] if rows else [0] * len(columns),
            "total": sum(map(sum, cells))}


def _merge_rows(by_row: dict[str, dict], columns) -> dict[str, dict]:
    """Rows with fewer than 11 in all merged into one "other" row (public)."""
    totals = {r: sum(v.values()) for r, v in by_row.items()}
    kept = suppression.merge_small(totals)
    merged = {r: dict(by_row[r]) for r in kept if r != suppression.OTHER}
    rest = [r for r in by_row if r not in merged]
    if rest:
        merged[suppression.OTHER] = {c: sum(by_row[r].get(c, 0) for r in rest) for c in columns}
    return merged


def tables_of(referral: dict, shelter: dict, legal: dict, audience: str) -> list[dict]:
    """Every count table of the summary, exact (merged for the public when ``audience`` is
    public, not yet suppressed)."""
    public = audience == "public"
    by_source = referral["referrals"]["by_source"]
    if public:
        by_source = _merge_rows(by_source, REPORT_OUTCOMES)
    sources = sorted(by_source, key=lambda s: (s == suppression.OTHER,
                                              -sum(by_source[s].values()), s))
    served = referral["served"]
    sexes = list(SEXES)
    sexes += sorted(s for s in served["by_sex_age"] if s not in sexes)
    bands = list(AGE_BANDS) + sorted({b for v in served["by_sex_age"].values() for b in v}
                                     - set(AGE_BANDS))
    nationality = served["by_nationality"]
    if public:
        nationality = suppression.merge_small(nationality)
    else:
        nationality = dict(sorted(nationality.items(), key=lambda kv: (-kv[1], kv[0])))
    exploitation = {k: served["by_exploitation"].get(k, 0)
                    for k in EXPLOITATION_CATEGORIES}
    exploitation.update({k: v for k, v in served["by_exploitation"].items() if k not in exploitation})
    milestones = shelter["milestones"]
    return [
        _two_way("referrals_by_source", "People referred, by referral source and outcome",
                 sources, list(REPORT_OUTCOMES), by_source, "referral source", "outcome"),
        _two_way("people_served_by_sex_and_age", "People served, by sex and age band "
                 "(women, men, girls, boys)", sexes, bands, served["by_sex_age"], "sex", "age band"),
        _one_way("people_served_by_nationality", "People served, by nationality", nationality,
                 "nationality"),
        _one_way("people_served_by_exploitation", "People served, by form of exploitation",
                 exploitation, "form of exploitation"),
        _one_way("discharges_by_outcome", "Discharges, by outcome",
                 shelter["discharges"]["by_outcome"], "outcome"),
        _two_way("first_week_milestones", "First-week milestones due in the period",
                 list(milestones), ["on_time", "late", "not_done"], milestones, "milestone",
                 "done"),
        _one_way("court_cases_by_outcome", "Court cases opened, by where they stood at the end "
                 "of the period", legal["court_cases"]["by_outcome"], "outcome"),
    ]


def _ratio(numerator, denominator, scale=100.0):
    if numerator is None or denominator in (None, 0):
        return None
    return round(scale * numerator / denominator, 1)


def _safe_n(n: int | None, public: bool) -> bool:
    return n is not None and not (public and 0 < n < suppression.THRESHOLD)


def _quartile_measure(name, title, q: dict, public: bool) -> dict:
    shown = _safe_n(q.get("n"), public)
    return {"name": name, "title": title, "unit": "days", "n": q.get("n"),
            **{k: (q.get(k) if shown else None) for k in ("q1", "median", "q3")},
            "value": q.get("median") if shown else None}


def build_summary(referral: dict, shelter: dict, legal: dict, audience: str) -> dict:
    """The whole summary for one audience."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience is one of {AUDIENCES}")
    public = audience == "public"
    tables = tables_of(referral, shelter, legal, audience)
    if public:
        tables = [suppression.suppress(t) for t in tables]
    else:
        tables = [{**t, "suppressed": 0} for t in tables]
    by_name = {t["name"]: t for t in tables}

    sources = by_name["referrals_by_source"]
    accepted, declined = sources["column_totals"][0], sources["column_totals"][1]
    decided = None if accepted is None or declined is None else accepted + declined
    sex_age = by_name["people_served_by_sex_and_age"]
    people = {}
    for i, sex in enumerate(sex_age["rows"]):
        for j, band in enumerate(sex_age["columns"]):
            people[PERSON_LABELS.get((sex, band), f"{sex}_{band}")] = sex_age["cells"][i][j]
    milestones = by_name["first_week_milestones"]
    occupancy = shelter["occupancy"]
    stay = shelter["length_of_stay"]
    nationalities = len([k for k, v in referral["served"]["by_nationality"].items()
                         if v and k != "unknown"])
    legal_cases = legal["legal_cases_opened"]

    measures = [
        {"name": "acceptance_rate", "title": "Referrals accepted, of those decided", "unit": "%",
         "n": decided, "value": _ratio(accepted, decided)},
        _quartile_measure("days_referral_to_decision", "Days from referral to decision",
                          referral["durations"]["referral_to_decision"], public),
        _quartile_measure("days_referral_to_admission", "Days from referral to admission",
                          referral["durations"]["referral_to_admission"], public),
        {"name": "occupancy_rate", "title": "Occupancy (bed-nights occupied of bed-nights of "
         "capacity)", "unit": "%", "n": occupancy["residents"] if _safe_n(occupancy["residents"], public) else None,
         "value": _ratio(occupancy["occupied_bed_nights"], occupancy["capacity_bed_nights"])
         if _safe_n(occupancy["residents"], public) else None},
        {"name": "average_length_of_stay", "title": "Average length of stay of the stays that "
         "ended in the period", "unit": "days",
         "n": stay["n"] if _safe_n(stay["n"], public) else None,
         "value": stay["mean_days"] if _safe_n(stay["n"], public) else None,
         **{k: (stay.get(k) if _safe_n(stay["n"], public) else None) for k in ("q1", "median", "q3")}},
        {"name": "first_week_compliance", "title": "First-week milestones done on time",
         "unit": "%", "n": milestones["total"],
         "value": _ratio(milestones["column_totals"][0], milestones["total"])},
    ]
    if public:
        # A rate over a small or suppressed base is suppressed. The base itself (n) is never
        # published: it is a sum of table cells (decisions = accepted + declined), and beside
        # the tables it would give a suppressed cell away (80 decided - 70 accepted = 10).
        for m in measures:
            if not _safe_n(m["n"], True):
                m.update({"value": None, **{k: None for k in ("q1", "median", "q3") if k in m}})
            m["n"] = None
    admitted = shelter["admissions"]["total"]
    headline = {
        "people_referred": sources["total"],
        "people_admitted": admitted if _safe_n(admitted, public) else None,
        "people_served": sex_age["total"],
        "nationalities": nationalities,
        **people,
        "legal_cases_opened": legal_cases if _safe_n(legal_cases, public) else None,
        "court_cases_opened": by_name["court_cases_by_outcome"]["total"],
    }
    return {
        "period": referral["period"],
        "audience": audience,
        "headline": headline,
        "tables": tables,
        "measures": measures,
        "suppression": {
            "applied": public,
            "threshold": suppression.THRESHOLD,
            "rule": ("counts from 1 to 10 suppressed, with complementary suppression so that no "
                     "suppressed value can be worked out from the totals or other cells; small "
                     "categories merged into 'other' first; rates and day-measures over fewer "
                     "than 11 people or a suppressed count suppressed; 0 is shown")
            if public else "none: exact counts (internal audience)",
            "suppressed_values": sum(t["suppressed"] for t in tables),
        },
    }
