"""Where the course site sends a learner next: the way out of a locked module, and the
module "My learning" suggests (issue 16)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from courses.models import ModuleProgress
from courses.selectors import learner_dashboard, module_view, programme_overview
from tests.courses.factories import course_create, module_create
from tests.courses.learner_side import body, enrol, reading_modules

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _korean():
    with translation.override("ko"):
        yield


def progress(learner, module, *, viewed_minutes_ago, completed=False):
    at = timezone.now() - dt.timedelta(minutes=viewed_minutes_ago)
    ModuleProgress.objects.update_or_create(
        learner=learner, module_key=module.translation_key,
        defaults={"first_viewed_at": at, "last_viewed_at": at,
                  "completed_at": at if completed else None})


@pytest.fixture
def gated(programme):
    course = course_create(parent=programme, title="순서대로", slug="in-order", gated=True)
    return course, [module_create(parent=course, title=f"단계 {i}", slug=f"step-{i}")
                    for i in (1, 2, 3, 4)]


# --- A locked module's way out -----------------------------------------------------------


def test_a_locked_module_sends_to_the_first_open_module_not_to_its_locked_neighbour(
        client, gated, run, learner):
    # Given: step 1 is done, step 2 is open and unfinished, steps 3 and 4 are locked
    _course, modules = gated
    enrol(learner, run)
    progress(learner, modules[0], viewed_minutes_ago=10, completed=True)
    client.force_login(learner)

    # When: the learner opens step 4
    html = body(client.get(modules[3].url))

    # Then: "go to" points at step 2 (what unlocks it), not at step 3 (locked as well)
    locked_panel = html.split('class="panel panel--locked"')[1].split("</div>")[0]
    assert f'href="{modules[1].url}"' in locked_panel
    assert f'href="{modules[2].url}"' not in locked_panel
    assert "“단계 2” 바로 가기" in locked_panel


def test_unlocks_it_is_the_first_unfinished_open_module_before_the_locked_one(gated, run,
                                                                              learner):
    _course, modules = gated
    enrol(learner, run)

    view = module_view(module=modules[2], user=learner)

    assert view.locked
    assert view.unlocks_it.page.pk == modules[0].pk
    assert module_view(module=modules[0], user=learner).unlocks_it is None  # not locked


# --- "My learning": the next module in the course being followed ---------------------------


@pytest.fixture
def two_courses(programme):
    first = course_create(parent=programme, title="파이썬", slug="python")
    second = course_create(parent=programme, title="머신러닝", slug="ml")
    return reading_modules(first, 3, prefix="a"), reading_modules(second, 3, prefix="b")


def continue_title(learner):
    [entry] = learner_dashboard(user=learner)
    return entry.continue_module.page.title if entry.continue_module else None


def test_after_finishing_the_last_module_of_a_course_with_a_gap_it_suggests_the_gap(
        two_courses, run, learner):
    # Given: in course A the learner skipped module 2 and has just completed module 3
    (a1, a2, a3), _second = two_courses
    enrol(learner, run)
    progress(learner, a1, viewed_minutes_ago=30, completed=True)
    progress(learner, a3, viewed_minutes_ago=1, completed=True)

    # Then: the dashboard suggests A's module 2, not course B's first module
    assert continue_title(learner) == a2.title


def test_a_graded_completion_counts_as_the_latest_activity(two_courses, run, learner):
    # Given: course B's module 1 was opened an hour ago; course A's module 1 was opened
    # earlier still but completed (graded) just now
    (a1, a2, _a3), (b1, _b2, _b3) = two_courses
    enrol(learner, run)
    progress(learner, b1, viewed_minutes_ago=60)
    progress(learner, a1, viewed_minutes_ago=120, completed=True)
    ModuleProgress.objects.filter(learner=learner, module_key=a1.translation_key).update(
        completed_at=timezone.now())

    assert continue_title(learner) == a2.title


def test_peeking_at_a_locked_module_keeps_the_suggestion_in_that_course(programme, run,
                                                                       learner):
    # Given: an open course A before a gated course B; the learner finished B1 and then
    # looked at the locked B3
    first = course_create(parent=programme, title="파이썬", slug="python")
    reading_modules(first, 2, prefix="a")
    gated = course_create(parent=programme, title="순서대로", slug="in-order", gated=True)
    b1, b2, b3 = reading_modules(gated, 3, prefix="b")
    enrol(learner, run)
    progress(learner, b1, viewed_minutes_ago=20, completed=True)
    progress(learner, b3, viewed_minutes_ago=1)

    # Then: B2 (what the learner should do next there), not A1
    assert continue_title(learner) == b2.title
    assert programme_overview(programme=programme, user=learner).continue_module.page.pk == b2.pk


def test_each_enrolment_gets_the_next_module_of_its_own_programme(catalogue, programme, run,
                                                                  two_courses, learner):
    # Given: a second programme the learner is also in, with recent activity there
    from tests.courses.factories import ProgrammeRunFactory, programme_create

    (a1, a2, _a3), _second = two_courses
    other = programme_create(parent=catalogue, title="품질 AI", slug="quality-ai")
    other_course = course_create(parent=other, title="통계", slug="stats")
    c1, c2 = reading_modules(other_course, 2, prefix="c")
    enrol(learner, run)
    enrol(learner, ProgrammeRunFactory(programme=other, number=1))
    progress(learner, a1, viewed_minutes_ago=60, completed=True)
    progress(learner, c1, viewed_minutes_ago=1, completed=True)

    suggestions = {e.page.pk: e.continue_module.page.pk for e in learner_dashboard(user=learner)}

    assert suggestions == {programme.pk: a2.pk, other.pk: c2.pk}


def test_the_dashboard_links_the_suggested_module(client, two_courses, run, learner):
    (a1, a2, a3), (b1, _b2, _b3) = two_courses
    enrol(learner, run)
    progress(learner, a1, viewed_minutes_ago=30, completed=True)
    progress(learner, a3, viewed_minutes_ago=1, completed=True)
    client.force_login(learner)

    html = body(client.get(reverse("courses:dashboard")))

    continue_box = html.split('class="dashboard__continue"')[1].split("</p>")[0]
    assert f'href="{a2.url}"' in continue_box
    assert f'href="{b1.url}"' not in continue_box
