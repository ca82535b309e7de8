"""The launch against the test platform: the tool's JWKS, OIDC login initiation, the launch
with every check, and a clear page and a log line for each refusal."""

from __future__ import annotations

import logging
import time

import jwt
import pytest
from django.conf import settings
from lti_tool.models import Key, LtiDeployment

from lms.lti.models import LaunchNonce
from lms.lti.services import key_rotate
from tests.lti.conftest import LEARNER, LaunchSpec, launch, path_of, platform_answer
from tests.lti.platform import new_key

pytestmark = pytest.mark.django_db


def _learner_spec(module, **changes) -> LaunchSpec:
    return LaunchSpec(sub="student-1", roles=[LEARNER], email="student1@univ.ac.kr",
                      custom={"lms_page": str(module.pk), "lms_assignment": "squares"},
                      **changes)


def test_the_jwks_lists_every_active_key_and_the_newest_signs(client, tool_key, registration):
    new, _retired = key_rotate(retire_after_days=7)
    keys = client.get("/lti/jwks/").json()["keys"]
    assert {k["kid"] for k in keys} == {str(tool_key), str(new)}
    assert all(k["alg"] == "RS256" and k["use"] == "sig" and "d" not in k for k in keys)
    assert registration.to_registration().get_kid() == str(new)


def test_rotation_retires_keys_replaced_longer_ago_than_the_grace_period(tool_key):
    Key.objects.filter(pk=tool_key.pk).update(
        datetime_created=tool_key.datetime_created.replace(year=2000))
    replaced = Key.objects.generate()
    Key.objects.filter(pk=replaced.pk).update(
        datetime_created=replaced.datetime_created.replace(year=2001))
    new, retired = key_rotate(retire_after_days=7)
    assert retired == 1
    assert set(Key.objects.active()) == {replaced, new}


def test_login_initiation_redirects_to_the_platform_with_state_and_nonce(
        client, platform, registration):
    response = client.get("/lti/login/", platform.login_initiation_query("h"))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{platform.url}/auth?")
    assert "nonce=" in location
    assert "state=state-" in location
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Flti%2Flaunch%2F" in location
    state_cookie = next(c for name, c in response.cookies.items() if name.startswith("lti1p3-"))
    assert state_cookie["samesite"] == "None"
    assert state_cookie["secure"]
    assert state_cookie["partitioned"]


def test_a_learner_launch_signs_in_and_opens_the_assignment_page(
        client, platform, registration, assignment_module, assignment, run, caplog):
    caplog.set_level(logging.INFO, logger="lms.lti")
    response = launch(client, platform, "h1", _learner_spec(assignment_module))
    assert response.status_code == 302
    assert path_of(response["Location"]) == path_of(assignment_module.url)
    # The session travels in the LTI cookie (SameSite=None; Secure; Partitioned) only.
    cookie = response.cookies[settings.LTI_SESSION_COOKIE_NAME]
    assert cookie["samesite"] == "None"
    assert cookie["secure"]
    assert cookie["partitioned"]
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    page = client.get(response["Location"], follow=True)
    assert page.status_code == 200
    assert page.context["user"].email == "student1@univ.ac.kr"
    # Framed by the registered platform only.
    assert f"frame-ancestors {platform.url}" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    assert "launch accepted" in caplog.text


def test_pages_outside_an_lti_session_still_refuse_framing(client, assignment_module):
    page = client.get(assignment_module.url, follow=True)
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"


def _refused(response, code: str, caplog) -> None:
    assert response.status_code in (400, 403)
    assert f'data-refusal="{code}"' in response.content.decode()
    assert f"launch refused ({code})" in caplog.text


def test_a_launch_signed_with_another_key_is_refused(client, platform, registration,
                                                     assignment_module, caplog):
    other_pem, _public = new_key()
    response = launch(client, platform, "bad-sig", _learner_spec(
        assignment_module, sign_with=other_pem))
    _refused(response, "bad_signature", caplog)


