"""The platforms' addresses the tool calls (keyset, token, line items, scores, roster) are
https on the public internet in production: a registered platform, or a launch it signs,
cannot make the site call a neighbour (SSRF) or send its token over plain http. The tests'
platform is http on loopback, so these tests turn the production rule on."""

from __future__ import annotations

import pytest

from lms.lti.models import ScorePost, ScorePostStatus
from lms.lti.protocol import PlatformRefused, outbound_url_refusal
from tests.lti.conftest import LEARNER, LaunchSpec, launch
from tests.lti.test_grades_back import _grade, _launched, eager_tasks  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.LTI_ALLOW_HTTP = False
    settings.LTI_ALLOW_PRIVATE_ADDRESSES = False


@pytest.mark.parametrize("url", [
    "http://93.184.216.34/token",          # public, but plain http
    "https://127.0.0.1/lineitems",         # loopback
    "https://localhost:8443/lineitems",    # a name for loopback
    "https://10.1.2.3/scores",             # private network
    "https://192.168.0.10/jwks",
    "https://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
    "https://[::1]/token",
    "https://[fd00::1]/token",
    "ftp://93.184.216.34/x",
    "https:///no-host",
    "",
])
def test_addresses_off_the_public_internet_or_not_https_are_refused(production, url):
    assert outbound_url_refusal(url) is not None


def test_a_public_https_address_is_allowed(production):
    assert outbound_url_refusal("https://93.184.216.34/api/lti/security/jwks") is None


def test_the_demo_and_the_tests_allow_the_loopback_platform(settings):
    settings.LTI_ALLOW_HTTP = True
    settings.LTI_ALLOW_PRIVATE_ADDRESSES = True
    assert outbound_url_refusal("http://127.0.0.1:8123/jwks") is None


def test_a_launch_from_a_platform_registered_at_a_private_address_is_refused(
        client, platform, registration, assignment_module, assignment, run, production,
        caplog):
    response = launch(client, platform, "a", LaunchSpec(
        sub="s-1", roles=[LEARNER], email="s1@univ.ac.kr",
        custom={"lms_page": str(assignment_module.pk), "lms_assignment": "squares"}))
    assert response.status_code == 403
    assert 'data-refusal="platform_address"' in response.content.decode()
    assert "launch refused (platform_address)" in caplog.text


def test_scores_are_not_sent_to_a_platform_at_a_private_address(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,  # noqa: F811
        django_capture_on_commit_callbacks, settings, caplog):
    # Given a learner launched while the platform's address was allowed
    learner = _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    tokens_before = len(platform.token_requests)
    # When the rule is on and a grade is stored
    settings.LTI_ALLOW_HTTP = False
    settings.LTI_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(PlatformRefused), django_capture_on_commit_callbacks(execute=True):
        _grade(learner, assignment, score=3.0)  # the task (run eagerly here) records, then raises
    # Then nothing reached the platform, not even a token request, and the refusal is kept
    assert platform.scores == []
    assert len(platform.token_requests) == tokens_before
    assert ScorePost.objects.get().status == ScorePostStatus.FAILED
    assert "refused to call the platform's" in caplog.text
