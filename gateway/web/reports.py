"""The reports page: a period's figures for analysts (public audience) and shelter staff
(internal or public), as the API's ``report_summary`` gives them to that person.

The public audience asks for a whole calendar month, quarter or year (the API's ``period``);
shelter staff may also ask any days (``from``, ``to``) for either audience, the API refusing a
public day range that is not a whole calendar unit. A refusal is shown beside its field and
nothing else. The figures: headline, measures, every table (a suppressed value is ``x``, with
the small-cell rule said once above the tables), the charts the PDF has (drawn here as SVG from
the same chart definitions, gateway/reports/charts.py, each with its figures as a table), and
links to the CSV and the PDF the API makes.
"""

from datetime import date, timedelta

from flask import current_app, request
from markupsafe import Markup, escape

from .. import api
from ..directory import name_in
from ..reports.charts import charts
from .core import answer, blueprint, call, clock, current_language, identity, page, render_page
from .forms import INPUT_ERRORS, F, build, field_errors
from .forms import message as api_message
from .i18n import gettext as _, lazy_gettext as _l
from .labels import label

PERIOD = [F("period"), F("audience")]
DAYS = [F("from"), F("to"), F("audience")]

HEADLINE = {
    "people_referred": _l("People referred"), "people_admitted": _l("People admitted"),
    "people_served": _l("People served"), "nationalities": _l("Nationalities"),
    "women": _l("Women"), "men": _l("Men"), "girls": _l("Girls"), "boys": _l("Boys"),
    "legal_cases_opened": _l("Legal cases opened"), "court_cases_opened": _l("Court cases opened"),
}
MEASURES = {
    "acceptance_rate": _l("Referrals accepted, of those decided"),
    "days_referral_to_decision": _l("Days from referral to decision (median)"),
    "days_referral_to_admission": _l("Days from referral to admission (median)"),
    "occupancy_rate": _l("Occupancy: bed-nights occupied of bed-nights of capacity"),
    "average_length_of_stay": _l("Average length of stay of the stays that ended in the period"),
    "first_week_compliance": _l("First-week milestones done on time"),
}
UNITS = {"%": _l("%"), "days": _l("days")}
TABLES = {
    "referrals_by_source": _l("People referred, by referral source and outcome"),
    "people_served_by_sex_and_age": _l("People served, by sex and age band"),
    "people_served_by_nationality": _l("People served, by nationality"),
    "people_served_by_exploitation": _l("People served, by form of exploitation"),
    "discharges_by_outcome": _l("Discharges, by outcome"),
    "first_week_milestones": _l("First-week milestones due in the period"),
    "court_cases_by_outcome": _l("Court cases opened, by where they stood at the end of the "
                                 "period"),
    "follow_up_outcomes": _l("Follow-up contacts after discharge made in the period, by outcome"),
}
CHARTS = {
    "people_by_sex_and_age": _l("People served, by sex and age band"),
    "people_by_nationality": _l("People served, by nationality"),
    "people_by_exploitation": _l("People served, by form of exploitation"),
    "referral_outcomes": _l("Referral outcomes (all sources)"),
}
AXES = {"referral source": _l("Referral source"), "outcome": _l("Outcome"), "sex": _l("Sex"),
        "age band": _l("Age band"), "nationality": _l("Nationality"),
        "form of exploitation": _l("Form of exploitation"), "milestone": _l("Milestone"),
        "done": _l("Done")}
# the codes of the tables' rows and columns, by vocabulary (gateway/reports/figures.py)
CODES = {
    "referral_outcome": {"accepted": _l("Accepted"), "declined": _l("Declined"),
                         "withdrawn": _l("Withdrawn"), "pending": _l("Not yet decided")},
    "age": {"adult": _l("Adult"), "child": _l("Child")},
    "person": {"women": _l("Women"), "men": _l("Men"), "girls": _l("Girls"), "boys": _l("Boys")},
    "exploitation": {"labour": _l("Labour exploitation"), "sexual": _l("Sexual exploitation"),
                     "labour_and_sexual": _l("Labour and sexual exploitation"),
                     "other": _l("Other")},
    "done": {"on_time": _l("On time"), "late": _l("Late"), "not_done": _l("Not done")},
    "court_outcome": {"investigation": _l("Investigation"), "filed": _l("Filed"),
                      "trial": _l("Trial"), "appeal": _l("Appeal"), "convicted": _l("Convicted"),
                      "acquitted": _l("Acquitted"), "dismissed": _l("Dismissed"),
                      "closed_without_verdict": _l("Closed without a verdict")},
}
# what the rows and columns of each table are: (rows, columns)
TABLE_CODES = {
    "referrals_by_source": ("agency", "referral_outcome"),
    "people_served_by_sex_and_age": ("sex", "age"),
    "people_served_by_nationality": (None, "nationality"),
    "people_served_by_exploitation": (None, "exploitation"),
    "discharges_by_outcome": (None, "outcome"),
    "first_week_milestones": ("milestone", "done"),
    "court_cases_by_outcome": (None, "court_outcome"),
    "follow_up_outcomes": (None, "follow_up_outcome"),
}
# the API's messages about a report's period (gateway/resources/reports.py, services/common/period.py)
MESSAGES = {
    "a year (2025), a quarter (2025-Q2) or a month (2025-04)":
        _l("A year (2025), a quarter (2025-Q2) or a month (2025-04)."),
    "from must be the first day of a month, quarter or year":
        _l("For the public: the first day of a month, quarter or year."),
    "to must be the last day of the month, quarter or year that from begins (whole calendar "
    "months, quarters or years only)":
        _l("For the public: the last day of the month, quarter or year that the first day "
           "begins (whole calendar months, quarters or years only)."),
    "to is before from.": _l("The last day is before the first."),
    "A period is at most 3660 days.": _l("A period is at most 3660 days."),
    "A year from 1900 to 2999.": _l("A year from 1900 to 2999."),
    "Give period, or from and to, not both.": _l("Give a period, or a first and last day, not both."),
}


