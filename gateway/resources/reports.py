"""Reports: figures for a period from the three services, internal (exact; shelter staff) or
public (suppressed), as JSON, CSV or PDF. The public audience gets whole calendar months, quarters
or years only, suppressed together with every calendar period that overlaps them."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.errors import InvalidInput
from services.common.period import (Period, check_calendar_period,
                                    overlapping_calendar_periods, parse_calendar)

from ..errors import ApiProblem
from .declare import FILTERED, Answer, Ctx, endpoint
from .shapes import Strict, answer, strings

REPORT_ROLES = ("shelter", "analyst")   # internal audience: shelter staff only (decision 0024)


# --- schemas ---------------------------------------------------------------------------------------

def check_period_fields(data: dict, *, calendar: bool, max_days: int | None = None) -> None:
    """A query's period: ``period`` (2025, 2025-Q2, 2025-04) or ``from`` and ``to`` (years 1900
    to 2999, in order, at most ``max_days`` apart; a whole calendar month, quarter or year when
    ``calendar``), each refusal naming its field."""
    if "period" in data:
        if "from_" in data or "to" in data:
            raise ValidationError("Give period, or from and to, not both.", field_name="period")
        try:
            parse_calendar(data["period"])
        except InvalidInput as exc:
            raise ValidationError(str(exc), field_name="period") from None
        return
    for name, key in (("from_", "from"), ("to", "to")):
        if name not in data:
            raise ValidationError("Missing data for required field.", field_name=key)
    for name, key in (("from_", "from"), ("to", "to")):
        if not 1900 <= data[name].year <= 2999:
            raise ValidationError("A year from 1900 to 2999.", field_name=key)
    if data["to"] < data["from_"]:
        raise ValidationError("to is before from.", field_name="to")
    if max_days is not None and (data["to"] - data["from_"]).days >= max_days:
        raise ValidationError(f"A period is at most {max_days} days.", field_name="to")
    if calendar:
        try:
            check_calendar_period(data["from_"], data["to"])
        except InvalidInput as exc:
            raise ValidationError(str(exc), field_name=exc.field) from None


class ReportQuery(Strict):
    from_ = fields.Date(data_key="from",
                        metadata={"description": "First day of the period (UTC), YYYY-MM-DD. "
                                                 "Public: the first day of a month, quarter or "
                                                 "year."})
    to = fields.Date(metadata={"description": "Last day, inclusive. Public: the last day of the "
                                              "month, quarter or year that from begins."})
    period = fields.String(metadata={"description": "Instead of from and to: a year (2025), a "
                                                    "quarter (2025-Q2) or a month (2025-04)."})
    audience = fields.String(load_default="public", validate=validate.OneOf(["internal", "public"]),
                             metadata={"description": "internal (exact counts; shelter staff "
                                                      "only) or public (suppressed)."})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "pdf"]),
                           metadata={"description": "json; csv (text/csv, one line per value; "
                                                    "a suppressed value is x); or pdf "
                                                    "(application/pdf: the headline, measures, "
                                                    "every table and the charts, the bytes "
                                                    "`refnet report --pdf` writes)."})

    @validates_schema
    def _order(self, data, **_):
        check_period_fields(data, calendar=data.get("audience", "public") == "public",
                            max_days=3660)


def _count() -> fields.Integer:
    return fields.Integer(allow_none=True)  # None: suppressed


def _floats(names: str) -> dict:
    return {name: fields.Float(allow_none=True) for name in names.split()}


ReportTable = answer(
    "ReportTable", strings("name title"), strings("row_label column_label", allow_none=True),
    rows=fields.List(fields.String()), columns=fields.List(fields.String()),
    cells=fields.List(fields.List(_count())),
    row_totals=fields.List(_count(), allow_none=True),
    column_totals=fields.List(_count(), allow_none=True), total=_count(),
    suppressed=fields.Integer(metadata={"description": "How many values are suppressed (null)."}))
ReportMeasure = answer("ReportMeasure", strings("name title unit"), n=_count(),
                       **_floats("value q1 median q3"))
ReportPeriod = answer("ReportPeriod", from_=fields.String(data_key="from"), to=fields.String())


class ReportSuppression(Schema):
    applied = fields.Boolean()
    threshold = fields.Integer()
    rule = fields.String()
    suppressed_values = fields.Integer()


ReportSummary = answer(
    "ReportSummary", period=fields.Nested(ReportPeriod), audience=fields.String(),
    headline=fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True)),
    tables=fields.List(fields.Nested(ReportTable)),
    measures=fields.List(fields.Nested(ReportMeasure)),
    suppression=fields.Nested(ReportSuppression))


# --- views -----------------------------------------------------------------------------------------

@endpoint("GET", "/reports/summary", roles=REPORT_ROLES,
          summary="Figures for a period: internal (exact; shelter staff; any days) or public "
                  "(a whole calendar month, quarter or year; suppressed: no count from 1 to 10, "
                  "complementary suppression across the overlapping calendar periods); JSON, "
                  "CSV with format=csv, PDF with format=pdf",
          query=ReportQuery, response=ReportSummary, also_as=("text/csv", "application/pdf"),
          errors=FILTERED)
def report_summary(ctx: Ctx):
    from ..reports.csv_export import to_csv
    from ..reports.figures import build_summary
    q = ctx.query
    if q["audience"] == "internal" and ctx.identity.role != "shelter":
        raise ApiProblem(403, "forbidden", "Forbidden",
                         f"The {ctx.identity.role} role may read the public audience only.",
                         field="audience")
    asked = parse_calendar(q["period"]) if "period" in q else Period(q["from_"], q["to"])
    period = {"first_day": asked.first_day.isoformat(), "last_day": asked.last_day.isoformat()}

    def figures_of(p: Period) -> tuple[dict, dict, dict]:  # the three at the same time
        return tuple(ctx.rpc_all([(service, "report_figures", {"first_day": p.first_day.isoformat(),
                                                               "last_day": p.last_day.isoformat()})
                                  for service in ("referral", "shelter", "legal")]))

    if q["audience"] == "public":   # suppressed together with every overlapping calendar period
        overlapping = overlapping_calendar_periods(asked)
        days = [{"first_day": p.first_day.isoformat(), "last_day": p.last_day.isoformat()}
                for p in overlapping]
        # one call per service for the 17 periods (each call one audit entry), not 17; the
        # three at the same time
        per_service = ctx.rpc_all([(service, "report_figures_for", {"periods": days})
                                   for service in ("referral", "shelter", "legal")])
        related = list(zip(*per_service))
        figures = related[overlapping.index(asked)]
    else:
        related, figures = None, figures_of(asked)
    summary = build_summary(*figures, q["audience"], related=related)
    name = f"refnet-report-{period['first_day']}-{period['last_day']}-{q['audience']}"
    if q["format"] == "csv":
        return Answer(to_csv(summary), media_type="text/csv",
                      headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if q["format"] == "pdf":
        return Answer(_pdf(summary), media_type="application/pdf",
                      headers={"Content-Disposition": f'attachment; filename="{name}.pdf"',
                               "Cache-Control": "no-store"})
    return summary


def _pdf(summary: dict) -> bytes:
    """The PDF of the summary as ``refnet report --pdf`` makes it from the API's JSON (the same
    JSON text, so the same bytes), drawn by a child process (gateway/reports/pdf.py)."""
    from flask import current_app

    from ..reports.pdf import Unavailable, in_child
    try:
        return in_child(current_app.json.dumps(summary))
    except Unavailable as exc:
        current_app.logger.warning("report PDF not made: %s", exc)  # no figures in it
        raise ApiProblem(503, "pdf-unavailable", "PDF unavailable",
                         "The PDF could not be made here now; the JSON and CSV are.",
                         field="format",
                         headers={"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])}
                         ) from None


# --- the Human Trafficking Case Data Standard export (docs/decisions/0054) ------------------------

HTCDS_ROLES = ("analyst",)  # the data collaborative's audience: never a per-person reader


class HtcdsQuery(Strict):
    from_ = fields.Date(data_key="from", metadata={
        "description": "First day of a calendar month, quarter or year, YYYY-MM-DD."})
    to = fields.Date(metadata={"description": "Last day of the month, quarter or year that "
                                              "from begins, inclusive."})
    period = fields.String(metadata={"description": "Instead of from and to: 2025, 2025-Q2 or "
                                                    "2025-04."})

    @validates_schema
    def _order(self, data, **_):
        check_period_fields(data, calendar=True)


HtcdsEvent = answer("HtcdsEvent", strings("hte_Type hte_Country"))
HtcdsRecord = answer(
    "HtcdsRecord", strings("record prs_Gender refnet_AgeBand cas_Status"),
    prs_Nationality=fields.String(allow_none=True),
    **{name: fields.List(fields.String()) for name in (
        "vic_MethodOfRecruitment vic_MethodsOfControl vic_TypeOfExploitation vic_LabourIndustry "
        "vic_TypeOfSexExploitation").split()},
    hte_Events=fields.List(fields.Nested(HtcdsEvent)))
HtcdsSuppression = answer("HtcdsSuppression", strings("rule"), threshold=fields.Integer(),
                          records=fields.Integer(metadata={
                              "description": "Cases of the period with codes recorded"}),
                          suppressed_records=fields.Integer(metadata={
                              "description": "Of those, left out by the small-cell rule"}))
HtcdsExport = answer(
    "HtcdsExport", standard=fields.Nested(answer("HtcdsStandard",
                                                 strings("name source version licence"))),
    period=fields.Nested(ReportPeriod), records=fields.List(fields.Nested(HtcdsRecord)),
    suppression=fields.Nested(HtcdsSuppression))


@endpoint("GET", "/reports/htcds", roles=HTCDS_ROLES,
          summary="A calendar month, quarter or year of the network's shelter cases in the Human "
                  "Trafficking Case Data Standard's shape (IOM, CC BY 4.0), for a data "
                  "collaborative: codes only, an opaque record number, no name, reference or "
                  "date; a record whose quasi-identifiers fewer than 11 records share is left out",
          query=HtcdsQuery, response=HtcdsExport, errors=FILTERED)
def htcds_export(ctx: Ctx):
    q = ctx.query
    asked = parse_calendar(q["period"]) if "period" in q else Period(q["from_"], q["to"])
    return ctx.rpc("shelter", "htcds_export", first_day=asked.first_day.isoformat(),
                   last_day=asked.last_day.isoformat())
