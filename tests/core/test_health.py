import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_and_broker_are_up(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["hub"]["status"] == "not_configured"


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_healthz_names_the_broker_when_it_is_down(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["status"] == "down"
    assert "127.0.0.1:1" in body["checks"]["broker"]["detail"]


@override_settings(JUPYTERHUB_URL="http://127.0.0.1:1")
def test_healthz_names_the_hub_when_it_is_configured_but_unreachable(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["hub"]


def test_healthz_answers_json_to_get_only(client):
    assert client.post("/healthz").status_code == 405
