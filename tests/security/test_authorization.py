"""Every URL of the site answers every role as the matrix (tests/security/matrix.py) says,
and no URL pattern exists that the matrix does not classify."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import LocalePrefixPattern

from tests.security.matrix import (
    ADMIN_LOGIN,
    DJANGO_ADMIN_LOGIN,
    LOGIN,
    MATRIX,
    PREFIXES,
    ROLES,
    THIRD_PARTY,
    Entry,
)

pytestmark = pytest.mark.django_db


def url_patterns(resolver=None, prefix: str = ""):
    """(route, view module) of every pattern, the language prefix written ``<lang>/``."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            part = ("<lang>/" if isinstance(pattern.pattern, LocalePrefixPattern)
                    else str(pattern.pattern))
            yield from url_patterns(pattern, prefix + part)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.lookup_str


def _third_party(route: str, view: str) -> bool:
    return any(route.startswith(prefix) and view.startswith(packages)
               for prefix, packages in PREFIXES.items())


def test_every_url_pattern_is_in_the_matrix():
    listed = {entry.route for entry in MATRIX if entry.route}
    patterns = dict(url_patterns())

    unclassified = sorted(f"{route}  ({view})" for route, view in patterns.items()
                          if route not in listed and not _third_party(route, view))
    stale = sorted(listed - patterns.keys())

    assert unclassified == [], "add these URL patterns to tests/security/matrix.py"
    assert stale == [], "these matrix routes no longer exist"


def test_each_third_party_area_has_samples(site):
    paths = [entry.url(site) for entry in THIRD_PARTY]

    for prefix in PREFIXES:
        start = "/" + prefix.replace("<lang>/", "ko/").split("^")[0]
        assert any(path.startswith(start) for path in paths), prefix


@pytest.mark.parametrize("path", ["/o/applications/", "/o/applications/register/",
                                  "/o/authorized_tokens/", "/o/device/", "/o/register/"])
def test_the_oauth_provider_offers_no_self_service_clients_or_device_flow(path):
    # Any signed-in learner could register an OAuth client and ask others for their data.
    with pytest.raises(Resolver404):
        resolve(path)


def outcome(response) -> int | str:
    """The status, or which login page a redirect leads to."""
    if response.status_code in (301, 302):
        location = response["Location"]
        if "/django-admin/login/" in location:
            return DJANGO_ADMIN_LOGIN
        if "/accounts/admin-login/" in location:
            return ADMIN_LOGIN
        if "/accounts/login/" in location:
            return LOGIN
    return response.status_code


def client_for(site, role: str, entry: Entry) -> tuple[Client, dict]:
    client = Client(raise_request_exception=False)
    headers = dict(entry.headers)
    user = site.users[role]
    if entry.auth == "token":
        if user is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {site.api_tokens[role]}"
    elif user is not None:
        client.force_login(user)
    return client, headers


def _post_and_roll_back(client: Client, url: str, data: dict, headers: dict):
    """POST, then undo what it wrote, so that each URL sees the same site."""
    with transaction.atomic():
        response = client.post(url, data, **headers)
        transaction.set_rollback(True)
    return response


def _describe(role, method, url, entry, expected, response) -> str:
    got = outcome(response)
    where = f" → {response['Location']}" if response.status_code in (301, 302) else ""
    return f"{role}: {method} {url} [{entry.label()}]: expected {expected}, got {got}{where}"


@pytest.mark.parametrize("role", ROLES)
def test_each_url_answers_the_role_as_the_matrix_says(site, role):
    mismatches = []
    for entry in MATRIX:
        url = entry.url(site)
        client, headers = client_for(site, role, entry)
        if entry.get is not None:
            response = client.get(url, **headers)
            if outcome(response) != entry.get[role]:
                mismatches.append(_describe(role, "GET", url, entry, entry.get[role], response))
            if (response.get("Content-Type", "").startswith("text/html")
                    and "Content-Security-Policy" not in response):
                mismatches.append(f"{role}: GET {url}: an HTML page without a CSP")
        if entry.post is not None:
            response = _post_and_roll_back(client, url, entry.data(site), headers)
            if outcome(response) != entry.post[role]:
                mismatches.append(_describe(role, "POST", url, entry, entry.post[role], response))

    assert mismatches == [], "\n".join(mismatches)


@pytest.mark.parametrize("role", ["learner", "ministry_officer"])
def test_an_account_without_admin_access_is_told_so_not_bounced(site, role):
    client = Client()
    client.force_login(site.users[role])

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert len(response.redirect_chain) == 1  # /admin/ → the admin's login address, once
    assert "이 계정으로는 이 페이지에 접근할 수 없습니다." in response.content.decode()
