"""The site as JupyterHub's OpenID Connect provider: the code flow a hub makes, with PKCE,
no consent prompt for the trusted hub client, and the claims the hub decides with."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.test import override_settings

from courses.services.enrolments import enrolment_approve, enrolment_create
from lms.core.oidc import hub_username
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLIENT_ID, SECRET = "jupyterhub-tests", "tests-only-hub-client-secret"
CALLBACK = "http://127.0.0.1:8001/hub/oauth_callback"


@pytest.fixture
def hub_client():
    with override_settings(HUB_OAUTH_CLIENT_ID=CLIENT_ID, HUB_OAUTH_CLIENT_SECRET=SECRET,
                           HUB_OAUTH_REDIRECT_URI=CALLBACK):
        call_command("hub_oauth_client", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123


def sign_in_through_the_hub(client, user) -> dict:
    """What oauthenticator does: authorize (browser), then token and userinfo (server)."""
    client.force_login(user)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    response = client.get("/o/authorize/", {
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": CALLBACK,
        "scope": "openid profile email", "state": "s1", "code_challenge": challenge,
        "code_challenge_method": "S256"})
    assert response.status_code == 302, response.content[:500]
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    code = parse_qs(location.query)["code"][0]
    client.logout()
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    token = client.post("/o/token/", {"grant_type": "authorization_code", "code": code,
                                      "redirect_uri": CALLBACK, "code_verifier": verifier},
                        HTTP_AUTHORIZATION=f"Basic {basic}")
    assert token.status_code == 200, token.content
    assert "id_token" in token.json()
    info = client.get("/o/userinfo/",
                      HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}")
    assert info.status_code == 200
    return info.json()


def test_an_enrolled_learner_gets_in_without_a_prompt(client, hub_client, run):
    learner = UserFactory()
    enrolment = enrolment_create(learner=learner, run=run)
    if enrolment.status != "enrolled":
        enrolment_approve(enrolment=enrolment)

    claims = sign_in_through_the_hub(client, learner)

    assert claims["preferred_username"] == hub_username(learner) == f"u{learner.pk}"
    assert claims["groups"] == ["hub-users"]
    assert claims["email"] == learner.email
    assert claims["sub"] == str(learner.pk)


def test_someone_not_enrolled_is_not_in_the_hub_users_group(client, hub_client):
    claims = sign_in_through_the_hub(client, UserFactory())

    assert claims["groups"] == []


def test_superusers_are_hub_admins(client, hub_client):
    claims = sign_in_through_the_hub(client, UserFactory(is_staff=True, is_superuser=True))

    assert set(claims["groups"]) == {"hub-users", "hub-admins"}


def test_other_staff_use_the_hub_but_do_not_administer_it(client, hub_client):
    claims = sign_in_through_the_hub(client, UserFactory(is_staff=True))

    assert claims["groups"] == ["hub-users"]


def test_an_unknown_redirect_is_refused(client, hub_client):
    client.force_login(UserFactory())
    response = client.get("/o/authorize/", {
        "response_type": "code", "client_id": CLIENT_ID,
        "redirect_uri": "https://evil.example/callback", "scope": "openid"})
    assert response.status_code == 400 or "evil.example" not in response.get("Location", "")


def test_the_provider_publishes_its_keys(client):
    discovery = client.get("/o/.well-known/openid-configuration").json()
    assert discovery["userinfo_endpoint"].endswith("/o/userinfo/")
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert keys
    assert keys[0]["kty"] == "RSA"
