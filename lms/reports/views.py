"""The ministry dashboard: ministry officers and programme staff only (403 for others)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from courses.models import ProgrammePage, ProgrammeRun
from lms.reports.selectors import user_may_see_reports, year_report, years_overview

CHART_WIDTH, CHART_HEIGHT, BAR = 640, 220, 18


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


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
    year = _int(request.GET.get("year")) or timezone.localdate().year
    programme_key = request.GET.get("programme") or None
    run_id = _int(request.GET.get("run"))
    report = year_report(year=year, programme_key=programme_key, run_id=run_id)
    bars = years_overview()
    programmes = ProgrammePage.objects.filter(locale__language_code="ko").live() \
        .order_by("title")
    runs = ProgrammeRun.objects.filter(year=year).select_related("programme")
    return render(request, "reports/dashboard.html", {
        "report": report, "chart": _chart(bars), "bars": bars,
        "years": sorted({b.year for b in bars} | {year}), "year": year,
        "programmes": programmes, "programme_key": programme_key or "", "runs": runs,
        "run_id": run_id})
