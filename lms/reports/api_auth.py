"""Who may call the reports API: bearer tokens of ministry officers and programme staff.

- No or an unknown, revoked or expired token: 401 with ``WWW-Authenticate: Bearer``.
- A valid token whose owner may not see reports (any more): 403.
- Each token has its own request rate (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``,
  scope ``reports_api``); past it: 429 with ``Retry-After``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from lms.accounts.selectors import user_may_see_reports
from lms.reports.api_tokens import api_token_authenticate
from lms.reports.models import ApiToken

KEYWORDS = (b"bearer", b"token")  # "Token" is what many DRF clients send


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` (or ``Token <token>``) against stored hashes."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: send “Bearer <token>”."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = api_token_authenticate(raw=raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, revoked or expired token."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="reports"'


class MaySeeReports(BasePermission):
    """The dashboard's rule (ministry officers and programme staff) for API callers."""

    message = _("Only ministry officers and programme staff may read the reports API.")

    def has_permission(self, request, view) -> bool:
        return user_may_see_reports(user=request.user)


class ApiTokenRateThrottle(SimpleRateThrottle):
    """A request budget per token (not per address: ministry systems may share a proxy)."""

    scope = "reports_api"

    def get_rate(self) -> str | None:
        # Read at request time, not import time, so that a changed setting takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The bearer scheme in the OpenAPI schema (drf-spectacular finds it by target class)."""

    target_class = "lms.reports.api_auth.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An API token made with `manage.py api_token create`; "
                               "`Authorization: Token <token>` is accepted too."}
