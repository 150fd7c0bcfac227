"""The summary of a period, assembled from what each service answered. Pure.

``build_summary(referral, shelter, legal, audience)`` turns the three services' figures into
tables and measures. ``internal`` shows exact counts; ``public`` first merges small categories
(top nationalities and referral sources, the rest as "other"), then suppresses every table
(``suppression``), and suppresses any rate or day-measure computed from fewer than 11 people
or from a suppressed count; it publishes no measure's base (n). Each count appears in one
table only (admissions by population group would repeat women and men of the sex and age
table, and give the girl away beside it: they are not a table; admissions are a headline).

The public audience asks for a whole calendar month, quarter or year; ``build_summary`` then
takes the figures of every calendar period that overlaps it (``related``: its year, quarters
and months) and suppresses them together (``suppression.suppress_together``, for the values
that add up over time, ``OVER_TIME``), with the categories kept from the year's counts, so
that no period's figures, subtracted from another's, give a hidden value away.
"""

from services.contracts.vocabulary import (AGE_BANDS, EXPLOITATION_CATEGORIES, FOLLOW_UP_OUTCOMES,
                                           PERSON_LABELS, REPORT_OUTCOMES, SEXES)

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


def _merge_rows(by_row: dict[str, dict], columns, kept) -> dict[str, dict]:
    """Rows not in ``kept`` merged into one "other" row (public)."""
    merged = {r: dict(by_row.get(r) or {}) for r in kept if r != suppression.OTHER}
    rest = [r for r in by_row if r not in merged]
    if rest:
        merged[suppression.OTHER] = {c: sum(by_row[r].get(c, 0) for r in rest) for c in columns}
    return merged


def kept_categories(referral: dict) -> dict[str, list[str]]:
    """The referral sources and nationalities shown by name to the public (at least 11 people,
    the five largest), from one period's referral figures: the year's, for all its periods."""
    by_source = referral["referrals"]["by_source"]
    totals = {r: sum(v.values()) for r, v in by_source.items()}
    return {"sources": [k for k in suppression.merge_small(totals) if k != suppression.OTHER],
            "nationalities": [k for k in suppression.merge_small(
                referral["served"]["by_nationality"]) if k != suppression.OTHER]}


def _merge_counts(counts: dict[str, int], kept) -> dict[str, int]:
    merged = {k: counts.get(k, 0) for k in kept}
    rest = sum(v for k, v in counts.items() if k not in merged)
    if rest:
        merged[suppression.OTHER] = rest
    return merged


def tables_of(referral: dict, shelter: dict, legal: dict, audience: str,
              kept: dict | None = None) -> list[dict]:
    """Every count table of the summary, exact (merged for the public when ``audience`` is
    public, not yet suppressed; ``kept``: the categories shown by name, else this period's)."""
    public = audience == "public"
    by_source = referral["referrals"]["by_source"]
    if public:
        kept = kept or kept_categories(referral)
        by_source = _merge_rows(by_source, REPORT_OUTCOMES, kept["sources"])
    sources = sorted(by_source, key=lambda s: (s == suppression.OTHER,
                                              -sum(by_source[s].values()), s))
    served = referral["served"]
    sexes = list(SEXES)
    sexes += sorted(s for s in served["by_sex_age"] if s not in sexes)
    bands = list(AGE_BANDS) + sorted({b for v in served["by_sex_age"].values() for b in v}
                                     - set(AGE_BANDS))
    nationality = served["by_nationality"]
    if public:
        nationality = _merge_counts(nationality, kept["nationalities"])
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
        _one_way("follow_up_outcomes", "Follow-up contacts after discharge made in the period, "
                 "by outcome", _follow_up_counts(shelter), "outcome"),
    ]


def _follow_up_counts(shelter: dict) -> dict[str, int]:
    """The shelter's follow-up contacts by outcome (zeros from a shelter service that does not
    count them yet)."""
    counts = (shelter.get("follow_ups") or {}).get("by_outcome") or {}
    return {o: counts.get(o, 0) for o in FOLLOW_UP_OUTCOMES}


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


# What of each table (in the order of ``tables_of``) adds up over time, so that a quarter minus
# its other months could give a month's hidden value away (``suppression.adds_up``): referrals
# and milestones by when they were made or due (rows), outcomes as they stood at the period's
# end (columns, which do not add up); people served in a period do not add up; follow-up
# contacts by the day they were made (every value).
OVER_TIME = ("row_totals", "none", "none", "none", "all", "row_totals", "total", "all")

# headline counts that are in no table: hidden in every overlapping period if hidden in one
_HEADLINE_SCALARS = {"people_admitted": lambda shelter, legal: shelter["admissions"]["total"],
                     "legal_cases_opened": lambda shelter, legal: legal["legal_cases_opened"]}


def build_summary(referral: dict, shelter: dict, legal: dict, audience: str,
                  related: list[tuple[dict, dict, dict]] | None = None) -> dict:
    """The whole summary for one audience. ``related`` (public): the (referral, shelter, legal)
    figures of every calendar period overlapping this one, its year first; suppressed together
    with it. Without it the period is suppressed on its own."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience is one of {AUDIENCES}")
    public = audience == "public"
    hidden_scalars: set[str] = set()
    if public:
        periods = [(referral, shelter, legal)] + list(related or [])
        kept = kept_categories((related or [(referral,)])[0][0])
        together = suppression.suppress_together(
            [tables_of(r, s, g, audience, kept) for r, s, g in periods],
            [suppression.adds_up(kind) for kind in OVER_TIME])
        tables = together[0]
        hidden_scalars = {name for name, of in _HEADLINE_SCALARS.items()
                          if any(not _safe_n(of(s, g), True) for _, s, g in periods)}
    else:
        tables = [{**t, "suppressed": 0} for t in tables_of(referral, shelter, legal, audience)]
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
        "people_admitted": None if "people_admitted" in hidden_scalars else admitted,
        "people_served": sex_age["total"],
        "nationalities": nationalities,
        **people,
        "legal_cases_opened": None if "legal_cases_opened" in hidden_scalars else legal_cases,
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
