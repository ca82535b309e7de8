"""Each page issues the same number of queries whatever the number of programmes, courses,
modules, runs or learners: measured on a small tree, then again after the tree has grown."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from courses.models import ModuleProgress
from tests.courses.factories import (
    ProgrammeRunFactory,
    course_create,
    module_create,
    programme_create,
)
from tests.courses.learner_side import enrol, reading_modules
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _korean():
    with translation.override("ko"):
        yield


def queries(client, url, **params) -> int:
    """Queries of a warm request (caches such as the site's root paths are already filled)."""
    assert client.get(url, params).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def crowd(run, count: int, modules=()) -> None:
    """Other learners in the run, each with progress on every module."""
    now = timezone.now()
    for _ in range(count):
        learner = UserFactory()
        enrol(learner, run)
        ModuleProgress.objects.bulk_create([
            ModuleProgress(learner=learner, module_key=m.translation_key, completed_at=now)
            for m in modules])


def grow_programme(programme, run, *, courses: int, modules: int, prefix: str) -> list:
    """Add courses of reading modules (one gated) and learners; the new modules."""
    added = []
    for i in range(courses):
        course = course_create(parent=programme, title=f"과정 {prefix}{i}",
                               slug=f"{prefix}-course-{i}", gated=i == 0)
        added += reading_modules(course, modules, prefix=f"{prefix}{i}-")
    crowd(run, 6, added)
    return added


def progress_on(learner, modules) -> None:
    now = timezone.now()
    ModuleProgress.objects.bulk_create(
        [ModuleProgress(learner=learner, module_key=m.translation_key, completed_at=now)
         for m in modules], ignore_conflicts=True)


@pytest.fixture
def enrolled(client, learner, run):
    enrol(learner, run)
    client.force_login(learner)
    return learner


# --- Catalogue -------------------------------------------------------------------------------


def test_catalogue_queries_do_not_grow_with_programmes_runs_or_learners(client, catalogue,
                                                                         programme, run):
    small = queries(client, "/ko/")

    for i in range(4):
        other = programme_create(parent=catalogue, title=f"과정 {i}", slug=f"p{i}")
        ProgrammeRunFactory(programme=other, number=1)
        crowd(ProgrammeRunFactory(programme=other, number=2, year=2024), 3)
    crowd(run, 5)

    assert queries(client, "/ko/") == small


def test_catalogue_search_queries_do_not_grow_with_hits(client, catalogue, programme, course,
                                                        modules, run):
    # One hit of each kind (programme, course, module) first: pages of a kind load together.
    programme_create(parent=catalogue, title="파이썬 입문 과정", slug="python-track")
    module_create(parent=course, title="파이썬 설치", slug="install")
    small = queries(client, "/ko/", q="파이썬")

    for i in range(3):
        other = programme_create(parent=catalogue, title=f"파이썬 과정 {i}", slug=f"p{i}")
        extra = course_create(parent=other, title=f"파이썬 심화 {i}", slug=f"c{i}")
        reading_modules(extra, 3, prefix=f"x{i}-")

    assert queries(client, "/ko/", q="파이썬") == small


# --- Programme, course, module ---------------------------------------------------------------


def test_programme_page_queries_do_not_grow_with_courses_modules_or_learners(
        client, programme, course, modules, run, enrolled):
    progress_on(enrolled, modules[:1])
    small = queries(client, programme.url)

    added = grow_programme(programme, run, courses=3, modules=5, prefix="g")
    progress_on(enrolled, added[:4])
    ProgrammeRunFactory(programme=programme, number=2)

    assert queries(client, programme.url) == small


def test_programme_page_queries_for_a_visitor_do_not_grow(client, programme, course, modules,
                                                          run):
    small = queries(client, programme.url)

    grow_programme(programme, run, courses=3, modules=5, prefix="g")

    assert queries(client, programme.url) == small


def test_course_page_queries_do_not_grow_with_modules(client, programme, course, modules, run,
                                                      enrolled):
    small = queries(client, course.url)

    more = reading_modules(course, 10, start=3)
    progress_on(enrolled, more[:5])
    crowd(run, 5, more)

    assert queries(client, course.url) == small


def test_module_page_queries_do_not_grow_with_modules_or_learners(client, programme, course,
                                                                  modules, run, enrolled):
    small = queries(client, modules[0].url)

    more = reading_modules(course, 10, start=3)
    progress_on(enrolled, more[:5])
    crowd(run, 5, more)
    grow_programme(programme, run, courses=2, modules=3, prefix="g")

    assert queries(client, modules[0].url) == small


def test_gated_module_page_queries_do_not_grow(client, programme, run, enrolled):
    course = course_create(parent=programme, title="순서", slug="ordered", gated=True)
    first, second = (module_create(parent=course, title=t, slug=s)
                     for t, s in (("하나", "one"), ("둘", "two")))
    progress_on(enrolled, [first])
    small = queries(client, second.url)

    more = reading_modules(course, 8, start=3)
    progress_on(enrolled, more[:3])

    assert queries(client, second.url) == small


# --- Dashboard -------------------------------------------------------------------------------


def test_dashboard_queries_do_not_grow_with_programmes_courses_or_modules(
        client, catalogue, programme, course, modules, run, enrolled):
    url = reverse("courses:dashboard")
    small = queries(client, url)

    grow_programme(programme, run, courses=2, modules=4, prefix="g")
    for i in range(3):
        other = programme_create(parent=catalogue, title=f"다른 과정 {i}", slug=f"p{i}")
        other_run = ProgrammeRunFactory(programme=other, number=1)
        enrol(enrolled, other_run)
        grow_programme(other, other_run, courses=2, modules=3, prefix=f"o{i}")

    assert queries(client, url) == small
