"""The learner's feedback page: in the site's layout with a way back, showing the score as it
stands after the instructor's manual grades and overrides, the hand-graded points and the
instructor's comments; the graded notebook with its figures and cell numbers."""

from decimal import Decimal

import pytest
from django.urls import reverse

from grading.services.grades import grade_manual_set, grade_override
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db



def _pages(client, submission) -> tuple[str, str]:
    page = client.get(reverse("grading:feedback", args=[submission.pk]))
    document = client.get(reverse("grading:feedback_document", args=[submission.pk]))
    assert page.status_code == document.status_code == 200
    return page.content.decode(), document.content.decode()


def test_before_the_instructor_grades_the_written_answer_it_is_waiting(client, graded):
    client.force_login(graded.learner)
    page, document = _pages(client, graded)

    assert "data-feedback-score>3 / 4<" in page
    assert "– / 1" in page  # the written answer, not graded yet
    assert "Score: – / 1" in document


def test_a_manual_grade_and_its_comment_reach_the_learner(client, graded, instructor):
    grade_manual_set(grade=graded.grade, grade_id="why", score=Decimal(1), actor=instructor,
                     comment="Clear reasoning <b>well done</b>")

    client.force_login(graded.learner)
    page, document = _pages(client, graded)

    assert "data-feedback-score>4 / 4<" in page
    assert '<tr data-manual-cell="why"><td><code>why</code></td><td>1 / 1' in page
    assert "Clear reasoning &lt;b&gt;well done&lt;/b&gt;" in page  # escaped
    assert "Score: 4 / 4" in document  # the notebook's heading
    assert "Score: 1 / 1" in document  # the written answer's points
    assert "Score: – / 1" not in document


def test_an_override_and_its_reason_reach_the_learner(client, graded, instructor):
    grade_override(grade=graded.grade, score=Decimal("2.5"), reason="Copied the test",
                   actor=instructor)

    client.force_login(graded.learner)
    page, document = _pages(client, graded)

    assert "data-feedback-score>2.5 / 4<" in page
    assert "Copied the test" in page
    assert "Score: 2.5 / 4" in document

    grade_override(grade=graded.grade, score=None, reason="Undone", actor=instructor)
    page, document = _pages(client, graded)
    assert "data-feedback-score>3 / 4<" in page
    assert "Copied the test" not in page  # the reason of an override that no longer stands
    assert "Score: 3 / 4" in document


def test_only_the_standing_overrides_reason_and_comments_meant_for_the_learner_show(
        client, graded, instructor):
    from grading.models import GradeAudit

    grade_override(grade=graded.grade, score=Decimal(1), reason="First look", actor=instructor)
    grade_override(grade=graded.grade, score=Decimal(2), reason="Second look", actor=instructor)
    # A note recorded before the forms said comments are shown to the learner: internal.
    GradeAudit.objects.create(grade=graded.grade, actor=instructor,
                              action=GradeAudit.Action.MANUAL, reason="Internal: ask TA")

    client.force_login(graded.learner)
    page, _document = _pages(client, graded)

    assert "Second look" in page
    assert "First look" not in page  # superseded
    assert "Internal: ask TA" not in page


def test_the_page_has_the_sites_header_and_a_way_back(client, graded):
    client.force_login(graded.learner)
    response = client.get(reverse("grading:feedback", args=[graded.pk]))
    page = response.content.decode()

    assert 'class="site-header"' in page
    assert f'href="{graded.assignment.module.localized.url}#assignment-squares"' in page
    assert reverse("grading:feedback_document", args=[graded.pk]) in page
    assert "frame-src 'self'" in response["Content-Security-Policy"]


def test_the_page_is_only_for_the_learner_and_graders(client, graded, instructor):
    url = reverse("grading:feedback", args=[graded.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404

    client.force_login(instructor)
    page = client.get(url).content.decode()
    assert reverse("grading_admin:submission", args=[graded.pk]) in page  # back to grading
