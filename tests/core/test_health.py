"""``GET /healthz``: up or down for anyone; the parts, what runs them and why one failed for
staff users and monitors with the token only."""

import json
import subprocess
import sys

import pytest
from django.test import override_settings

from lms.accounts.models import Role
from tests.factories import UserFactory
from tests.security.test_production_settings import ROOT, _production_env

pytestmark = pytest.mark.django_db

TOKEN = "monitor-" + "t0ken-" * 6  # noqa: S105 - a test value
PUBLIC_OK = {"status": "ok"}
PUBLIC_FAIL = {"status": "fail"}


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, roles=[])
    client.force_login(user)
    return user


def _leaks(body: bytes) -> list[str]:
    """Words of the detailed report found in a public answer."""
    text = body.decode().lower()
    return [word for word in ("database", "broker", "hub", "postgres", "redis", "127.0.0.1",
                              "failing", "detail", "duration") if word in text]


def test_anyone_learns_only_that_the_site_is_up(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == PUBLIC_OK
    assert _leaks(response.content) == []


def test_staff_see_every_part(client, staff):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["checks"]["database"] == {**body["checks"]["database"], "status": "ok",
                                          "detail": "postgresql"}
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["hub"]["status"] == "not_configured"


def test_a_learner_is_not_an_operator(client):
    client.force_login(UserFactory(roles=[Role.LEARNER, Role.PROGRAMME_STAFF]))

    assert client.get("/healthz").json() == PUBLIC_OK


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_a_broker_down_is_a_bare_503_to_anyone_and_named_to_staff(client):
    public = client.get("/healthz")

    assert public.status_code == 503
    assert public.json() == PUBLIC_FAIL
    assert _leaks(public.content) == []

    client.force_login(UserFactory(is_staff=True, roles=[]))
    detailed = client.get("/healthz")

    assert detailed.status_code == 503
    body = detailed.json()
    assert body["status"] == "fail"
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["status"] == "down"
    assert "127.0.0.1:1" in body["checks"]["broker"]["detail"]


@override_settings(JUPYTERHUB_URL="http://127.0.0.1:1")
def test_a_hub_down_is_named_to_staff_only(client, staff):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["hub"]

    client.logout()
    assert client.get("/healthz").json() == PUBLIC_FAIL


@override_settings(HEALTH_CHECK_TOKEN=TOKEN, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
@pytest.mark.parametrize(("authorization", "detailed"), [
    (f"Bearer {TOKEN}", True),
    (f"bearer {TOKEN}", True),
    (f"Bearer {TOKEN}x", False),
    (f"Basic {TOKEN}", False),
    (TOKEN, False),
    ("Bearer ", False),
])
def test_a_monitor_with_the_token_sees_the_parts(client, authorization, detailed):
    response = client.get("/healthz", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 503
    assert ("failing" in response.json()) is detailed
    if detailed:
        assert response.json()["failing"] == ["broker"]
    else:
        assert response.json() == PUBLIC_FAIL


@override_settings(HEALTH_CHECK_TOKEN="")
def test_without_a_configured_token_no_token_opens_the_details(client):
    for authorization in ("Bearer ", "Bearer", "Bearer  "):
        assert client.get("/healthz", HTTP_AUTHORIZATION=authorization).json() == PUBLIC_OK


def test_healthz_answers_json_to_get_only(client):
    assert client.post("/healthz").status_code == 405


def test_a_database_down_is_a_503_even_with_a_session_cookie():
    """Production settings, PostgreSQL unreachable: a visitor with a session cookie (the
    session is in the database) gets the bare 503; the monitor's token still gets the parts,
    and the database's error, naming the host, only there."""
    probe = (
        "import django, json; django.setup()\n"
        "from django.conf import settings\n"
        # Until settings.py reads HEALTH_CHECK_TOKEN from the environment.
        f"settings.HEALTH_CHECK_TOKEN = {TOKEN!r}\n"
        "from django.test import Client\n"
        "c = Client(raise_request_exception=False)\n"
        "c.cookies['sessionid'] = 'a' * 32\n"
        "out = []\n"
        f"for auth in ('', 'Bearer {TOKEN}'):\n"
        "    r = c.get('/healthz', HTTP_HOST='lms.example.kr', secure=True,\n"
        "              HTTP_AUTHORIZATION=auth)\n"
        "    out.append([r.status_code, r.content.decode()])\n"
        "print(json.dumps(out))\n")
    env = {**_production_env(), "DATABASE_URL": "postgres://lms@127.0.0.1:1/lms",
           "HEALTH_CHECK_TOKEN": TOKEN, "HEALTH_CHECK_TIMEOUT": "2"}

    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    (public_status, public_body), (monitor_status, monitor_body) = json.loads(
        done.stdout.splitlines()[-1])
    assert public_status == 503
    assert json.loads(public_body) == PUBLIC_FAIL
    assert monitor_status == 503
    assert json.loads(monitor_body)["failing"] == ["database"]
    assert "127.0.0.1" in json.loads(monitor_body)["checks"]["database"]["detail"]
