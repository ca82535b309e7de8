"""The secrets of mailed links (the employment follow-up's answer link, the LTI account link,
allauth's confirmation and reset keys) never reach a log: not gunicorn's access log, not the
site's own lines (django.request's "Bad Request: <path>", runserver's request lines)."""

from __future__ import annotations

import http.client
import logging

import pytest

from lms.core.accesslog import SecretsFilter, redact
from tests.security.servers import production_gunicorn

pytestmark = pytest.mark.django_db

SECRET = "eyJvdXRjb21lIjo0Mn0:1wXyZa:Sup3rS3cr3tT0k3n"


@pytest.mark.parametrize(("path", "logged"), [
    (f"/ko/outcomes/answer/{SECRET}/", "/ko/outcomes/answer/[redacted]/"),
    (f"/en/outcomes/answer/{SECRET}/?next=1", "/en/outcomes/answer/[redacted]/?next=1"),
    (f"/lti/link/{SECRET}/", "/lti/link/[redacted]/"),
    (f"/ko/accounts/confirm-email/{SECRET}/", "/ko/accounts/confirm-email/[redacted]/"),
    (f"/ko/accounts/password/reset/key/4c-{SECRET}/",
     "/ko/accounts/password/reset/key/[redacted]/"),
    (f'"GET /ko/outcomes/answer/{SECRET}/ HTTP/1.1" 400 1234',
     '"GET /ko/outcomes/answer/[redacted]/ HTTP/1.1" 400 1234'),
])
def test_the_secret_of_a_mailed_link_is_redacted(path, logged):
    assert redact(path) == logged


@pytest.mark.parametrize("path", [
    "/ko/outcomes/", "/ko/outcomes/42/", "/ko/accounts/password/reset/key/done/",
    "/verify/AIMD-2026-000123/", "/ko/grading/assignments/squares/submit/", "plain text",
])
def test_other_addresses_are_logged_as_they_are(path):
    assert redact(path) == path


def test_the_sites_log_handler_redacts_every_logger_and_runserver_uses_it():
    handler = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, SecretsFilter) for f in h.filters))
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Bad Request: %s",
                               (f"/ko/outcomes/answer/{SECRET}/",), None)
    assert handler.filter(record)
    assert SECRET not in handler.format(record)
    assert "/ko/outcomes/answer/[redacted]/" in handler.format(record)
    # runserver (the demo) logs its request lines to django.server: the same handler
    server = logging.getLogger("django.server")
    assert handler in server.handlers
    # and no handler of its own that would print the line unfiltered (pytest's are not ours)
    assert all(any(isinstance(f, SecretsFilter) for f in h.filters)
               for h in server.handlers if not type(h).__module__.startswith("_pytest"))
    assert not server.propagate


def _get(port: int, path: str, referer: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={
            "Host": "lms.example.kr", "X-Forwarded-Proto": "https", "Referer": referer})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.services
def test_gunicorn_logs_no_secret_of_a_mailed_link(tmp_path):
    # Given the site served as the image serves it (gunicorn, its access log on stdout)
    with production_gunicorn(tmp_path, "--access-logfile", "-",
                             environ={"DJANGO_BEHIND_TLS_PROXY": "1"}) as (port, log):
        # When a learner opens a (here: no longer valid) answer link, and the page it opened
        # sends its own requests with the link as referer
        assert _get(port, f"/ko/outcomes/answer/{SECRET}/", "-") == 400
        assert _get(port, "/ko/", f"https://lms.example.kr/lti/link/{SECRET}/") == 200
    text = log.read_text()
    # Then the access lines and the site's "Bad Request" line name the page, not the secret
    assert SECRET not in text, text[-3000:]
    assert '"GET /ko/outcomes/answer/[redacted]/ HTTP/1.1" 400' in text, text[-3000:]
    assert "https://lms.example.kr/lti/link/[redacted]/" in text
    assert "Bad Request: /ko/outcomes/answer/[redacted]/" in text
