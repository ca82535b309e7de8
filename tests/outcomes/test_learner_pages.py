"""The learner's own pages: consents (from the profile and after a completion on "My
learning") and their outcomes; only their own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.outcomes.definitions import Source, Status
from lms.outcomes.models import Outcome, OutcomeConsent
from lms.outcomes.services import ConsentRefused, outcome_consent_set, outcomes_follow_up
from tests.outcomes.conftest import certify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("korean")]


# --- Consent ---------------------------------------------------------------------------------

def test_consent_times_are_recorded_and_kept(learner):
    first = timezone.now() - dt.timedelta(days=3)
    outcome_consent_set(user=learner, follow_up=True, matching=False, now=first)
    consent = outcome_consent_set(user=learner, follow_up=True, matching=True,
                                  birth_date=dt.date(1994, 5, 2), now=timezone.now())

    assert consent.follow_up_at == first
    assert consent.matching_at > first
    assert consent.birth_date == dt.date(1994, 5, 2)


def test_matching_needs_the_date_of_birth(learner):
    with pytest.raises(ConsentRefused):
        outcome_consent_set(user=learner, follow_up=False, matching=True)


def test_withdrawing_matching_clears_the_date_of_birth(learner):
    outcome_consent_set(user=learner, follow_up=True, matching=True,
                        birth_date=dt.date(1994, 5, 2))
    consent = outcome_consent_set(user=learner, follow_up=True, matching=False,
                                  birth_date=dt.date(1994, 5, 2))

    assert (consent.matching, consent.matching_at, consent.birth_date) == (False, None, None)


def test_the_consent_page_records_both_consents(client, learner):
    client.force_login(learner)

    response = client.post(reverse("outcomes:consent"), {
        "follow_up": "on", "matching": "on", "birth_date": "1994-05-02"})

    consent = OutcomeConsent.objects.get(user=learner)
    assert response.status_code == 302
    assert (consent.follow_up, consent.matching, consent.language) == (True, True, "ko")
    assert consent.follow_up_at is not None
    assert consent.matching_at is not None


def test_the_consent_page_asks_for_the_date_of_birth(client, learner):
    client.force_login(learner)

    response = client.post(reverse("outcomes:consent"), {"matching": "on"})

    assert response.status_code == 200
    assert "생년월일" in response.content.decode()
    assert not OutcomeConsent.objects.filter(user=learner, matching=True).exists()


def test_the_profile_links_to_the_consent(client, learner):
    client.force_login(learner)

    html = client.get(reverse("profile")).content.decode()

    assert reverse("outcomes:consent") in html


def test_my_learning_asks_after_a_completion(client, learner, run):
    certify(learner, run)
    client.force_login(learner)

    html = client.get(reverse("courses:dashboard")).content.decode()

    assert html.count(reverse("outcomes:consent")) == 1


def test_my_learning_does_not_ask_before_a_completion(client, learner):
    client.force_login(learner)

    html = client.get(reverse("courses:dashboard")).content.decode()

    assert reverse("outcomes:consent") not in html


# --- The learner's outcomes ------------------------------------------------------------------

@pytest.fixture
def outcome(recent):
    outcomes_follow_up()
    return Outcome.objects.get()


def test_the_learner_sees_and_answers_their_outcome(client, learner, outcome):
    client.force_login(learner)

    listing = client.get(reverse("outcomes:mine")).content.decode()
    response = client.post(reverse("outcomes:edit", args=[outcome.pk]),
                           {"status": Status.FREELANCER, "employed_on": ""})

    outcome.refresh_from_db()
    assert reverse("outcomes:edit", args=[outcome.pk]) in listing
    assert response.status_code == 302
    assert (outcome.status, outcome.source) == (Status.FREELANCER, Source.LEARNER)


def test_another_learner_cannot_see_or_answer_it(client, other_learner, outcome):
    client.force_login(other_learner)

    listing = client.get(reverse("outcomes:mine")).content.decode()
    page = client.get(reverse("outcomes:edit", args=[outcome.pk]))
    post = client.post(reverse("outcomes:edit", args=[outcome.pk]),
                       {"status": Status.FREELANCER})

    assert reverse("outcomes:edit", args=[outcome.pk]) not in listing
    assert (page.status_code, post.status_code) == (404, 404)
    assert Outcome.objects.get().status == ""


def test_the_outcome_pages_need_a_login(client, outcome):
    response = client.get(reverse("outcomes:edit", args=[outcome.pk]))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_my_outcomes_page_lists_in_constant_queries(client, learner, run, outcome,
                                                    django_assert_max_num_queries):
    client.force_login(learner)
    with django_assert_max_num_queries(12):
        client.get(reverse("outcomes:mine"))