def code_label(kind: str | None, code) -> str:
    """A row's or column's code as a person reads it."""
    if code == "other":
        return _("Other")
    if code == "total":
        return _("Total")
    if kind == "nationality":
        return _("Unknown") if code == "unknown" else _country_name(code)
    if kind == "agency":
        entry = current_app.extensions["refnet.directory"].agency(code)
        return name_in(entry, current_language(), code)
    if kind in ("sex", "milestone", "outcome", "follow_up_outcome"):
        return label(kind, code)
    found = CODES.get(kind or "", {}).get(code)
    return str(found) if found is not None else str(code)


def _country_name(code: str) -> str:
    from flask_babel import get_locale
    return get_locale().territories.get(code, code)


def _errors(exc, fields) -> dict[str, list[str]]:
    """The refused query's errors by input, in the person's language."""
    errors = field_errors(exc, fields)
    items = getattr(exc, "errors", None) or [{"field": getattr(exc, "field", "") or "",
                                               "message": getattr(exc, "detail", "")}]
    for item in items:  # the report's own messages, where forms.py has none
        text = (item.get("message") or "").strip()
        field = item.get("field") or ""
        if field and text.startswith(field + ": "):  # a service's InvalidInput names its field
            text = text[len(field) + 2:]
        if text in MESSAGES:
            name = item.get("field") if item.get("field") in {f.path for f in fields} else ""
            generic = api_message(item.get("message") or "")
            shown = errors.setdefault(name, [])
            if generic in shown:
                shown.remove(generic)
            if str(MESSAGES[text]) not in shown:
                shown.append(str(MESSAGES[text]))
    return errors


def _defaults(today: date) -> dict:
    """The picker's starting values: last calendar year; this month so far."""
    return {"period": str(today.year - 1), "from": today.replace(day=1).isoformat(),
            "to": today.isoformat(), "audience": "public"}


def _shortcuts(today: date) -> list[tuple[str, str]]:
    """Whole calendar periods just past: last month, last quarter, last year."""
    last_month = today.replace(day=1) - timedelta(days=1)
    quarter = (today.month - 1) // 3
    year_of_q, last_q = (today.year, quarter) if quarter else (today.year - 1, 4)
    return [(f"{last_month.year}-{last_month.month:02d}", _("Last month")),
            (f"{year_of_q}-Q{last_q}", _("Last quarter")), (str(today.year - 1), _("Last year"))]


@blueprint.get("/reports")
@page("shelter", "analyst")
def reports():
    who = identity()
    choose = who.role == "shelter"   # the internal audience is shelter staff's only
    args = request.args
    today = clock().today()
    values = {**_defaults(today), "days_audience": "internal",
              **{k: v for k, v in args.items() if k in ("period", "from", "to", "audience")}}
    form = ("days" if choose and ("from" in args or "to" in args)
            else "period" if "period" in args else None)
    if form == "days":
        values["days_audience"] = args.get("audience", "internal")
        values["period"] = _defaults(today)["period"]
    if not choose:
        values["audience"] = "public"
    summary, errors, query, status = None, {}, None, 200
    if form:
        fields = DAYS if form == "days" else PERIOD
        query = build(args, fields)
        if form == "period":   # an empty period is the API's to refuse, beside it
            query["period"] = query.get("period", "")
        if not choose:
            query["audience"] = "public"
        elif form == "days":
            query.setdefault("audience", "internal")
        try:
            summary = call("report_summary", query=query)
        except INPUT_ERRORS as exc:
            errors, status, summary = _errors(exc, fields), 422, None
    view = _view(summary) if summary else None
    return render_page("reports.html", status=status, title=_("Reports"), choose=choose,
                       form=form, values=values, errors=errors, summary=summary, view=view,
                       query=query, shortcuts=_shortcuts(today))


