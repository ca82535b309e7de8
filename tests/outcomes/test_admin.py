"""Outcomes and consents in the Wagtail admin for programme staff: list, filter, correct
(the source becomes staff); consents and the export log are read only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lms.accounts.models import Role
from lms.outcomes.definitions import Source, Status
from lms.outcomes.models import Outcome, OutcomeConsent
from lms.outcomes.services import outcomes_follow_up
from tests.courses.conftest import admin_login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def outcome(recent):
    outcomes_follow_up()
    return Outcome.objects.get()


def test_programme_staff_list_and_filter_outcomes(client, programme_staff, outcome):
    admin_login(client, programme_staff)
    url = reverse("wagtailsnippets_outcomes_outcome:list")

    unanswered = client.get(url, {"months": "3"})
    answered = client.get(url, {"status": Status.INSURED_EMPLOYEE})

    assert unanswered.status_code == 200
    assert outcome.certificate.serial in unanswered.content.decode()
    assert outcome.certificate.serial not in answered.content.decode()


def test_a_staff_correction_is_marked_as_staff(client, programme_staff, outcome):
    admin_login(client, programme_staff)

    response = client.post(reverse("wagtailsnippets_outcomes_outcome:edit", args=[outcome.pk]),
                           {"status": Status.SELF_EMPLOYED, "employed_on": "",
                            "employer_size": "1-49", "industry": "J", "uses_ai": "true",
                            "pay_band": ""})

    outcome.refresh_from_db()
    assert response.status_code == 302
    assert (outcome.status, outcome.source, outcome.industry) == (
        Status.SELF_EMPLOYED, Source.STAFF, "J")
    assert outcome.answered_at is not None


def test_consents_are_read_only_even_for_a_superuser(client, learner, outcome):
    superuser = UserFactory(is_superuser=True, is_staff=True, roles=[])
    admin_login(client, superuser)
    consent = OutcomeConsent.objects.get(user=learner)

    listing = client.get(reverse("wagtailsnippets_outcomes_outcomeconsent:list"))
    edit = client.get(reverse("wagtailsnippets_outcomes_outcomeconsent:edit",
                              args=[consent.pk]))

    assert listing.status_code == 200
    assert edit.status_code in (302, 403)


def test_instructors_do_not_see_outcomes(client, outcome):
    admin_login(client, UserFactory(roles=[Role.INSTRUCTOR]))

    response = client.get(reverse("wagtailsnippets_outcomes_outcome:list"))

    assert response.status_code in (302, 403)

