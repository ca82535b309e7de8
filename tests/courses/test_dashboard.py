"""The learner's "My learning" dashboard."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.courses.factories import course_create, programme_create
from tests.courses.learner_side import body, enrol, reading_modules

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _korean():
    """URLs are reversed in Korean whatever language an earlier request left active."""
    with translation.override("ko"):
        yield


def dashboard(client):
    return client.get(reverse("courses:dashboard"))


def test_dashboard_needs_a_login(client, catalogue):
    response = dashboard(client)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_empty_dashboard_links_to_the_catalogue(client, catalogue, learner):
    client.force_login(learner)

    html = body(dashboard(client))

    assert "empty-state" in html
    assert 'href="/ko/"' in html.split('class="panel empty-state"')[1]


def test_dashboard_shows_each_programme_with_progress_per_course(client, programme, course,
                                                                  modules, run, learner):
    second = course_create(parent=programme, title="머신러닝", slug="ml")
    reading_modules(second, 3)
    enrol(learner, run)
    client.force_login(learner)
    client.post(reverse("courses:module_complete", args=[modules[0].pk]))

    html = body(dashboard(client))

    assert f'href="{programme.url}"' in html
    assert "status--enrolled" in html
    assert (f'<progress aria-labelledby="progress-{programme.pk}" max="5" value="1">' in html)
    assert f'<progress aria-labelledby="progress-{course.pk}" max="2" value="1">' in html
    assert f'<progress aria-labelledby="progress-{second.pk}" max="3" value="0">' in html
    assert "1 / 5" in html
    assert "1 / 2" in html
    assert "0 / 3" in html


def test_dashboard_continues_where_the_learner_left_off(client, programme, course, run,
                                                        learner):
    mods = reading_modules(course, 3)
    enrol(learner, run)
    client.force_login(learner)
    client.get(mods[1].url)

    html = body(dashboard(client))

    continue_link = re.search(r'<p class="dashboard__continue">.*?</p>', html, re.S).group(0)
    assert f'href="{mods[1].url}"' in continue_link


def test_applicant_sees_the_application_without_progress(client, programme, modules, run,
                                                         learner):
    enrol(learner, run, status="applied")
    client.force_login(learner)

    html = body(dashboard(client))

    assert "status--applied" in html
    assert "<progress" not in html
    assert "dashboard__continue" not in html


def test_dropped_programmes_are_not_listed(client, programme, run, learner):
    enrol(learner, run, status="dropped")
    client.force_login(learner)

    html = body(dashboard(client))

    assert programme.title not in html
    assert "empty-state" in html


def test_every_programme_of_the_learner_is_listed(client, catalogue, programme, run, learner):
    from tests.courses.factories import ProgrammeRunFactory

    other = programme_create(parent=catalogue, title="비전 검사", slug="vision")
    enrol(learner, run)
    enrol(learner, ProgrammeRunFactory(programme=other, number=1))
    client.force_login(learner)

    html = body(dashboard(client))

    assert programme.title in html
    assert other.title in html
    assert html.count('class="dashboard__item"') == 2


def test_english_dashboard_shows_the_english_pages(client, tree_en, run, learner):
    enrol(learner, run)
    client.force_login(learner)

    with translation.override("en"):
        html = body(dashboard(client))

    assert tree_en.programme.title in html
    assert f'href="{tree_en.programme.url}"' in html
    assert f'href="{tree_en.modules[0].url}"' in html


def test_other_learners_progress_does_not_show(client, programme, modules, run, learner):
    from tests.factories import UserFactory

    other = UserFactory()
    enrol(other, run)
    client.force_login(other)
    client.post(reverse("courses:module_complete", args=[modules[0].pk]))
    enrol(learner, run)
    client.force_login(learner)

    html = body(dashboard(client))

    assert f'<progress aria-labelledby="progress-{programme.pk}" max="2" value="0">' in html
