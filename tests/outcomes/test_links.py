"""The emailed one-time link and its form: no login, once, until it expires; bad links get a
clear page and a log line, never a 500."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone, translation

from lms.outcomes.definitions import Source, Status
from lms.outcomes.models import Outcome
from lms.outcomes.services import (
    LINK_SALT,
    Answer,
    LinkInvalid,
    outcome_answer_by_link,
    outcome_from_link,
    outcome_link_token,
    outcomes_follow_up,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def outcome(recent):
    outcomes_follow_up()
    return Outcome.objects.get()


def url(outcome, language="ko", now=None):
    with translation.override(language):
        return reverse("outcomes:answer", args=[outcome_link_token(outcome=outcome, now=now)])


EMPLOYED = {"status": Status.INSURED_EMPLOYEE, "employed_on": "", "employer_size": "50-299",
            "industry": "C", "uses_ai": "1", "pay_band": "300-399"}


# --- The service -----------------------------------------------------------------------------

def test_a_link_works_until_it_expires(outcome, settings):
    settings.OUTCOMES_LINK_MAX_AGE_DAYS = 30
    made = timezone.now().replace(microsecond=0)
    token = outcome_link_token(outcome=outcome, now=made)

    assert outcome_from_link(token=token, now=made + 30 * DAY) == outcome
    with pytest.raises(LinkInvalid) as problem:
        outcome_from_link(token=token, now=made + 30 * DAY + dt.timedelta(seconds=1))
    assert problem.value.reason == "expired"


def test_a_link_works_once(outcome):
    token = outcome_link_token(outcome=outcome)
    outcome_answer_by_link(token=token, answer=Answer(status=Status.NOT_EMPLOYED))

    with pytest.raises(LinkInvalid) as problem:
        outcome_answer_by_link(token=token, answer=Answer(status=Status.FREELANCER))
    assert problem.value.reason == "used"
    assert Outcome.objects.get().status == Status.NOT_EMPLOYED


def test_a_changed_token_is_refused(outcome):
    token = outcome_link_token(outcome=outcome)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    with pytest.raises(LinkInvalid) as problem:
        outcome_from_link(token=tampered)
    assert problem.value.reason == "tampered"


def test_a_token_signed_for_another_outcome_nonce_is_refused(outcome):
    forged = signing.dumps({"o": outcome.pk, "n": "guessed", "t": int(timezone.now().timestamp())},
                           salt=LINK_SALT)

    with pytest.raises(LinkInvalid) as problem:
        outcome_from_link(token=forged)
    assert problem.value.reason == "unknown"


def test_a_token_of_another_salt_is_refused(outcome):
    other = signing.dumps({"o": outcome.pk, "n": outcome.link_nonce,
                           "t": int(timezone.now().timestamp())})

    with pytest.raises(LinkInvalid):
        outcome_from_link(token=other)


# --- The page --------------------------------------------------------------------------------

def test_the_korean_form_needs_no_login(client, outcome):
    response = client.get(url(outcome, "ko"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "3개월" in html
    assert 'type="radio"' in html
    assert 'name="employed_on"' in html
    assert 'lang="ko"' in html


def test_the_english_form(client, outcome):
    response = client.get(url(outcome, "en"), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert "3 months after the programme" in html
    assert "Employed, insured employee" in html


def test_an_answer_through_the_link(client, outcome):
    response = client.post(url(outcome), EMPLOYED)

    outcome.refresh_from_db()
    assert response.status_code == 200
    assert (outcome.status, outcome.source) == (Status.INSURED_EMPLOYEE, Source.FORM)
    assert (outcome.employer_size, outcome.industry, outcome.uses_ai, outcome.pay_band) == (
        "50-299", "C", True, "300-399")
    assert outcome.link_used_at is not None
    assert outcome.answered_at is not None


def test_details_are_dropped_for_a_status_that_is_not_employment(client, outcome):
    client.post(url(outcome), {**EMPLOYED, "status": Status.FURTHER_STUDY})

    outcome.refresh_from_db()
    assert outcome.status == Status.FURTHER_STUDY
    assert (outcome.employer_size, outcome.industry, outcome.uses_ai) == ("", "", None)


def test_the_status_is_required(client, outcome):
    response = client.post(url(outcome), {"status": ""})

    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert Outcome.objects.get().status == ""


@pytest.mark.parametrize("days", [1, 400])
def test_the_date_employed_is_neither_in_the_future_nor_before_the_programme(
        client, outcome, days):
    run = outcome.certificate.enrolment.run
    day = timezone.localdate() + days * DAY if days == 1 else run.starts_on - DAY

    response = client.post(url(outcome), {**EMPLOYED, "employed_on": day.isoformat()})

    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert Outcome.objects.get().status == ""


def test_a_used_link_gets_a_clear_page_and_a_log_line(client, outcome, caplog):
    link = url(outcome)
    client.post(link, EMPLOYED)

    with caplog.at_level(logging.WARNING, logger="lms.outcomes.views"):
        response = client.get(link)

    assert response.status_code == 410
    assert "이미 사용" in response.content.decode()
    assert "outcome link refused (used)" in caplog.text


def test_an_expired_link_gets_a_clear_page(client, outcome, settings, caplog):
    link = url(outcome, now=timezone.now() - (settings.OUTCOMES_LINK_MAX_AGE_DAYS + 1) * DAY)

    with caplog.at_level(logging.WARNING, logger="lms.outcomes.views"):
        response = client.get(link)

    assert response.status_code == 410
    assert "만료" in response.content.decode()
    assert "outcome link refused (expired)" in caplog.text


def test_a_tampered_link_gets_a_clear_page(client, outcome, caplog):
    with translation.override("ko"):
        link = reverse("outcomes:answer", args=["not-a-token:at-all"])

    with caplog.at_level(logging.WARNING, logger="lms.outcomes.views"):
        response = client.post(link, EMPLOYED)

    assert response.status_code == 400
    assert "올바르지 않" in response.content.decode()
    assert "outcome link refused (tampered)" in caplog.text
    assert Outcome.objects.get().status == ""
