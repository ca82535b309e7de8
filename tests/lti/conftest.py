"""Fixtures for the LTI tool's tests: the test platform on loopback (tests/lti/platform.py),
the tool's registration of it, and a launch driven through the real HTTP steps: the tool's
login initiation (test client) → the platform's auth endpoint (HTTP) → the tool's launch."""

from __future__ import annotations

import re
from html import unescape
from importlib import import_module
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from django.conf import settings
from django.test import Client
from lti_tool.models import Key, LtiDeployment, LtiRegistration

from tests.courses.conftest import modules, tree_en  # noqa: F401 - the English tree
from tests.grading.conftest import (  # noqa: F401 - the course tree and its assignment
    assignment,
    assignment_module,
    catalogue,
    course,
    enrolled_learner,
    instructor,
    learner,
    locales,
    programme,
    run,
    source_bytes,
)
from tests.lti.platform import INSTRUCTOR, LEARNER, LaunchSpec, TestPlatform

__all__ = ["INSTRUCTOR", "LEARNER", "LaunchSpec"]


@pytest.fixture
def platform():
    server = TestPlatform().start()
    yield server
    server.stop()


@pytest.fixture
def tool_key(db):
    return Key.objects.generate()


def register(platform: TestPlatform, programmes=()) -> LtiRegistration:
    """The platform registered, with its deployment active and allowed ``programmes``."""
    registration = LtiRegistration.objects.create(
        name="Test LMS", issuer=platform.issuer, client_id=platform.client_id,
        auth_url=f"{platform.url}/auth", token_url=f"{platform.url}/token",
        keyset_url=f"{platform.url}/jwks")
    deployment = LtiDeployment.objects.create(registration=registration,
                                              deployment_id=platform.deployment_id,
                                              is_active=True)
    deployment.scope.programmes.set(programmes)  # the scope made with every deployment
    return registration


@pytest.fixture
def registration(platform, tool_key, client, programme):
    registration = register(platform, programmes=[programme])
    platform.launch_url = "http://testserver/lti/launch/"
    platform.login_url = "http://testserver/lti/login/"
    # The platform knows the tool's keys from the tool's own JWKS endpoint.
    platform.tool_jwks = client.get("/lti/jwks/").json()
    return registration


FORM_FIELD = re.compile(r'name="(id_token|state)" value="([^"]*)"')


def platform_answer(platform: TestPlatform, location: str) -> dict:
    """GET the platform's auth URL (the tool's redirect) over HTTP; the posted fields."""
    assert location.startswith(platform.url + "/auth?"), location
    with urlopen(location, timeout=10) as response:  # noqa: S310 - loopback
        page = response.read().decode()
    return {name: unescape(value) for name, value in FORM_FIELD.findall(page)}


def launch(client: Client, platform: TestPlatform, hint: str, spec: LaunchSpec | None = None,
           *, keep: list | None = None):
    """The whole launch with the test client as the browser; the launch's response."""
    if spec is not None:
        platform.prepare(hint, spec)
    login = client.get("/lti/login/", platform.login_initiation_query(hint))
    assert login.status_code == 302, login.content[:500]
    fields = platform_answer(platform, login["Location"])
    if keep is not None:
        keep.append(fields)
    return client.post("/lti/launch/", fields)


def path_of(url: str) -> str:
    return urlsplit(url).path


def signed_in_user_id(client: Client) -> int | None:
    """Who the LTI session cookie signs in (the test client's ``session`` reads the site's
    own cookie, which an LTI session never sets)."""
    morsel = client.cookies.get(settings.LTI_SESSION_COOKIE_NAME)
    if morsel is None or not morsel.value:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(morsel.value)
    value = store.get("_auth_user_id")
    return int(value) if value else None
