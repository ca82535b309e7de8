"""The read-only reports API for ministry systems (under /api/, token in the header).

Only aggregates leave: counts, targets, rates, run ids and programme keys (neither is a
person). A suppressed count is ``{"value": null, "suppressed": true}``; labels and titles are
in the language of ``Accept-Language`` (Korean by default), keys are stable. The OpenAPI
schema at /api/schema/ is public: it describes the endpoints and holds no data.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.outcomes.definitions import RATE_MONTHS
from lms.reports.api_auth import ApiTokenAuthentication, ApiTokenRateThrottle, MaySeeReports
from lms.reports.employment import EmploymentTable, employment_table, pay_label
from lms.reports.exports import ReportFilterError, percent, report_filters_parse
from lms.reports.models import YearlyTarget
from lms.reports.selectors import Cell, YearReport, year_report, years_overview

# What the figures mean; bumped when a definition changes (docs/statistics.md).
DEFINITIONS_VERSION = 2


def _count(cell: Cell) -> dict:
    return {"value": cell.value, "suppressed": cell.value is None}


# --- Serializers (they also write the schema) ------------------------------------------------
class CountSerializer(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True,
                                     help_text="The count; null when hidden.")
    suppressed = serializers.BooleanField(
        help_text="True when the count is hidden (\"x\" on the dashboard): a count from 1 to "
                  "the threshold minus one, or another count hidden so that no sum of "
                  "published figures narrows one. A hidden count may be any count.")


class YearBarSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    target = serializers.IntegerField(allow_null=True, help_text="Null: no target set.")
    certified = serializers.IntegerField(help_text="Certificates not revoked (exact).")
    progress_percent = serializers.FloatField(allow_null=True,
                                              help_text="Certified as a percentage of the "
                                                        "target (may pass 100).")


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = YearlyTarget
        fields = ["year", "target", "note"]


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The category's stable key.")
    label = serializers.CharField()
    enrolled = CountSerializer()
    certified = CountSerializer()


class BreakdownTotalSerializer(serializers.Serializer):
    enrolled = CountSerializer()
    certified = CountSerializer()


class BreakdownSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="participant_status, ai_major, gender, age_band, "
                                          "region, programme or run.")
    title = serializers.CharField()
    rows = BreakdownRowSerializer(many=True)
    total = BreakdownTotalSerializer(help_text="Every admitted enrolment (the rows add up to "
                                               "it; learners who did not consent are under "
                                               "\"No answer\").")


class FunnelSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    run_number = serializers.IntegerField()
    programme_key = serializers.CharField()
    label = serializers.CharField()
    capacity = serializers.IntegerField()
    applicants = CountSerializer()
    enrolled = CountSerializer()
    completed = CountSerializer()
    completion_rate_percent = serializers.FloatField(allow_null=True)


class PayBandCountSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The pay band's stable key (lms.outcomes.definitions."
                                          "PayBand), or \"none\": pay not given.")
    label = serializers.CharField()
    employed = CountSerializer()


class EmploymentRowSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["year", "programme", "run"])
    key = serializers.CharField(help_text="\"total\" for the year, the programme key or the "
                                          "run id.")
    programme_key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    counted = CountSerializer(help_text="Completers counted: certificates not revoked, issued "
                                        "in the year (Korean time), due (6 months after "
                                        "completion plus the answer window), less those in "
                                        "further study or military service. Those who did not "
                                        "answer are counted.")
    employed = CountSerializer(help_text="Completers counted whom an answer at a point of at "
                                         "most 6 months says employed within 6 months.")
    responded = CountSerializer(help_text="Completers counted with an answer at a point of at "
                                          "most 6 months.")
    employed_large_firm = CountSerializer(help_text="Employed in firms of 500 or more "
                                                    "employees.")
    employed_using_ai = CountSerializer(help_text="Employed whose work uses AI or data skills.")
    pay_bands = PayBandCountSerializer(many=True, help_text="The employed by monthly pay "
                                                            "(they add up to employed).")
    employment_rate_percent = serializers.FloatField(
        allow_null=True, help_text="Employed / counted; null when either is hidden.")
    response_rate_percent = serializers.FloatField(
        allow_null=True, help_text="Responded / counted; null when either is hidden.")
    large_firm_share_percent = serializers.FloatField(
        allow_null=True, help_text="Employed in firms of 500+ / employed.")
    ai_share_percent = serializers.FloatField(allow_null=True,
                                              help_text="Employed using AI / employed.")


class EmploymentSerializer(serializers.Serializer):
    completion_year = serializers.IntegerField(
        help_text="The year the certificates were issued (Korean time).")
    rate_months = serializers.IntegerField(help_text="Employed within this many months.")
    pending = serializers.BooleanField(help_text="Some completions of the year are not due "
                                                 "yet (not counted).")
    rows = EmploymentRowSerializer(many=True, help_text="The year (unfiltered), then each "
                                                        "programme and its runs; under a "
                                                        "filter, its rows.")


class YearReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    programme = serializers.CharField(allow_null=True, help_text="The programme filter.")
    run = serializers.IntegerField(allow_null=True, help_text="The run filter.")
    suppression_threshold = serializers.IntegerField()
    definitions_version = serializers.IntegerField(
        help_text="The version of the definitions in docs/statistics.md these figures follow.")
    target = serializers.IntegerField(allow_null=True)
    certified = serializers.IntegerField(
        allow_null=True, help_text="Enrolments with a certificate not revoked: exact for the "
                                   "year; under a programme or run filter, null when hidden.")
    progress_percent = serializers.FloatField(allow_null=True)
    learners = serializers.IntegerField(
        allow_null=True, help_text="Distinct people among the year's admitted enrolments "
                                   "(exact; null under a filter).")
    enrolled = CountSerializer(help_text="Admitted enrolments (enrolled, completed or dropped) "
                                         "of every learner in the year's runs.")
    completed = CountSerializer(help_text="Admitted enrolments with a certificate not revoked.")
    dropped = CountSerializer()
    completion_rate_percent = serializers.FloatField(allow_null=True)
    breakdowns = BreakdownSerializer(many=True)
    funnels = FunnelSerializer(many=True)
    employment = EmploymentSerializer(
        help_text="The employment rate of the year's completions (docs/employment-outcomes.md)"
                  ", protected like every count below the year.")


def employment_document(table: EmploymentTable, *, programme_key: str | None,
                        run_id: int | None) -> dict:
    """The employment table as the plain structure EmploymentSerializer describes."""
    return {
        "completion_year": table.year, "rate_months": RATE_MONTHS, "pending": table.pending,
        "rows": [{
            "level": row.level, "key": row.key, "programme_key": row.programme_key,
            "label": row.label, "counted": _count(row.cells["counted"]),
            "employed": _count(row.cells["employed"]),
            "responded": _count(row.cells["responded"]),
            "employed_large_firm": _count(row.cells["large"]),
            "employed_using_ai": _count(row.cells["ai"]),
            "pay_bands": [{"key": cell.key[4:], "label": pay_label(cell.key[4:]),
                           "employed": _count(cell)} for cell in row.pay_cells],
            "employment_rate_percent": percent(row.employment_rate),
            "response_rate_percent": percent(row.response_rate),
            "large_firm_share_percent": percent(row.large_share),
            "ai_share_percent": percent(row.ai_share),
        } for row in table.rows_for(programme_key=programme_key, run_id=run_id)],
    }


def year_report_document(report: YearReport, *, programme_key: str | None,
                         run_id: int | None) -> dict:
    """The year's report as the plain structure YearReportSerializer describes."""
    return {
        "year": report.year, "programme": programme_key, "run": run_id,
        "suppression_threshold": settings.REPORTS_SUPPRESSION_THRESHOLD,
        "definitions_version": DEFINITIONS_VERSION,
        "target": report.target, "certified": report.certified,
        "progress_percent": percent(report.progress), "learners": report.learners,
        "enrolled": _count(report.enrolled), "completed": _count(report.completed),
        "dropped": _count(report.dropped),
        "completion_rate_percent": percent(report.completion_rate),
        "breakdowns": [{
            "key": b.key, "title": b.title,
            "rows": [{"key": e.key, "label": e.label, "enrolled": _count(e),
                      "certified": _count(c)} for e, c in b.rows],
            "total": {"enrolled": _count(b.total[0]), "certified": _count(b.total[1])},
        } for b in report.breakdowns],
        "funnels": [{
            "run_id": f.run.pk, "run_number": f.run.number,
            "programme_key": str(f.run.programme.translation_key), "label": str(f.run),
            "capacity": f.capacity, "applicants": _count(f.cells["applicants"]),
            "enrolled": _count(f.cells["enrolled"]), "completed": _count(f.cells["completed"]),
            "completion_rate_percent": percent(f.completion_rate),
        } for f in report.funnels],
    }


