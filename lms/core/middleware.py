"""Response headers the whole site shares, and the request metrics' last middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus import middleware as prometheus_middleware

HEADER = "Content-Security-Policy"


def csp_header_value(directives: dict[str, list[str]]) -> str:
    """``{"default-src": ["'self'"], "upgrade-insecure-requests": []}`` →
    ``"default-src 'self'; upgrade-insecure-requests"``."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def _admin_path(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.LMS_CSP_ADMIN_PATHS)


class ContentSecurityPolicyMiddleware:
    """Adds the site's Content-Security-Policy (LMS_CSP) to every response that has none, and
    a laxer one (LMS_CSP_ADMIN) under the admin paths, where Wagtail's and Django's admin
    still use inline scripts and styles. A view that sets its own policy keeps it (the
    feedback page's sandbox)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            policy = (settings.LMS_CSP_ADMIN if _admin_path(request.path)
                      else settings.LMS_CSP)
            if policy:
                response[HEADER] = csp_header_value(policy)
        return response


class PrometheusAfterMiddleware(prometheus_middleware.PrometheusAfterMiddleware):
    """django-prometheus's middleware, with the HTTP method of every label taken from a fixed
    list: its latency-by-view histogram labels the method as the client sent it, so a client
    inventing methods would invent time series (Prometheus keeps each one)."""

    def label_metric(self, metric, request, response=None, **labels):
        if "method" in labels:
            labels["method"] = self._method(request)
        return super().label_metric(metric, request, response, **labels)
