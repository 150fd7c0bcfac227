"""Reports: figures for a period from the three services, internal (exact; shelter staff) or
public (suppressed), as JSON or CSV."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..errors import ApiProblem
from .declare import FILTERED, Answer, Ctx, endpoint
from .shapes import Strict, answer, strings

REPORT_ROLES = ("shelter", "analyst")   # internal audience: shelter staff only (decision 0024)


# --- schemas ---------------------------------------------------------------------------------------

class ReportQuery(Strict):
    from_ = fields.Date(data_key="from", required=True,
                        metadata={"description": "First day of the period (UTC), YYYY-MM-DD."})
    to = fields.Date(required=True, metadata={"description": "Last day, inclusive."})
    audience = fields.String(load_default="public", validate=validate.OneOf(["internal", "public"]),
                             metadata={"description": "internal (exact counts; shelter staff "
                                                      "only) or public (suppressed)."})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "json, or csv (text/csv, one line per value; "
                                                    "a suppressed value is x)."})

    @validates_schema
    def _order(self, data, **_):
        for name, key in (("from_", "from"), ("to", "to")):
            if name in data and not 1900 <= data[name].year <= 2999:
                raise ValidationError("A year from 1900 to 2999.", field_name=key)
        if "from_" in data and "to" in data:
            if data["to"] < data["from_"]:
                raise ValidationError("to is before from.", field_name="to")
            if (data["to"] - data["from_"]).days >= 3660:
                raise ValidationError("A period is at most 3660 days.", field_name="to")


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
          summary="Figures for a period: internal (exact; shelter staff) or public (suppressed: no "
                  "count from 1 to 10, complementary suppression); JSON, or CSV with format=csv",
          query=ReportQuery, response=ReportSummary, also_as=("text/csv",), errors=FILTERED)
def report_summary(ctx: Ctx):
    from ..reports.csv_export import to_csv
    from ..reports.figures import build_summary
    q = ctx.query
    if q["audience"] == "internal" and ctx.identity.role != "shelter":
        raise ApiProblem(403, "forbidden", "Forbidden",
                         f"The {ctx.identity.role} role may read the public audience only.",
                         field="audience")
    period = {"first_day": q["from_"].isoformat(), "last_day": q["to"].isoformat()}
    figures = {service: ctx.rpc(service, "report_figures", **period)
               for service in ("referral", "shelter", "legal")}
    summary = build_summary(figures["referral"], figures["shelter"], figures["legal"], q["audience"])
    if q["format"] == "csv":
        name = f"refnet-report-{period['first_day']}-{period['last_day']}-{q['audience']}.csv"
        return Answer(to_csv(summary), media_type="text/csv",
                      headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return summary
