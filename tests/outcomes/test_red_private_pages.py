"""Red team: the learner's own outcome pages show personal data (the date of birth given for
matching, the job and the pay): no browser or proxy may keep a copy (a shared computer at a
training centre, the back button after signing out)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lms.outcomes.models import Outcome
from lms.outcomes.services import outcome_consent_set, outcomes_follow_up

pytestmark = pytest.mark.django_db


def test_the_consent_page_with_the_date_of_birth_is_not_cached(client, learner):
    outcome_consent_set(user=learner, follow_up=True, matching=True,
                        birth_date=dt.date(1990, 5, 17))
    client.force_login(learner)

    response = client.get(reverse("outcomes:consent"))

    assert "1990-05-17" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_learners_outcome_pages_are_not_cached(client, learner, recent):
    outcomes_follow_up()
    outcome = Outcome.objects.get()
    client.force_login(learner)

    for url in (reverse("outcomes:mine"), reverse("outcomes:edit", args=[outcome.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"], url
