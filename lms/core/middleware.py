"""Response headers the whole site shares."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
