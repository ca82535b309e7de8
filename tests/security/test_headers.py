"""Content-Security-Policy: a strict one on the public site (no inline script or style), a
laxer one in the admins, a view's own policy kept; templates with no inline code."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from lms.core.middleware import csp_header_value

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Templates of the public site (the admin templates render under /admin/, with its policy).
PUBLIC_TEMPLATES = [ROOT / "lms" / "templates", ROOT / "courses" / "templates",
                    ROOT / "grading" / "templates", ROOT / "lms" / "reports" / "templates",
                    ROOT / "lms" / "accounts" / "templates", ROOT / "lms" / "lti" / "templates"]
ADMIN_TEMPLATE_DIRS = ("/admin/",)
INLINE = {
    # Data blocks (application/json) are not run, so the policy does not concern them.
    "inline <script>": re.compile(
        r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle=", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _public_templates():
    for folder in PUBLIC_TEMPLATES:
        for path in folder.rglob("*.html"):
            if not any(part in path.as_posix() for part in ADMIN_TEMPLATE_DIRS):
                yield path


def _inline_code(html: str) -> list[str]:
    return [name for name, pattern in INLINE.items() if pattern.search(html)]


def test_public_templates_have_no_inline_code():
    found = {str(path.relative_to(ROOT)): kinds for path in _public_templates()
             if (kinds := _inline_code(path.read_text()))}

    assert found == {}


def test_the_public_policy_allows_no_inline_code():
    policy = settings.LMS_CSP

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"][0] == "'self'"
    assert "'unsafe-inline'" not in csp_header_value(policy)
    assert "'unsafe-eval'" not in csp_header_value(settings.LMS_CSP_ADMIN)


def test_forms_may_end_at_the_hub():
    # "Open in JupyterLab" posts here and is redirected to the hub; browsers check that
    # redirect against form-action.
    hub = urlsplit(settings.HUB_OAUTH_REDIRECT_URI)

    assert f"{hub.scheme}://{hub.netloc}" in settings.LMS_CSP["form-action"]


@pytest.mark.parametrize("role", ["anonymous", "learner"])
def test_public_pages_carry_the_strict_policy_and_no_inline_code(site, role):
    client = Client()
    if site.users[role] is not None:
        client.force_login(site.users[role])
    urls = ["/ko/", site.programme.get_url(), site.course.get_url(), site.module.get_url(),
            "/ko/accounts/login/", f"/verify/{site.certificate.code}/", "/ko/no-such-page/"]
    if role != "anonymous":
        urls += ["/ko/learning/", "/ko/accounts/profile/"]

    for url in urls:
        response = client.get(url)
        assert response["Content-Security-Policy"] == csp_header_value(settings.LMS_CSP), url
        assert _inline_code(response.content.decode()) == [], url


def test_the_ministry_dashboard_has_no_inline_code(site):
    client = Client()
    client.force_login(site.users["ministry_officer"])

    response = client.get("/ko/reports/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == csp_header_value(settings.LMS_CSP)
    assert _inline_code(response.content.decode()) == []


def test_the_server_error_page_has_no_inline_code(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert _inline_code(response.content.decode()) == []


@pytest.mark.parametrize("path", ["/admin/", "/admin/pages/", "/django-admin/"])
def test_the_admins_get_their_own_policy(site, path):
    client = Client()
    client.force_login(site.users["admin"])

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == csp_header_value(settings.LMS_CSP_ADMIN)


def test_the_feedback_page_keeps_its_sandbox(site):
    from grading.views import FEEDBACK_CSP

    client = Client()
    client.force_login(site.users["learner"])

    response = client.get(f"/ko/grading/submissions/{site.submission.pk}/feedback/notebook/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == FEEDBACK_CSP


def test_the_feedback_page_frames_only_this_site(site):
    client = Client()
    client.force_login(site.users["learner"])

    response = client.get(f"/ko/grading/submissions/{site.submission.pk}/feedback/")

    assert response.status_code == 200
    assert "frame-src 'self';" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_a_policy_setting_changes_the_header(client, settings):
    settings.LMS_CSP = {"default-src": ["'none'"], "upgrade-insecure-requests": []}

    response = client.get("/healthz")

    assert response["Content-Security-Policy"] == "default-src 'none'; upgrade-insecure-requests"
