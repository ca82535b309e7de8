"""Every URL that accepts a state-changing POST refuses one without a CSRF token (and accepts
it with one), except the machine endpoints that are token-authenticated by design."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from tests.security.matrix import MATRIX, REFUSALS

pytestmark = pytest.mark.django_db

STATE_CHANGING = [entry for entry in MATRIX if entry.takes_post]


def _post(client: Client, url: str, data: dict, headers: dict):
    with transaction.atomic():
        response = client.post(url, data, **headers)
        transaction.set_rollback(True)
    return response


def _csrf_refusal(response) -> bool:
    return (response.status_code == 403
            and "403_csrf.html" in [t.name for t in response.templates])


def test_the_matrix_lists_state_changing_urls_of_every_kind():
    routes = {entry.route for entry in STATE_CHANGING}

    assert "<lang>/grading/assignments/<slug:key>/submit/" in routes
    assert "admin/snippets/certificates/certificate/revoke/<int:pk>/" in routes
    assert len(STATE_CHANGING) >= 25


def test_each_role_of_the_csrf_test_may_otherwise_post():
    # Otherwise a 403 would prove nothing about CSRF.
    for entry in STATE_CHANGING:
        expected = (entry.post or entry.get)[entry.csrf_role]
        assert expected not in REFUSALS, (entry.label(), entry.csrf_role, expected)


def test_state_changing_urls_refuse_a_post_without_a_csrf_token(site):
    failures = []
    for entry in STATE_CHANGING:
        url = entry.url(site)
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        user = site.users[entry.csrf_role]
        if user is not None:
            client.force_login(user)

        without = _post(client, url, entry.data(site), entry.headers)
        token = _get_new_csrf_string()
        client.cookies["csrftoken"] = token
        with_token = _post(client, url, {**entry.data(site), "csrfmiddlewaretoken": token},
                           entry.headers)

        if entry.csrf_exempt_by_design:
            if _csrf_refusal(without):
                failures.append(f"{url}: a token endpoint asks for a CSRF token")
        elif not _csrf_refusal(without):
            failures.append(f"{url} [{entry.label()}] as {entry.csrf_role}: accepted a POST "
                            f"without a CSRF token ({without.status_code})")
        elif _csrf_refusal(with_token):
            failures.append(f"{url} [{entry.label()}]: refused even with a CSRF token")

    assert failures == [], "\n".join(failures)


def test_the_reports_api_takes_no_session_and_no_post(site):
    client = Client(enforce_csrf_checks=True)
    client.force_login(site.users["ministry_officer"])

    # A signed-in browser cannot use the API: only bearer tokens authenticate there...
    assert client.get("/api/years/").status_code == 401
    # ...and with a token it is read-only.
    token = {"HTTP_AUTHORIZATION": f"Bearer {site.api_tokens['ministry_officer']}"}
    assert client.post("/api/years/", {}, **token).status_code == 405
    assert client.get("/api/years/", **token).status_code == 200
