"""What the grading admin's pages tell instructors: the release check's autograded and
hand-graded points (in their language, updated while the check runs), the assignment's
attached files, which attempt waits for grading, the written answers where they are graded,
and the learner page's date picker."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading.models import Assignment, ReleaseState
from grading.services.assignments import data_file_add
from grading.services.grades import grade_manual_set, submission_autograde
from grading.services.submissions import submission_create
from tests.courses.conftest import admin_login
from tests.grading.conftest import notebook_with

pytestmark = pytest.mark.django_db

RIGHT = "def square(x):\n    return x * x"
ANSWER_MARKUP = "It squares <script>alert(1)</script> the number"


def _submit(assignment, learner, answer=RIGHT, written=None):
    data = notebook_with(answer)
    if written is not None:
        import nbformat

        notebook = nbformat.reads(data.decode(), as_version=4)
        for cell in notebook.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "why":
                cell.source = written
        data = nbformat.writes(notebook).encode()
    submission = submission_create(assignment=assignment, learner=learner,
                                   data=data).submission
    submission_autograde(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


# --- The release check ------------------------------------------------------------------------


def test_the_release_report_tells_autograded_points_from_hand_graded_ones(
        client, released_assignment, instructor):
    admin_login(client, instructor)
    page = client.get(reverse("grading_admin:release", args=[released_assignment.pk]))
    html = page.content.decode()

    assert released_assignment.release_report["manual_cells"] == ["why"]
    assert "full marks on the autograded tests (3 / 3)" in html
    assert "A person grades the other 1 pts by hand" in html
    assert '<tr data-release-row="source">' in html
    source_row = html.split('<tr data-release-row="source">')[1].split("</tr>")[0]
    assert "<td data-auto-score>3 / 3</td>" in source_row
    assert "<td data-manual-points>1 pts, graded by a person</td>" in source_row
    assert "why: by hand (1)" in source_row
    assert "<td>Graded</td>" in source_row  # the status in words, not "graded"


def test_the_release_report_speaks_korean(client, released_assignment, instructor):
    admin_login(client, instructor, language="ko")
    html = client.get(reverse("grading_admin:release",
                              args=[released_assignment.pk])).content.decode()

    source_row = html.split('<tr data-release-row="source">')[1].split("</tr>")[0]
    assert "<td>채점 완료</td>" in source_row
    assert "<td>graded</td>" not in html


def test_while_the_check_runs_the_page_asks_for_its_state_and_gets_the_report(
        client, released_assignment, instructor):
    admin_login(client, instructor)
    Assignment.objects.filter(pk=released_assignment.pk).update(
        release_state=ReleaseState.CHECKING)
    page = client.get(reverse("grading_admin:release", args=[released_assignment.pk]))
    status_url = reverse("grading_admin:release_status", args=[released_assignment.pk])
    html = page.content.decode()
    assert f'data-status-url="{status_url}"' in html
    assert "data-release-progress" in html
    assert "grading/release.js" in html

    running = client.get(status_url).json()
    assert running == {"state": "checking", "label": "Release check running", "done": False}

    Assignment.objects.filter(pk=released_assignment.pk).update(
        release_state=ReleaseState.RELEASED)
    done = client.get(status_url).json()
    assert done["done"] is True
    assert "<td data-auto-score>3 / 3</td>" in done["html"]
    assert "data-release-progress" not in done["html"]
    assert done["button"] == "Check and release again"


def test_others_cannot_ask_for_the_checks_state(client, released_assignment, other_instructor):
    admin_login(client, other_instructor)
    url = reverse("grading_admin:release_status", args=[released_assignment.pk])
    assert client.get(url).status_code == 403


# --- The assignment's files on its edit page ------------------------------------------------


def test_the_edit_page_lists_the_source_and_data_files_with_downloads(
        client, assignment, instructor, other_instructor):
    data_file_add(assignment=assignment, name="sensor.csv", data=b"t,v\n1,2\n", hidden=False)
    data_file_add(assignment=assignment, name="answers.csv", data=b"secret\n", hidden=True)
    admin_login(client, instructor)

    html = client.get(reverse("wagtailsnippets_grading_assignment:edit",
                              args=[assignment.pk])).content.decode()

    assert "data-attached-files" in html
    assert "<code>squares.ipynb</code>" in html
    source_row = html.split('data-attached="source"')[1].split("</tr>")[0]
    assert "Source notebook (with solutions)" in source_row
    assert "KB" in source_row or "bytes" in source_row
    assert reverse("grading_admin:source", args=[assignment.pk]) in source_row
    hidden = assignment.data_files.get(name="answers.csv")
    hidden_row = html.split('data-attached="answers.csv"')[1].split("</tr>")[0]
    assert "Hidden data file (tests only)" in hidden_row
    assert "7\xa0bytes" in hidden_row
    assert reverse("grading_admin:data_file", args=[assignment.pk, hidden.pk]) in hidden_row
    assert 'data-attached="sensor.csv"' in html

    download = client.get(reverse("grading_admin:data_file", args=[assignment.pk, hidden.pk]))
    assert b"".join(download.streaming_content) == b"secret\n"
    source = client.get(reverse("grading_admin:source", args=[assignment.pk]))
    assert b"BEGIN HIDDEN TESTS" in b"".join(source.streaming_content)

    admin_login(client, other_instructor)
    assert client.get(reverse("grading_admin:source", args=[assignment.pk])).status_code == 403
    assert client.get(reverse("grading_admin:data_file",
                              args=[assignment.pk, hidden.pk])).status_code == 403


def test_a_new_assignment_form_has_no_attached_files_yet(client, instructor):
    admin_login(client, instructor)
    html = client.get(reverse("wagtailsnippets_grading_assignment:add")).content.decode()
    assert "data-attached-files" not in html


# --- Which attempt waits for grading, and the answers where they are graded -----------------


def test_the_gradebook_and_the_learner_page_name_the_attempt_to_grade(
        client, released_assignment, enrolled_learner, course, run, instructor):
    first = _submit(released_assignment, enrolled_learner)
    grade_manual_set(grade=first.grade, grade_id="why", score=Decimal(1), actor=instructor)
    later = _submit(released_assignment, enrolled_learner, answer="def square(x):\n  return 0")
    admin_login(client, instructor)
    later_url = reverse("grading_admin:submission", args=[later.pk]) + "#manual-grading"

    book = client.get(reverse("grading_admin:gradebook", args=[course.pk, run.pk]))
    html = book.content.decode()
    assert f'href="{later_url}">to grade: attempt 2</a>' in html
    assert reverse("grading_admin:submission", args=[first.pk]) not in html

    learner = client.get(reverse("grading_admin:learner",
                                 args=[course.pk, run.pk, enrolled_learner.pk]))
    html = learner.content.decode()
    assert "Attempt 2 has answers to grade by hand" in html
    assert f'<a href="{later_url}">grade attempt 2</a>' in html
    assert "(attempt 1)" in html  # the counted score's attempt


def test_the_submission_page_shows_the_written_answer_where_it_is_graded(
        client, released_assignment, enrolled_learner, instructor):
    submission = _submit(released_assignment, enrolled_learner, written=ANSWER_MARKUP)
    admin_login(client, instructor)

    html = client.get(reverse("grading_admin:submission", args=[submission.pk])).content.decode()

    section = html.split('data-manual-answer="why"')[1].split("</section>")[0]
    assert "The learner&#x27;s written answer" in section or "written answer" in section
    assert "It squares &lt;script&gt;alert(1)&lt;/script&gt; the number" in section  # escaped
    assert 'name="manual-why"' in section
    assert "<script>alert(1)</script>" not in html


def test_the_learner_page_loads_the_date_pickers_script(
        client, released_assignment, enrolled_learner, course, run, instructor):
    admin_login(client, instructor)
    html = client.get(reverse("grading_admin:learner",
                              args=[course.pk, run.pk, enrolled_learner.pk])).content.decode()

    script = html.index("wagtailadmin/js/date-time-chooser.js")
    assert script < html.index('initDateTimeChooser("id_due_at"')


def test_a_bad_date_gets_a_message(client, released_assignment, enrolled_learner, course, run,
                                   instructor):
    admin_login(client, instructor)
    response = client.post(reverse("grading_admin:learner",
                                   args=[course.pk, run.pk, enrolled_learner.pk]),
                           {"assignment": released_assignment.pk, "due_at": "next tuesday",
                            "reason": "sick"})
    assert response.status_code == 200
    assert response.context["form"].errors["due_at"]


def test_uploading_keeps_working_with_the_files_panel(client, assignment, instructor):
    admin_login(client, instructor)
    url = reverse("wagtailsnippets_grading_assignment:edit", args=[assignment.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(module=assignment.module.pk, counting="best",
                data_upload=[SimpleUploadedFile("more.csv", b"a\n")])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    html = client.get(url).content.decode()
    assert 'data-attached="more.csv"' in html
