"""Red team: a launched session opens framing to its platform for the pages the launch leads
to (course pages, learning, grading, the tool's own), not for the account's settings, the
ministry's dashboard or the OAuth consent: those stay unframeable (clickjacking)."""

from __future__ import annotations

import pytest

from tests.lti.conftest import LEARNER, LaunchSpec, launch

pytestmark = pytest.mark.django_db


@pytest.fixture
def launched(client, platform, registration, assignment_module, assignment, run):
    response = launch(client, platform, "f", LaunchSpec(
        sub="s-1", roles=[LEARNER], email="s1@univ.ac.kr",
        custom={"lms_page": str(assignment_module.pk), "lms_assignment": "squares"}))
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("path", [
    "/ko/accounts/email/",          # change the sign-in email
    "/ko/accounts/password/set/",   # give the account a password
    "/ko/accounts/profile/",
    "/ko/reports/",                 # the ministry's dashboard
    "/o/authorize/",                # the OAuth consent of the hub's sign-on
    "/ko/outcomes/",
])
def test_a_launched_session_does_not_let_the_platform_frame_other_pages(launched, path):
    response = launched.get(path)
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_pages_the_launch_leads_to_stay_framed_by_the_platform(launched, platform,
                                                                   assignment_module):
    for path in (assignment_module.url, "/ko/learning/"):
        response = launched.get(path, follow=True)
        assert f"frame-ancestors {platform.url}" in response["Content-Security-Policy"], path
        assert "X-Frame-Options" not in response
