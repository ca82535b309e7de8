"""The module body is rendered once per published revision and language and cached: a new
revision shows at once, a preview is never cached nor served from the cache, and nothing of
one learner (their assignment panel) reaches another."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.courses.factories import _publish, module_create
from tests.courses.learner_side import body, enrol
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("korean")]




def _set_text(page, text: str):
    page.body = [("paragraph", f"<p>{text}</p>")]
    return page


def test_a_newly_published_revision_shows_at_once(client, enrolled, course):
    page = module_create(parent=course, title="캐시", slug="cached", text="첫 판")
    assert "첫 판" in body(client.get(page.url))
    assert "첫 판" in body(client.get(page.url))  # from the cache

    _publish(_set_text(page, "둘째 판"))

    html = body(client.get(page.url))
    assert "둘째 판" in html
    assert "첫 판" not in html


def test_a_draft_is_not_shown_live_and_its_preview_is_never_cached(client, course, enrolled,
                                                                    programme_staff):
    page = module_create(parent=course, title="초안", slug="draft", text="게시된 글")
    assert "게시된 글" in body(client.get(page.url))
    _set_text(page, "초안의 글").save_revision()

    staff = client.__class__()
    staff.force_login(programme_staff)
    preview = staff.get(reverse("wagtailadmin_pages:view_draft", args=[page.pk]))
    assert "초안의 글" in body(preview)

    html = body(client.get(page.url))
    assert "게시된 글" in html
    assert "초안의 글" not in html


def test_a_preview_is_not_served_from_the_cache(client, course, enrolled, programme_staff):
    page = module_create(parent=course, title="초안", slug="draft", text="게시된 글")
    assert "게시된 글" in body(client.get(page.url))  # the live body is cached
    _set_text(page, "초안의 글").save_revision()

    staff = client.__class__()
    staff.force_login(programme_staff)
    html = body(staff.get(reverse("wagtailadmin_pages:view_draft", args=[page.pk])))

    assert "초안의 글" in html
    assert "게시된 글" not in html


def test_one_learners_panel_never_reaches_another(client, course, run, enrolled):
    from grading.models import Assignment, Grade, Submission

    page = module_create(parent=course, title="과제", slug="task", assignment_key="task")
    assignment = Assignment.objects.create(
        key="task", title="과제", module=page, time_limit_seconds=30,
        released="grading/released/task.ipynb",
        released_source="grading/released-sources/task.ipynb")
    submission = Submission.objects.create(
        assignment=assignment, learner=enrolled, run=run, attempt=1, sha256="ab" * 32,
        notebook="grading/submissions/task.ipynb", size=10, state="graded")
    Grade.objects.create(submission=submission, status="graded", auto_score=3, max_score=3,
                         score=3)
    mine = body(client.get(page.url))
    assert "ab" * 6 in mine  # the learner's own submission (its hash), body now cached

    other = UserFactory()
    enrol(other, run)
    client.force_login(other)
    theirs = body(client.get(page.url))

    assert "ab" * 6 not in theirs
    assert theirs.count('class="assignment"') == 1
