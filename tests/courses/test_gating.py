"""Gated courses: a module opens only when the one before it is complete."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from courses.models import ModuleProgress
from courses.selectors import module_view
from tests.courses.factories import course_create, module_create
from tests.courses.learner_side import body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _korean():
    """URLs are reversed in Korean whatever language an earlier request left active."""
    with translation.override("ko"):
        yield


@pytest.fixture
def gated(programme):
    course = course_create(parent=programme, title="순서대로", slug="in-order", gated=True)
    modules = [module_create(parent=course, title=f"단계 {i}", slug=f"step-{i}",
                             text=f"단계 {i} 본문") for i in (1, 2, 3)]
    for module in modules:
        module.summary = f"단계 {module.slug} 요약"
        module.save_revision().publish()
    return course, modules



def complete(client, module):
    return client.post(reverse("courses:module_complete", args=[module.pk]))


def test_locked_module_hides_its_body_and_says_why(client, gated, enrolled):
    _course, modules = gated

    html = body(client.get(modules[1].url))

    assert "단계 2 본문" not in html
    assert 'class="module__body"' not in html
    assert "panel--locked" in html
    assert f"단계 {modules[1].slug} 요약" in html
    assert f'href="{modules[0].url}"' in html  # go to the module to do first
    assert reverse("courses:module_complete", args=[modules[1].pk]) not in html


def test_first_module_of_a_gated_course_is_open(client, gated, enrolled):
    _course, modules = gated

    html = body(client.get(modules[0].url))

    assert "단계 1 본문" in html
    assert "panel--locked" not in html


def test_marking_a_locked_module_complete_is_refused(client, gated, enrolled):
    _course, modules = gated

    response = complete(client, modules[1])

    assert response["Location"] == modules[1].url
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert not ModuleProgress.objects.filter(learner=enrolled,
                                             completed_at__isnull=False).exists()


def test_completing_a_module_unlocks_the_next(client, gated, enrolled):
    _course, modules = gated

    response = complete(client, modules[0])

    assert response["Location"] == modules[1].url
    html = body(client.get(modules[1].url))
    assert "단계 2 본문" in html
    assert "panel--locked" not in html
    view = module_view(module=modules[2], user=enrolled)
    assert view.locked  # the third still waits for the second


def test_outline_marks_done_and_locked_modules_in_words(client, gated, enrolled):
    _course, modules = gated
    complete(client, modules[0])

    html = body(client.get(modules[1].url))

    outline = re.search(r'<aside class="outline">.*?</aside>', html, re.S).group(0)
    items = re.findall(r'<li class="outline__item([^"]*)">(.*?)</li>', outline, re.S)
    assert [cls.strip() for cls, _ in items] == ["is-done", "", "is-locked"]
    assert 'class="visually-hidden"' in items[0][1]  # "(done)" for screen readers
    assert 'class="visually-hidden"' in items[2][1]  # "(locked)"
    assert "✓" in items[0][1]


def test_course_page_shows_lock_tags(client, gated, enrolled):
    course, _modules = gated

    html = body(client.get(course.url))

    assert html.count("tag--locked") == 2


def test_next_link_says_the_next_module_is_locked(client, gated, enrolled):
    _course, modules = gated

    html = body(client.get(modules[0].url))

    pager = re.search(r'<nav class="pager".*?</nav>', html, re.S).group(0)
    assert f'href="{modules[1].url}" rel="next"' in pager
    assert pager.count("·") == 1  # "Next · locked"


def test_staff_are_never_locked_out(client, gated, instructor):
    _course, modules = gated
    client.force_login(instructor)

    html = body(client.get(modules[2].url))

    assert "단계 3 본문" in html
    assert "panel--locked" not in html


def test_ungated_course_opens_every_module(client, course, modules, enrolled):
    html = body(client.get(modules[1].url))

    assert "panel--locked" not in html
    assert reverse("courses:module_complete", args=[modules[1].pk]) in html


def test_continue_never_points_at_a_locked_module(client, programme, gated, enrolled):
    from courses.selectors import programme_overview

    _course, modules = gated
    client.get(modules[2].url)  # a look at a locked module

    overview = programme_overview(programme=programme, user=enrolled)

    assert overview.continue_module.page.pk == modules[0].pk
