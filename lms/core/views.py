"""Platform views: health (JSON for machines, a page for people)."""

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import permission_denied
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.reports.audit_logging import LogEntriesView

from lms.accounts.models import Role
from lms.accounts.selectors import user_roles
from lms.core.health import health_report, monitoring_token_valid


def _operator(request: HttpRequest) -> bool:
    """Staff, or a monitor with the token: they may see the parts and their details.

    The token is looked at first and the user (a session read) only then, and a database
    that is down makes the visitor anonymous: /healthz must say 503 then, not fail itself.
    """
    if monitoring_token_valid(request.headers.get("Authorization", "")):
        return True
    try:
        return request.user.is_active and request.user.is_staff
    except DatabaseError:
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every part is "ok" (or "not_configured"), 503 when one is down; the parts are
    named to operators only (``lms.core.health``)."""
    healthy, report = health_report(detailed=_operator(request))
    return JsonResponse(report, status=200 if healthy else 503)


@never_cache
@require_GET
def service_status(request: HttpRequest) -> HttpResponse:
    """The same checks as ``/healthz`` as a page people can read (the footer's link), with
    the same rule on who sees the parts; 503 when something is down, like ``/healthz``."""
    healthy, report = health_report(detailed=_operator(request))
    return render(request, "core/status.html", {
        "healthy": healthy,
        "checks": report.get("checks", {}),
        "checked_at": timezone.now(),
    }, status=200 if healthy else 503)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico`` (asked for by browsers whatever a page links to) is the static one;
    the static URL is read per request, since the manifest of hashed names may not exist yet
    when the URLs are imported."""
    # Not permanent: browsers keep a 301 for good, and the hashed name changes with the icon.
    return redirect(static("img/favicon.ico"))


# Wagtail's site history lists every change of every object (titles, editors, times), across
# courses: programme staff and superusers only. Instructors see the history of what they may
# edit on each object's own history page.
_site_history = LogEntriesView.as_view()
_site_history_results = LogEntriesView.as_view(results_only=True)


@require_admin_access
def site_history(request: HttpRequest, *, results_only: bool = False):
    user = request.user
    if not (user.is_superuser or Role.PROGRAMME_STAFF in user_roles(user=user)):
        return permission_denied(request, PermissionDenied())  # a plain 403, as elsewhere
    return (_site_history_results if results_only else _site_history)(request)
