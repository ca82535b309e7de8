"""The session of an LTI launch: its cookie, and who may frame its pages.

A platform shows our pages in an iframe, a third-party context: browsers send no SameSite=Lax
cookie there, so the site's session and CSRF cookies (Lax, as they stay for everyone else)
never arrive. Rather than loosening them for the whole site, a session started by a launch
travels in its own cookie, ``LTI_SESSION_COOKIE_NAME``, set SameSite=None; Secure;
Partitioned: partitioned (CHIPS) means the browser keeps it under the platform's site only,
so it works where third-party cookies are blocked and never follows the person to other
sites. The CSRF cookie of such a session gets the same attributes; the CSRF check itself is
unchanged (token and Origin). Requests without that cookie are served exactly as before.

The pages a launch leads to (course pages, learning, grading, the tool's own) may be framed in
a launched session, and only by the origins of the registration that launched it (CSP
``frame-ancestors``; X-Frame-Options, which cannot name an origin, is dropped for them); they
may post forms back to that platform (deep linking's answer). Every other page (the
account's settings, the ministry's dashboard, the admins) keeps ``frame-ancestors 'none'``
and X-Frame-Options DENY.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware

from lms.core.middleware import HEADER, csp_header_value
from lms.lti.protocol import set_flow_cookie

LTI_SESSION_KEY = "lms_lti_frame"  # in the session: {"origins": [...], "registration": id}


def lti_frame_policy(origins: list[str]) -> str:
    """The site's CSP with framing (and form posts) opened to ``origins`` only."""
    policy = {**settings.LMS_CSP, "frame-ancestors": origins or ["'none'"],
              "form-action": [*settings.LMS_CSP.get("form-action", ["'self'"]), *origins]}
    return csp_header_value(policy)


# The views a launch leads to, by URL namespace (and Wagtail's pages): only these may be framed
# by the platform. Everything else (the account's email and password, the ministry's
# dashboard, the OAuth consent, the admins) keeps refusing frames, launched session or not: a
# platform must not be able to clickjack them.
LTI_FRAMED_NAMESPACES = {"lti", "courses", "grading"}
LTI_FRAMED_URL_NAMES = {"wagtail_serve"}


def _framable(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None or _admin_path(request.path):
        return False
    return match.namespace in LTI_FRAMED_NAMESPACES or match.url_name in LTI_FRAMED_URL_NAMES


def _admin_path(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.LMS_CSP_ADMIN_PATHS)


def _frame(request) -> dict | None:
    """The launch data of the request's session, read only when the session is loaded anyway
    or came in the LTI cookie: other requests never touch the session store for it (a
    visitor's page must not fail, or wait, on it)."""
    session = getattr(request, "session", None)
    if session is None or not (getattr(request, "_lti_cookie", False) or session.accessed):
        return None
    try:
        return session.get(LTI_SESSION_KEY)
    except Exception:  # noqa: BLE001 - a store that fails: the answer stays as it was
        return None


class LtiSessionMiddleware(SessionMiddleware):
    """Django's session middleware, reading the LTI session cookie when the request has it and
    writing a launched session into it (see the module's docstring)."""

    def process_request(self, request):
        lti_key = request.COOKIES.get(settings.LTI_SESSION_COOKIE_NAME)
        request._lti_cookie = bool(lti_key)
        session_key = lti_key or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        request.session = self.SessionStore(session_key)

    def process_response(self, request, response):
        response = super().process_response(request, response)
        frame = _frame(request)
        name, lti_name = settings.SESSION_COOKIE_NAME, settings.LTI_SESSION_COOKIE_NAME
        if frame:
            morsel = response.cookies.get(name)
            if morsel is not None:  # the session was saved: it travels in the LTI cookie only
                del response.cookies[name]
                set_flow_cookie(response, lti_name, morsel.value,
                                max_age=settings.SESSION_COOKIE_AGE if morsel.value else 0)
            csrf = response.cookies.get(settings.CSRF_COOKIE_NAME)
            if csrf is not None and csrf.value:
                set_flow_cookie(response, settings.CSRF_COOKIE_NAME, csrf.value,
                                max_age=settings.CSRF_COOKIE_AGE)
                response.cookies[settings.CSRF_COOKIE_NAME]["httponly"] = \
                    settings.CSRF_COOKIE_HTTPONLY
            if HEADER not in response and _framable(request):
                response[HEADER] = lti_frame_policy(list(frame.get("origins", [])))
                if "X-Frame-Options" in response:
                    del response["X-Frame-Options"]
        elif getattr(request, "_lti_cookie", False) and lti_name not in response.cookies:
            # The launched session is over (logged out, expired): its cookie must not shadow
            # the site's own session cookie any more.
            set_flow_cookie(response, lti_name, "", max_age=0)
        return response