# --- Views -----------------------------------------------------------------------------------
UNAUTHORISED = OpenApiResponse(description="No token, or an unknown, revoked or expired one "
                                           "(with a WWW-Authenticate header).")
FORBIDDEN = OpenApiResponse(description="The token's owner may not see reports.")
COMMON = {401: UNAUTHORISED, 403: FORBIDDEN}


class ReportsAPIView(APIView):
    """Read-only, token-only (no session: no CSRF questions), JSON only."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [MaySeeReports]
    throttle_classes = [ApiTokenRateThrottle]
    renderer_classes = [JSONRenderer]
    http_method_names = ["get", "head", "options"]


class YearsView(ReportsAPIView):
    """Every year with a target or a run: its target and its certified people."""

    @extend_schema(operation_id="years_list", summary="Certified against target, every year",
                   responses={200: YearBarSerializer(many=True), **COMMON}, tags=["reports"])
    def get(self, request):
        bars = [{"year": b.year, "target": b.target, "certified": b.certified,
                 "progress_percent": percent(b.certified / b.target if b.target else None)}
                for b in years_overview()]
        return Response(YearBarSerializer(bars, many=True).data)


class YearDetailView(ReportsAPIView):
    """One year as the dashboard shows it: certified against target, head counts, breakdowns
    and the funnel of each run. Filter by programme or run (the breakdowns by people's answers
    are for the whole year only)."""

    @extend_schema(
        operation_id="years_retrieve",
        summary="One year: summary, breakdowns and run funnels",
        parameters=[
            OpenApiParameter("programme", str, description="A programme key (UUID)."),
            OpenApiParameter("run", int, description="A run id (from `funnels[].run_id`)."),
        ],
        responses={200: YearReportSerializer,
                   400: OpenApiResponse(description="A bad year or filter."), **COMMON},
        tags=["reports"])
    def get(self, request, year: int):
        try:
            filters = report_filters_parse(year=year,
                                           programme=request.query_params.get("programme"),
                                           run=request.query_params.get("run"))
        except ReportFilterError as error:
            raise ValidationError({"detail": str(error)}) from None
        report = year_report(year=filters.year, programme_key=filters.programme_key,
                             run_id=filters.run_id)
        document = year_report_document(report, programme_key=filters.programme_key,
                                        run_id=filters.run_id)
        document["employment"] = employment_document(
            employment_table(year=filters.year), programme_key=filters.programme_key,
            run_id=filters.run_id)
        return Response(YearReportSerializer(document).data)


class TargetsView(ReportsAPIView):
    """The yearly targets of certified people (100 in 2023, then 400 a year)."""

    @extend_schema(operation_id="targets_list", summary="The yearly targets",
                   responses={200: TargetSerializer(many=True), **COMMON}, tags=["reports"])
    def get(self, request):
        return Response(TargetSerializer(YearlyTarget.objects.order_by("year"), many=True).data)


def schema_reports_only(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: the schema describes /api/ only (not the Wagtail
    admin's internal API, which also runs on Django REST framework)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
