"""The charts of the report: which ones, their titles and their values. Pure.

The PDF (``pdf``) draws them with matplotlib, the reports page (gateway/web/reports.py) as SVG
of its own; both take them from ``charts`` so that the page shows the charts the PDF has, with
the same values (a suppressed value is ``None``: no bar, marked x).
"""

NAMES = ("people_by_sex_and_age", "people_by_nationality", "people_by_exploitation",
         "referral_outcomes")


def charts(summary: dict) -> list[dict]:
    """``[{"name", "title", "kind", "values": [(code, value), ...]}]`` in the PDF's order;
    ``kind`` names the vocabulary of the codes (for a page's labels)."""
    tables = {t["name"]: t for t in summary["tables"]}
    nat = tables["people_served_by_nationality"]
    ex = tables["people_served_by_exploitation"]
    src = tables["referrals_by_source"]
    return [
        {"name": NAMES[0], "title": "People served, by sex and age band", "kind": "person",
         "values": [(k, summary["headline"].get(k)) for k in ("women", "men", "girls", "boys")]},
        {"name": NAMES[1], "title": "People served, by nationality", "kind": "nationality",
         "values": list(zip(nat["columns"], nat["cells"][0]))},
        {"name": NAMES[2], "title": "People served, by form of exploitation",
         "kind": "exploitation", "values": list(zip(ex["columns"], ex["cells"][0]))},
        {"name": NAMES[3], "title": "Referral outcomes (all sources)", "kind": "referral_outcome",
         "values": list(zip(src["columns"], src["column_totals"]))},
    ]
