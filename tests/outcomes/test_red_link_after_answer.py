"""Red team: an emailed link cannot overwrite an answer already given by a person (the learner
from My learning, or programme staff's correction); after the system's "no answer" the link
still records the person's answer while it is valid."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from lms.outcomes.definitions import Source, Status
from lms.outcomes.models import Outcome
from lms.outcomes.services import (
    Answer,
    LinkInvalid,
    outcome_answer_by_learner,
    outcome_answer_by_link,
    outcome_answer_by_staff,
    outcome_from_link,
    outcome_link_token,
    outcomes_follow_up,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def outcome(recent):
    outcomes_follow_up()
    return Outcome.objects.get()


def url(token, language="ko"):
    with translation.override(language):
        return reverse("outcomes:answer", args=[token])


def test_the_link_does_not_overwrite_the_learners_own_answer(client, learner, outcome):
    token = outcome_link_token(outcome=outcome)
    outcome_answer_by_learner(outcome_id=outcome.pk, learner=learner,
                              answer=Answer(status=Status.INSURED_EMPLOYEE))

    page = client.get(url(token))
    post = client.post(url(token), {"status": Status.NOT_EMPLOYED})

    outcome.refresh_from_db()
    assert (page.status_code, post.status_code) == (410, 410)
    assert "이미 응답" in post.content.decode()
    assert (outcome.status, outcome.source) == (Status.INSURED_EMPLOYEE, Source.LEARNER)
    with pytest.raises(LinkInvalid) as problem:
        outcome_answer_by_link(token=token, answer=Answer(status=Status.NOT_EMPLOYED))
    assert problem.value.reason == "answered"


def test_the_link_does_not_overwrite_a_staff_correction(client, programme_staff, outcome):
    token = outcome_link_token(outcome=outcome)
    outcome.status = Status.MILITARY_SERVICE
    outcome_answer_by_staff(outcome=outcome, actor=programme_staff)

    response = client.post(url(token, "en"), {"status": Status.NOT_EMPLOYED},
                           HTTP_ACCEPT_LANGUAGE="en")

    outcome.refresh_from_db()
    assert response.status_code == 410
    assert "already been answered" in response.content.decode()
    assert (outcome.status, outcome.source) == (Status.MILITARY_SERVICE, Source.STAFF)


def test_the_link_still_answers_after_the_systems_no_answer(client, outcome):
    token = outcome_link_token(outcome=outcome)
    Outcome.objects.filter(pk=outcome.pk).update(
        status=Status.NO_ANSWER, source=Source.SYSTEM, answered_at=timezone.now())

    assert outcome_from_link(token=token) == outcome
    response = client.post(url(token), {"status": Status.FREELANCER})

    outcome.refresh_from_db()
    assert response.status_code == 200
    assert (outcome.status, outcome.source) == (Status.FREELANCER, Source.FORM)
