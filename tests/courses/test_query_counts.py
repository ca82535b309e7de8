"""Each page issues the same number of queries whatever the number of programmes, courses,
modules, runs or learners: measured on a small tree, then again after the tree has grown.

The module, course and programme pages and "My learning" also stay within ``MAX_QUERIES``
for a signed-in, enrolled learner (and for visitors and staff), and a plain GET of them
writes nothing (``courses.services.progress``: a revisit is noted in the cache)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import ModuleProgress
from tests.courses.factories import (
    ProgrammeRunFactory,
    course_create,
    module_create,
    programme_create,
)
from tests.courses.learner_side import enrol, reading_modules
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("korean")]


MAX_QUERIES = 8  # issue 17: each learner page, whatever the data


@pytest.fixture(autouse=True)
def _rendered(settings):
    # What a page costs when it is rendered: the learner's page cache (courses.page_cache,
    # tests/courses/test_page_cache.py) would serve the warm request with no query of its own.
    settings.COURSES_PAGE_CACHE_SECONDS = 0


def captured(client, url, **params) -> list[str]:
    """The SQL of a warm request (caches such as the site's root paths are already filled)."""
    assert client.get(url, params).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def queries(client, url, **params) -> int:
    return len(captured(client, url, **params))


def writes(sql: list[str]) -> list[str]:
    return [q for q in sql if q.lstrip().split(None, 1)[0].upper()
            in {"INSERT", "UPDATE", "DELETE"}]


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


# --- The learner's pages: few queries, no writes -----------------------------------------------


def _assignment(module, key, *, released=True):
    from grading.models import Assignment

    return Assignment.objects.create(
        key=key, title=key, module=module, time_limit_seconds=30,
        released=f"grading/released/{key}.ipynb" if released else "",
        released_source=f"grading/released-sources/{key}.ipynb" if released else "")


def _submissions(assignment, learner, run, count):
    """``count`` graded attempts of the learner (rows as the pipeline leaves them)."""
    from grading.models import Grade, Submission

    for attempt in range(1, count + 1):
        submission = Submission.objects.create(
            assignment=assignment, learner=learner, run=run, attempt=attempt,
            notebook=f"grading/submissions/{assignment.key}-{learner.pk}-{attempt}.ipynb",
            sha256=f"{attempt:064x}", size=100, state="graded")
        Grade.objects.create(submission=submission, status="graded", auto_score=attempt,
                             max_score=3, score=attempt)


def _assignment_module(course, keys, *, slug):
    from tests.courses.factories import _publish

    page = module_create(parent=course, title="과제 모듈", slug=slug)
    page.body = [("paragraph", "<p>본문</p>"), *(
        ("notebook_assignment", {"assignment_key": key, "title": key, "instructions": ""})
        for key in keys)]
    return _publish(page)


def test_module_page_queries_do_not_grow_with_assignments_or_submissions(
        client, programme, course, modules, run, enrolled, settings):
    from grading.models import AssignmentDataFile, Extension

    settings.JUPYTERHUB_URL, settings.JUPYTERHUB_API_TOKEN = "http://127.0.0.1:9", "token"
    small_page = _assignment_module(course, ["one"], slug="one-task")
    one = _assignment(small_page, "one")
    _submissions(one, enrolled, run, 1)
    AssignmentDataFile.objects.create(assignment=one, name="data.csv", file="d/data.csv")
    small = captured(client, small_page.url)
    assert "data.csv" in client.get(small_page.url).content.decode()

    keys = ["a1", "a2", "a3", "a4"]
    big_page = _assignment_module(course, keys, slug="four-tasks")
    others = [UserFactory() for _ in range(3)]
    for other in others:
        enrol(other, run)
    for key in keys:
        assignment = _assignment(big_page, key)
        _submissions(assignment, enrolled, run, 4)
        AssignmentDataFile.objects.create(assignment=assignment, name=f"{key}.csv",
                                          file=f"d/{key}.csv")
        Extension.objects.create(assignment=assignment, learner=enrolled, reason="사유",
                                 due_at=timezone.now(), granted_by=others[0])
        for other in others:
            _submissions(assignment, other, run, 2)
    big = captured(client, big_page.url)

    assert len(big) == len(small) <= MAX_QUERIES
    page = client.get(big_page.url).content.decode()
    assert all(f"{key}.csv" in page for key in keys)
    assert page.count("assignment__history") == len(keys)


@pytest.mark.parametrize("who", ["learner", "visitor", "instructor", "programme_staff"])
def test_each_learner_page_stays_within_the_query_budget_and_writes_nothing(
        client, programme, course, modules, run, who, learner, instructor, programme_staff):
    user = {"learner": learner, "instructor": instructor,
            "programme_staff": programme_staff}.get(who)
    if who == "learner":
        enrol(user, run)
    if user is not None:
        client.force_login(user)
    progress_on(learner, modules[:1])
    page = _assignment_module(course, ["budget"], slug="budget")
    _submissions(_assignment(page, "budget"), learner, run, 2)
    crowd(run, 4, modules)
    urls = [page.url, modules[0].url, course.url, programme.url]
    if user is not None:
        urls.append(reverse("courses:dashboard"))

    for url in urls:
        sql = captured(client, url)
        assert len(sql) <= MAX_QUERIES, (url, sql)
        assert writes(sql) == [], (url, writes(sql))