def test_a_launch_with_an_unknown_key_id_is_refused(client, platform, registration,
                                                    assignment_module, caplog):
    other_pem, _public = new_key()
    response = launch(client, platform, "bad-kid", _learner_spec(
        assignment_module, sign_with=other_pem, kid="not-a-platform-key"))
    _refused(response, "bad_signature", caplog)


def test_a_launch_for_another_audience_is_refused(client, platform, registration,
                                                  assignment_module, caplog):
    response = launch(client, platform, "aud", _learner_spec(assignment_module,
                                                             audience="another-tool"))
    _refused(response, "wrong_audience", caplog)


def test_an_audience_list_needs_our_client_id_as_azp(client, platform, registration,
                                                     assignment_module, caplog):
    response = launch(client, platform, "aud2", _learner_spec(
        assignment_module, audience=[platform.client_id, "another-tool"]))
    _refused(response, "wrong_audience", caplog)


def test_a_replayed_launch_is_refused(client, platform, registration, assignment_module,
                                      assignment, run, caplog):
    kept = []
    first = launch(client, platform, "replay", _learner_spec(assignment_module), keep=kept)
    assert first.status_code == 302
    again = client.post("/lti/launch/", kept[0])
    _refused(again, "replayed_nonce", caplog)
    assert LaunchNonce.objects.count() == 1


def test_a_nonce_the_tool_never_issued_is_refused(client, platform, registration,
                                                  assignment_module, caplog):
    response = launch(client, platform, "nonce", _learner_spec(assignment_module,
                                                               nonce="made-up"))
    _refused(response, "bad_nonce", caplog)


def test_an_unknown_deployment_is_refused_and_not_created(client, platform, registration,
                                                          assignment_module, caplog):
    response = launch(client, platform, "dep", _learner_spec(assignment_module,
                                                             deployment_id="dep-unknown"))
    _refused(response, "unknown_deployment", caplog)
    assert not LtiDeployment.objects.filter(deployment_id="dep-unknown").exists()


def test_an_inactive_deployment_is_refused(client, platform, registration, assignment_module,
                                           caplog):
    LtiDeployment.objects.update(is_active=False)
    response = launch(client, platform, "dep2", _learner_spec(assignment_module))
    _refused(response, "unknown_deployment", caplog)


def test_an_expired_launch_is_refused(client, platform, registration, assignment_module,
                                      caplog):
    response = launch(client, platform, "exp", _learner_spec(assignment_module,
                                                             expires_in=-120))
    _refused(response, "expired", caplog)


def test_a_launch_without_the_state_cookie_is_refused(client, platform, registration,
                                                      assignment_module, caplog):
    platform.prepare("state", _learner_spec(assignment_module))
    login = client.get("/lti/login/", platform.login_initiation_query("state"))
    fields = platform_answer(platform, login["Location"])
    client.cookies.clear()
    _refused(client.post("/lti/launch/", fields), "bad_state", caplog)


def test_a_login_from_an_unregistered_platform_is_refused(client, platform, registration,
                                                          caplog):
    query = {**platform.login_initiation_query("x"), "iss": "https://unknown.example"}
    _refused(client.get("/lti/login/", query), "unknown_platform", caplog)


def test_a_launch_from_an_unregistered_issuer_is_refused(client, platform, registration,
                                                         caplog):
    token = jwt.encode({"iss": "https://unknown.example", "aud": "x", "nonce": "n",
                        "exp": int(time.time()) + 60, "iat": int(time.time())},
                       platform.private_pem, algorithm="RS256")
    _refused(client.post("/lti/launch/", {"id_token": token, "state": "s"}),
             "unknown_platform", caplog)


def test_a_launch_without_a_token_is_refused(client, registration, caplog):
    _refused(client.post("/lti/launch/", {}), "bad_state", caplog)


def test_refusal_pages_may_be_framed_by_registered_platforms_only(client, platform,
                                                                  registration, caplog):
    response = client.post("/lti/launch/", {})
    assert f"frame-ancestors {platform.url}" in response["Content-Security-Policy"]
