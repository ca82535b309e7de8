"""Platform views: health."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lms.core.health import health_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with every part "ok" (or "not_configured"); 503 naming the parts that are down."""
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
