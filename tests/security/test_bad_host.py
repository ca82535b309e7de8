"""A request for a host the site does not serve gets a 400 page, not a 500.

Django refuses such a Host in the first middleware that asks for it (SecurityMiddleware's
HTTPS redirect, or CommonMiddleware), before the session and the user exist; the 400 page
must render without them. Checked in the test process and under gunicorn with production
settings (collected static files, DEBUG off).
"""

from __future__ import annotations

import http.client

import pytest
from django.test import Client

from tests.security.servers import production_gunicorn

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("https_redirect", [True, False],
                         ids=["security-middleware", "common-middleware"])
def test_a_bad_host_gets_the_400_page(settings, https_redirect):
    settings.SECURE_SSL_REDIRECT = https_redirect
    client = Client(raise_request_exception=False)

    response = client.get("/ko/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    html = response.content.decode()
    assert "잘못된 요청" in html
    assert "Bad request" in html
    assert "evil.example" not in html


def test_a_good_host_still_gets_the_site(client):
    assert client.get("/healthz", HTTP_HOST="localhost").status_code in (200, 503)


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """gunicorn serving the site with production settings and collected static files."""
    with production_gunicorn(tmp_path_factory.mktemp("gunicorn")) as served:
        yield served


def _get(port: int, path: str, host: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.services
def test_under_gunicorn_with_production_settings_a_bad_host_gets_400(production_server):
    port, log = production_server

    status, html = _get(port, "/", "evil.example")

    assert status == 400, log.read_text()[-3000:]
    assert "잘못된 요청" in html
    assert "Bad request" in html
    assert "/static/css/error." in html  # the collected (hashed) stylesheet
    # The served host is answered as usual: production redirects plain HTTP to HTTPS.
    assert _get(port, "/", "lms.example.kr")[0] == 301
