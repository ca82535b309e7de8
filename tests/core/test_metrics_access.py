"""/metrics is for operators: the monitoring token (the one of /healthz) or a configured network
reads it; nobody else gets a figure, not even staff signed in, and a forged X-Forwarded-For
does not make a client local."""

import pytest
from django.test import override_settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "monitor-" + "t0ken-" * 6  # noqa: S105 - a test value


def _no_figures(response) -> None:
    body = response.content.decode()
    for figure in ("aimd_", "django_http", "# TYPE"):
        assert figure not in body


@override_settings(HEALTH_CHECK_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=[])
@pytest.mark.parametrize("authorization", [None, "", f"Bearer {TOKEN}x", f"Basic {TOKEN}",
                                           TOKEN, "Bearer "])
def test_without_the_token_there_is_no_figure(client, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = client.get("/metrics", **headers)

    assert response.status_code == 403
    _no_figures(response)


@override_settings(HEALTH_CHECK_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=[])
def test_the_monitoring_token_reads_the_metrics(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert "# TYPE aimd_grading_grades gauge" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")


@override_settings(HEALTH_CHECK_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=[])
def test_staff_signed_in_are_not_a_monitor(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get("/metrics")

    assert response.status_code == 403
    _no_figures(response)


@override_settings(HEALTH_CHECK_TOKEN="", METRICS_ALLOWED_NETWORKS=["10.1.0.0/16", "fd00::/8"])
@pytest.mark.parametrize(("address", "allowed"), [
    ("10.1.2.3", True), ("fd00::5", True), ("10.2.0.1", False), ("127.0.0.1", False),
    ("203.0.113.9", False)])
def test_an_allowed_network_reads_without_a_token(client, address, allowed):
    response = client.get("/metrics", REMOTE_ADDR=address)

    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        _no_figures(response)


@override_settings(HEALTH_CHECK_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=["10.1.0.0/16"])
def test_a_forwarded_address_is_not_the_clients(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9",
                          HTTP_X_FORWARDED_FOR="10.1.2.3", HTTP_X_REAL_IP="10.1.2.3")

    assert response.status_code == 403
    _no_figures(response)


@override_settings(HEALTH_CHECK_TOKEN="", METRICS_ALLOWED_NETWORKS=[])
def test_without_a_token_or_a_network_the_metrics_are_off(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 403
    _no_figures(response)


@override_settings(HEALTH_CHECK_TOKEN=TOKEN)
def test_metrics_answer_get_only(client):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405


@override_settings(HEALTH_CHECK_TOKEN=TOKEN, SECURE_SSL_REDIRECT=True)
def test_prometheus_scrapes_over_the_private_network_without_a_redirect(client):
    # The site redirects every other plain-http request to https.
    assert client.get("/healthz").status_code == 301

    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200


@override_settings(HEALTH_CHECK_TOKEN=TOKEN)
def test_an_invented_http_method_is_no_new_series(client):
    client.generic("BREW", "/healthz")

    body = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    assert 'method="BREW"' not in body
    assert 'method="<invalid method>"' in body
