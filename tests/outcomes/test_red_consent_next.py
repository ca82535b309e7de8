"""Red team: the consent page's ``next`` never turns bad input into a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lms.outcomes.models import OutcomeConsent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("next_url", ["foo", "outcomes:mine", "admin:index"])
def test_a_next_that_is_not_a_path_is_not_resolved_as_a_view_name(client, learner, next_url):
    client.force_login(learner)

    response = client.post(reverse("outcomes:consent") + f"?next={next_url}",
                           {"follow_up": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:mine")
    assert OutcomeConsent.objects.get(user=learner).follow_up


def test_a_next_on_the_site_is_followed(client, learner):
    client.force_login(learner)

    response = client.post(reverse("outcomes:consent"),
                           {"follow_up": "on", "next": "/ko/courses/my/"})

    assert response["Location"] == "/ko/courses/my/"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/",
                                      "javascript:alert(1)", "/\\evil.example"])
def test_a_next_off_the_site_is_ignored(client, learner, next_url):
    client.force_login(learner)

    response = client.post(reverse("outcomes:consent"), {"follow_up": "on", "next": next_url})

    assert response["Location"] == reverse("outcomes:mine")
