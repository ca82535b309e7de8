"""The footer's "Service status" is a page people can read; /healthz stays JSON for machines
(issue 16). The same rule on who sees the parts holds on both."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def status_page(client, language="ko"):
    with translation.override(language):
        return client.get(reverse("service_status"))


def test_the_status_page_is_translated_html(client):
    korean = status_page(client)
    english = status_page(client, "en")

    assert korean.status_code == 200
    assert korean["Content-Type"].startswith("text/html")
    assert "모든 서비스가 정상적으로 동작하고 있습니다." in korean.content.decode()
    assert 'data-state="ok"' in korean.content.decode()
    assert "All systems are working." in english.content.decode()


def test_visitors_do_not_see_the_parts(client):
    html = status_page(client).content.decode()

    assert "postgresql" not in html
    assert "데이터베이스" not in html


def test_staff_see_the_parts(client):
    client.force_login(UserFactory(is_staff=True, roles=[]))

    html = status_page(client).content.decode()

    assert "데이터베이스" in html
    assert "postgresql" in html


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_a_part_down_reads_as_such_with_a_503(client):
    response = status_page(client)

    assert response.status_code == 503
    assert 'data-state="fail"' in response.content.decode()
    assert "127.0.0.1:1" not in response.content.decode()


def test_the_footer_links_the_page_and_healthz_stays_json(client):
    with translation.override("ko"):
        html = client.get(reverse("service_status")).content.decode()
    footer = html.split('class="site-footer"')[1]

    assert 'href="/ko/status/"' in footer
    assert 'href="/healthz"' not in footer
    assert client.get("/healthz")["Content-Type"] == "application/json"


# --- The favicon ------------------------------------------------------------------------------


def test_every_page_links_the_icons(client):
    with translation.override("ko"):
        html = client.get(reverse("service_status")).content.decode()

    assert 'rel="icon" href="/static/img/favicon.ico"' in html
    assert 'rel="icon" href="/static/img/favicon.svg" type="image/svg+xml"' in html


def test_the_root_favicon_address_leads_to_the_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302  # a 301 would be kept by browsers for good
    assert response["Location"] == "/static/img/favicon.ico"


def test_the_icons_are_shipped():
    from django.contrib.staticfiles import finders

    for name in ("img/favicon.svg", "img/favicon.ico", "img/apple-touch-icon.png"):
        assert finders.find(name), name
    with open(finders.find("img/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO header


def test_with_the_database_down_the_status_page_says_so_instead_of_failing():
    """PostgreSQL unreachable, a visitor with a session cookie: the site's header would read
    the session from the database; the page comes on its own, a 503, never a 500."""
    import json
    import subprocess
    import sys

    from tests.security.test_production_settings import ROOT, _production_env

    probe = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "c = Client(raise_request_exception=False)\n"
        "out = []\n"
        "for cookie in ('', 'a' * 32):\n"
        "    c.cookies['sessionid'] = cookie\n"
        "    r = c.get('/ko/status/', HTTP_HOST='lms.example.kr', secure=True)\n"
        "    out.append([r.status_code, r.content.decode()])\n"
        "print(json.dumps(out))\n")
    # DJANGO_DEBUG=1 only for the plain static storage (no collectstatic manifest here).
    env = {**_production_env(), "DJANGO_DEBUG": "1", "HEALTH_CHECK_TIMEOUT": "2",
           "DATABASE_URL": "postgres://lms@127.0.0.1:1/lms"}

    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    for status, html in json.loads(done.stdout.splitlines()[-1]):
        assert status == 503
        assert 'data-state="fail"' in html


def test_anonymous_visitors_share_one_recent_answer_and_operators_get_fresh_ones(
        client, monkeypatch):
    from lms.core import views

    calls = []

    def report(*, detailed):
        calls.append(detailed)
        return True, {"status": "ok"}

    monkeypatch.setattr(views, "health_report", report)
    monkeypatch.setattr(views, "_public_answer", {})
    with override_settings(HEALTH_PUBLIC_CACHE_SECONDS=60):
        for _ in range(3):
            assert status_page(client).status_code == 200
            assert client.get("/healthz").status_code == 200
        assert calls == [False]  # the footer's link does not run the checks per visitor

        client.force_login(UserFactory(is_staff=True, roles=[]))
        status_page(client)
        status_page(client)
    assert calls == [False, True, True]