def _download(fmt: str):
    who = identity()
    query = {k: v for k, v in request.args.items() if k in ("period", "from", "to", "audience")}
    if who.role != "shelter":
        query["audience"] = "public"
    return api.respond(answer("report_summary", query={**query, "format": fmt}))


@blueprint.get("/reports.csv")
@page("shelter", "analyst")
def reports_csv():
    return _download("csv")


@blueprint.get("/reports.pdf")
@page("shelter", "analyst")
def reports_pdf():
    return _download("pdf")


# --- what the page shows -------------------------------------------------------------------------

def _fmt(value) -> str:
    if value is None:
        return "x"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _table(t: dict) -> dict:
    """A table as header and rows of (label, [cells], total), cells as shown (None: suppressed)."""
    rows_kind, cols_kind = TABLE_CODES.get(t["name"], (None, None))
    columns = [code_label(cols_kind, c) for c in t["columns"]]
    if t["column_totals"] is not None:
        rows = [(code_label(rows_kind, r), t["cells"][i], t["row_totals"][i])
                for i, r in enumerate(t["rows"])]
        totals = (t["column_totals"], t["total"])
    else:
        rows, totals = [(_("All"), t["cells"][0], t["total"])], None
    axis = t["row_label"] or t["column_label"] or ""
    return {"name": t["name"], "title": str(TABLES.get(t["name"], t["title"])),
            "corner": str(AXES.get(axis, axis)),
            "columns": columns, "rows": rows, "totals": totals, "suppressed": t["suppressed"]}


def _view(summary: dict) -> dict:
    rtl = current_language() in ("ar", "ckb")
    drawn = []
    for chart in charts(summary):
        title = str(CHARTS.get(chart["name"], chart["title"]))
        bars = [(code_label(chart["kind"], code), value) for code, value in chart["values"]]
        drawn.append({"name": chart["name"], "title": title, "bars": bars,
                      "svg": svg_bars(chart["name"], title, bars, rtl)})
    measures = [{"name": m["name"], "title": str(MEASURES.get(m["name"], m["title"])),
                 "value": m["value"], "unit": str(UNITS.get(m["unit"], m["unit"])),
                 "quartiles": (m.get("q1"), m.get("median"), m.get("q3"))
                 if m.get("median") is not None else None} for m in summary["measures"]]
    return {"headline": [(str(HEADLINE.get(k, k)), v) for k, v in summary["headline"].items()],
            "measures": measures, "tables": [_table(t) for t in summary["tables"]],
            "charts": drawn, "public": summary["suppression"]["applied"],
            "suppressed": summary["suppression"]["suppressed_values"]}


# --- the charts as SVG ---------------------------------------------------------------------------

WIDTH, PAD, ROW, VALUE_ROOM, FONT = 400, 6, 48, 110, 16
BAR_COLOUR, TEXT_COLOUR = "#3b6ea5", "#1b1b1b"   # the PDF's bar colour; 4.9:1 on white


def svg_bars(name: str, title: str, bars: list[tuple[str, object]], rtl: bool) -> Markup:
    """A horizontal bar per category, its label above it and its value beside it (x and no bar
    when suppressed), mirrored for a right-to-left page. An image named by its title; the
    figures are in the table that follows it."""
    top = max([v for _, v in bars if isinstance(v, (int, float))] + [1])
    span = WIDTH - 2 * PAD - VALUE_ROOM
    height = PAD * 2 + ROW * len(bars)
    edge = WIDTH - PAD if rtl else PAD
    anchor = "end" if rtl else "start"
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-labelledby="chart-{name}-title chart-{name}-desc" '
           f'xmlns="http://www.w3.org/2000/svg">',
           f'<title id="chart-{name}-title">{escape(title)}</title>',
           f'<desc id="chart-{name}-desc">{escape(_("The figures of this chart are in the table below it."))}</desc>']
    for i, (text, value) in enumerate(bars):
        y = PAD + i * ROW
        width = 0 if not isinstance(value, (int, float)) else round(span * value / top, 1)
        x = edge - width if rtl else edge
        shown = _fmt(value) if value is not None else "x " + _("(suppressed)")
        value_x = (x - 5) if rtl else (x + width + 5)
        out.append(f'<text x="{edge}" y="{y + FONT}" text-anchor="{anchor}" direction="ltr" '
                   f'font-size="{FONT}" fill="{TEXT_COLOUR}">{escape(text)}</text>')
        if width:
            out.append(f'<rect x="{x}" y="{y + FONT + 6}" width="{width}" height="{FONT + 2}" '
                       f'fill="{BAR_COLOUR}"/>')
        out.append(f'<text x="{value_x}" y="{y + 2 * FONT + 6}" text-anchor="{anchor}" '
                   f'direction="ltr" font-size="{FONT}" fill="{TEXT_COLOUR}">{escape(shown)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
