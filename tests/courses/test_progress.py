"""Progress through modules: marking complete, percentages per course and programme, progress
shared between the Korean and English pages, and "continue where you left off"."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from courses.models import ModuleProgress
from courses.selectors import course_overview, programme_overview
from tests.courses.factories import course_create, module_create
from tests.courses.learner_side import body, enrol, reading_modules

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _korean():
    """URLs are reversed in Korean whatever language an earlier request left active."""
    with translation.override("ko"):
        yield



def complete(client, module):
    return client.post(reverse("courses:module_complete", args=[module.pk]))


def levels(response) -> list[str]:
    return [m.level_tag for m in get_messages(response.wsgi_request)]


def completed_keys(learner) -> set:
    return set(ModuleProgress.objects.filter(learner=learner, completed_at__isnull=False)
               .values_list("module_key", flat=True))


# --- Marking a module complete ---------------------------------------------------------------


def test_mark_complete_records_progress_and_goes_to_the_next_module(client, modules, enrolled):
    response = complete(client, modules[0])

    assert response.status_code == 302
    assert response["Location"] == modules[1].url
    assert completed_keys(enrolled) == {modules[0].translation_key}
    assert levels(response) == ["success"]


def test_completing_the_last_module_goes_back_to_the_course(client, course, modules, enrolled):
    complete(client, modules[0])

    response = complete(client, modules[1])

    assert response["Location"] == course.url
    assert len(completed_keys(enrolled)) == 2


def test_completing_twice_keeps_the_first_completion_time(client, modules, enrolled):
    complete(client, modules[0])
    first = ModuleProgress.objects.get(learner=enrolled).completed_at

    complete(client, modules[0])

    assert ModuleProgress.objects.get(learner=enrolled).completed_at == first


def test_assignment_module_cannot_be_marked_complete(client, course, enrolled):
    module = module_create(parent=course, title="과제", slug="task", assignment_key="task-1")

    response = complete(client, module)

    assert response["Location"] == module.url
    assert levels(response) == ["error"]
    assert completed_keys(enrolled) == set()


def test_learner_who_is_not_enrolled_cannot_mark_complete(client, modules, learner, run):
    client.force_login(learner)

    response = complete(client, modules[0])

    assert levels(response) == ["error"]
    assert completed_keys(learner) == set()


def test_applicant_cannot_mark_complete(client, modules, learner, run):
    enrol(learner, run, status="applied")
    client.force_login(learner)

    response = complete(client, modules[0])

    assert levels(response) == ["error"]
    assert completed_keys(learner) == set()


def test_anonymous_visitor_is_sent_to_log_in(client, modules):
    response = complete(client, modules[0])

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={modules[0].url}"


def test_mark_complete_needs_the_csrf_token(modules, learner, run):
    enrol(learner, run)
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)

    assert complete(client, modules[0]).status_code == 403
    assert completed_keys(learner) == set()


def test_unknown_module_is_404(client, enrolled):
    assert client.post(reverse("courses:module_complete", args=[999_999])).status_code == 404


def test_completed_module_shows_done_instead_of_the_button(client, modules, enrolled):
    complete(client, modules[0])

    html = body(client.get(modules[0].url))

    assert "completion__done" in html
    assert reverse("courses:module_complete", args=[modules[0].pk]) not in html
    assert "tag--done" in html


# --- Percentages -----------------------------------------------------------------------------


def test_percent_per_course_and_programme(client, programme, course, modules, enrolled):
    second = course_create(parent=programme, title="머신러닝", slug="ml")
    more = reading_modules(second, 2)
    complete(client, modules[0])
    complete(client, modules[1])
    complete(client, more[0])

    overview = programme_overview(programme=programme, user=enrolled)

    assert [(c.completed, c.total, c.percent) for c in overview.courses] == [(2, 2, 100),
                                                                              (1, 2, 50)]
    assert (overview.completed, overview.total, overview.percent) == (3, 4, 75)
    assert course_overview(course=second, user=enrolled).outline.percent == 50


def test_programme_page_shows_progress_as_bar_and_text(client, programme, course, modules,
                                                       enrolled):
    complete(client, modules[0])

    html = body(client.get(programme.url))

    assert '<progress aria-labelledby="progress-programme" max="2" value="1">' in html
    assert "1 / 2" in html
    assert f'<progress aria-labelledby="progress-{course.pk}" max="2" value="1">' in html


def test_empty_course_has_zero_percent_and_no_bar(client, programme, course, enrolled):
    overview = course_overview(course=course, user=enrolled)

    assert (overview.outline.total, overview.outline.percent) == (0, 0)
    assert "<progress" not in body(client.get(course.url)).split('id="modules-heading"')[0]


# --- Korean and English pages share progress -------------------------------------------------


def test_progress_on_the_english_page_counts_on_the_korean_one(client, tree_en, modules,
                                                               enrolled):
    response = client.post(reverse("courses:module_complete", args=[tree_en.modules[0].pk]))

    assert response["Location"] == tree_en.modules[1].url
    assert completed_keys(enrolled) == {modules[0].translation_key}
    html = body(client.get(modules[0].url))
    assert "completion__done" in html


def test_english_programme_page_shows_the_progress_made_in_korean(client, tree_en, modules,
                                                                  enrolled):
    complete(client, modules[0])

    html = body(client.get(tree_en.programme.url))

    assert '<progress aria-labelledby="progress-programme" max="2" value="1">' in html
    assert f'href="{tree_en.modules[1].url}"' in html  # continue, in English


# --- Continue where you left off -------------------------------------------------------------


def test_continue_points_at_the_last_module_opened_and_not_finished(client, programme, course,
                                                                    enrolled):
    mods = reading_modules(course, 4)
    client.get(mods[2].url)

    overview = programme_overview(programme=programme, user=enrolled)

    assert overview.continue_module.page.pk == mods[2].pk
    assert f'href="{mods[2].url}"' in body(client.get(programme.url))


def test_continue_moves_past_the_last_module_once_it_is_complete(client, programme, course,
                                                                 enrolled):
    mods = reading_modules(course, 3)
    client.get(mods[0].url)
    complete(client, mods[0])

    overview = programme_overview(programme=programme, user=enrolled)

    assert overview.continue_module.page.pk == mods[1].pk


def test_continue_starts_at_the_first_module_when_nothing_was_opened(programme, modules,
                                                                     enrolled):
    overview = programme_overview(programme=programme, user=enrolled)

    assert overview.continue_module.page.pk == modules[0].pk
    assert overview.continue_module.last_viewed_at is None


def test_opening_a_module_remembers_when(client, modules, enrolled):
    client.get(modules[1].url)

    progress = ModuleProgress.objects.get(learner=enrolled)
    assert progress.module_key == modules[1].translation_key
    assert progress.last_viewed_at is not None
    assert progress.completed_at is None
