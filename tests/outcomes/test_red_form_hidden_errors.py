"""Red team: the job details are hidden for a status that is not employment, so a stale value
left there (a future or too early date, a wrong choice) must not block the answer with an
error the learner cannot see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from lms.outcomes.definitions import Status
from lms.outcomes.forms import AnswerForm
from lms.outcomes.models import Outcome
from lms.outcomes.services import outcome_link_token, outcomes_follow_up

pytestmark = pytest.mark.django_db

STALE = [{"employed_on": "2999-01-01"}, {"employed_on": "1990-01-01"},
         {"employed_on": "not a date"}, {"uses_ai": "2"}, {"pay_band": "a lot"},
         {"employer_size": "huge"}, {"industry": "Z"}]


@pytest.fixture
def outcome(recent):
    outcomes_follow_up()
    return Outcome.objects.get()


@pytest.mark.parametrize("stale", STALE)
def test_stale_job_details_do_not_block_another_status(client, outcome, stale):
    with translation.override("ko"):
        link = reverse("outcomes:answer", args=[outcome_link_token(outcome=outcome)])

    response = client.post(link, {"status": Status.FURTHER_STUDY, **stale})

    outcome.refresh_from_db()
    assert response.status_code == 200
    assert 'class="errorlist"' not in response.content.decode()
    assert outcome.status == Status.FURTHER_STUDY
    assert (outcome.employed_on, outcome.uses_ai, outcome.pay_band) == (None, None, "")


@pytest.mark.parametrize("stale", STALE)
def test_the_same_details_are_still_checked_when_employed(stale):
    form = AnswerForm({"status": Status.INSURED_EMPLOYEE, **stale},
                      earliest=dt.date(2025, 3, 2), today=timezone.localdate())

    assert not form.is_valid()
    assert set(form.errors) == set(stale)


def test_the_learners_own_page_also_accepts_it(client, learner, outcome):
    client.force_login(learner)

    response = client.post(reverse("outcomes:edit", args=[outcome.pk]),
                           {"status": Status.NOT_EMPLOYED, "employed_on": "2999-01-01"})

    outcome.refresh_from_db()
    assert response.status_code == 302
    assert (outcome.status, outcome.employed_on) == (Status.NOT_EMPLOYED, None)
