"""The LTI tool in the Django admin: platform registrations with their deployments, the
tool's keys (rotation as an action), placements and the scores sent (resend)."""

from __future__ import annotations

import pytest
from lti_tool.models import Key, LtiRegistration

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("path", [
    "/django-admin/lti_tool/ltiregistration/", "/django-admin/lti_tool/ltiregistration/add/",
    "/django-admin/lti_tool/key/", "/django-admin/lti/placement/",
    "/django-admin/lti/scorepost/", "/django-admin/lti/launchnonce/",
    "/django-admin/lti/deploymentscope/",
])
def test_the_admin_pages_open(admin_client, path, registration):
    assert admin_client.get(path).status_code == 200


def test_a_registration_is_added_with_its_deployment_in_the_admin(admin_client):
    response = admin_client.post("/django-admin/lti_tool/ltiregistration/add/", {
        "name": "서울대학교 LearningX", "uuid": "0f9a2c3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f",
        "issuer": "https://canvas.instructure.com", "client_id": "10000000000042",
        "audience": "", "auth_url": "https://lx.univ.ac.kr/api/lti/authorize_redirect",
        "token_url": "https://lx.univ.ac.kr/login/oauth2/token",
        "keyset_url": "https://lx.univ.ac.kr/api/lti/security/jwks", "is_active": "on",
        "public_key": "", "private_key": "",
        "deployments-TOTAL_FORMS": "1", "deployments-INITIAL_FORMS": "0",
        "deployments-MIN_NUM_FORMS": "0", "deployments-MAX_NUM_FORMS": "1000",
        "deployments-0-deployment_id": "42:abcdef", "deployments-0-is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    registration = LtiRegistration.objects.get(client_id="10000000000042")
    deployment = registration.deployments.get()
    assert deployment.deployment_id == "42:abcdef"
    # Listed with the deployments' programmes, to be given some: until then it opens nothing
    assert list(deployment.scope.programmes.all()) == []
    listed = admin_client.get("/django-admin/lti/deploymentscope/").content.decode()
    assert "42:abcdef" in listed


def test_the_key_rotation_action(admin_client, tool_key):
    response = admin_client.post("/django-admin/lti_tool/key/", {
        "action": "rotate", "_selected_action": [tool_key.pk]})
    assert response.status_code == 302
    assert Key.objects.active().count() == 2
