"""The ministry dashboard and its downloads (CSV, XLSX): ministry officers and programme
staff only (403 for others)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from courses.models import ProgrammePage, ProgrammeRun
from lms.accounts.selectors import user_may_see_reports
from lms.reports.employment import employment_table, pay_columns
from lms.reports.exports import (
    ReportFilterError,
    ReportFilters,
    csv_lines,
    export_filename,
    report_filters_parse,
    report_tables,
    tables_select,
    xlsx_temporary_file,
)
from lms.reports.selectors import synthetic_learner_count, year_report, years_overview

CHART_WIDTH, CHART_HEIGHT, BAR = 640, 220, 18
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request: HttpRequest) -> ReportFilters:
    return report_filters_parse(year=request.GET.get("year"),
                                programme=request.GET.get("programme"),
                                run=request.GET.get("run"))


def _chart(bars) -> dict:
    """Bar geometry for the server-drawn SVG (readable without JavaScript)."""
    top = max([b.target or 0 for b in bars] + [b.certified for b in bars] + [1])
    step = CHART_WIDTH / max(len(bars), 1)
    items = []
    for index, bar in enumerate(bars):
        x = index * step + step / 2
        height = lambda n: (n or 0) / top * (CHART_HEIGHT - 30)  # noqa: E731
        base = CHART_HEIGHT - 20
        items.append({"year": bar.year, "target": bar.target, "certified": bar.certified,
                      "x_target": round(x - BAR - 2, 1), "x_certified": round(x + 2, 1),
                      "h_target": round(height(bar.target), 1),
                      "y_target": round(base - height(bar.target), 1),
                      "h_certified": round(height(bar.certified), 1),
                      "y_certified": round(base - height(bar.certified), 1),
                      "x_label": round(x, 1)})
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bar": BAR, "items": items,
            "label_y": CHART_HEIGHT - 4}


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if not user_may_see_reports(user=request.user):
        raise PermissionDenied
    try:
        filters = _filters(request)
    except ReportFilterError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    year, programme_key, run_id = filters.year, filters.programme_key, filters.run_id
    report = year_report(year=year, programme_key=programme_key, run_id=run_id)
    bars = years_overview()
    programmes = ProgrammePage.objects.filter(locale__language_code="ko").live() \
        .order_by("title")
    runs = ProgrammeRun.objects.filter(year=year).select_related("programme")
    employment = employment_table(year=year)
    return render(request, "reports/dashboard.html", {
        "report": report, "employment": employment,
        "employment_rows": employment.rows_for(programme_key=programme_key, run_id=run_id),
        "pay_columns": pay_columns(), "chart": _chart(bars), "bars": bars,
        "years": sorted({b.year for b in bars} | {year}), "year": year,
        "programmes": programmes, "programme_key": programme_key or "", "runs": runs,
        "run_id": run_id, "threshold": settings.REPORTS_SUPPRESSION_THRESHOLD,
        "synthetic_learners": synthetic_learner_count(),
        "export_query": urlencode(
            {"year": year, "programme": programme_key or "", "run": run_id or ""})})


def _export(request: HttpRequest, *, extension: str) -> HttpResponse:
    """The dashboard's tables (all, or ``?table=<key>``) for the dashboard's filters. The
    tables are computed before the response starts, so that bad input and database errors
    are answered properly rather than in the middle of a download."""
    if not user_may_see_reports(user=request.user):
        raise PermissionDenied
    table = request.GET.get("table") or "all"
    try:
        filters = _filters(request)
        tables = tables_select(report_tables(year=filters.year,
                                             programme_key=filters.programme_key,
                                             run_id=filters.run_id), key=table)
    except ReportFilterError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    filename = export_filename(filters=filters, extension=extension, table=table)
    if extension == "csv":
        response = StreamingHttpResponse(csv_lines(tables),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    return FileResponse(xlsx_temporary_file(tables), as_attachment=True, filename=filename,
                        content_type=XLSX_TYPE)


@never_cache
@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, extension="csv")


@never_cache
@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    return _export(request, extension="xlsx")
