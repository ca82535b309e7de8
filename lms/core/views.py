"""Platform views: health (JSON for machines, a page for people) and operators' metrics."""

import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import permission_denied
from prometheus_client import CONTENT_TYPE_LATEST
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.reports.audit_logging import LogEntriesView

from lms.accounts.models import Role
from lms.accounts.selectors import user_roles
from lms.core.health import health_report, monitoring_token_valid
from lms.core.metrics import metrics_allowed, metrics_exposition


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


_public_answer: dict = {}  # this process's last anonymous report and when it was made


def _health(request: HttpRequest) -> tuple[bool, dict]:
    """``health_report`` for this visitor: fresh for operators; for everyone else the answer of
    the last HEALTH_PUBLIC_CACHE_SECONDS (it only says ok or fail)."""
    if _operator(request):
        return health_report(detailed=True)
    ttl = settings.HEALTH_PUBLIC_CACHE_SECONDS
    now = time.monotonic()
    if ttl <= 0 or not _public_answer or now - _public_answer["at"] > ttl:
        _public_answer.update(at=now, answer=health_report(detailed=False))
    return _public_answer["answer"]


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every part is "ok" (or "not_configured"), 503 when one is down; the parts are
    named to operators only (``lms.core.health``)."""
    healthy, report = _health(request)
    return JsonResponse(report, status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics for operators (``lms.core.metrics``): the monitoring token or an
    allowed network; anyone else gets 403 and no figure (so does everyone while neither is
    configured: a 404 here would be turned into a redirect to a language's page)."""
    if not metrics_allowed(request):
        return HttpResponse(gettext("Metrics are for operators: send the monitoring token.")
                            + "\n",
                            status=403, content_type="text/plain; charset=utf-8",
                            headers={"WWW-Authenticate": "Bearer"})
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)


@never_cache
@require_GET
def service_status(request: HttpRequest) -> HttpResponse:
    """The same checks as ``/healthz`` as a page people can read (the footer's link), with
    the same rule on who sees the parts; 503 when something is down, like ``/healthz``."""
    healthy, report = _health(request)
    context = {"healthy": healthy, "checks": report.get("checks", {}),
               "checked_at": timezone.now()}
    status = 200 if healthy else 503
    try:
        return render(request, "core/status.html", context, status=status)
    except DatabaseError:
        # The site's header reads the session and the user from the database: with the
        # database down, the same words on a page of their own (never a 500 here).
        return HttpResponse(render_to_string("core/status_bare.html", context),
                            status=status)


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
