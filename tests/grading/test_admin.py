"""The grading admin: assignment uploads, the release page, the gradebook and its actions,
and who may open them."""

import csv
import io
from decimal import Decimal

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading.models import Assignment, Extension, GradeAudit, ReleaseState, Submission
from tests.courses.conftest import admin_login
from tests.courses.factories import module_create

pytestmark = pytest.mark.django_db



def _add_form(module, source: bytes, **extra):
    return {"key": "new-one", "title": "New", "module": module.pk,
            "late_penalty_percent_per_day": "0", "late_penalty_cap_percent": "100",
            "counting": "best", "time_limit_seconds": "60",
            "source_file": SimpleUploadedFile("s.ipynb", source), **extra}


def test_an_instructor_uploads_a_source_and_its_data(client, instructor, course, source_bytes):
    module = module_create(parent=course, title="새 과제", slug="new-one")
    admin_login(client, instructor)
    response = client.post(reverse("wagtailsnippets_grading_assignment:add"), _add_form(
        module, source_bytes, data_upload=[SimpleUploadedFile("a.csv", b"x,y\n1,2\n")]))

    assert response.status_code == 302, response.context["form"].errors
    assignment = Assignment.objects.get(key="new-one")
    assert assignment.max_score == Decimal(4)
    assert assignment.source.open("rb").read() == source_bytes
    assert [f.name for f in assignment.data_files.all()] == ["a.csv"]
    assert assignment.release_state == ReleaseState.DRAFT


@pytest.mark.parametrize(("source", "reason"), [
    (b"{nope", "not JSON"),
    (nbformat.writes(nbformat.v4.new_notebook()).encode(), "no graded cells"),
])
def test_a_bad_source_is_refused_with_its_reason(client, instructor, course, source, reason):
    module = module_create(parent=course, title="새 과제", slug="new-one")
    admin_login(client, instructor)
    response = client.post(reverse("wagtailsnippets_grading_assignment:add"),
                           _add_form(module, source))

    assert response.status_code == 200
    assert reason in str(response.context["form"].errors["source_file"])
    assert not Assignment.objects.filter(key="new-one").exists()


def test_instructors_see_and_edit_only_their_courses_assignments(
        client, assignment, other_instructor, instructor):
    admin_login(client, other_instructor)
    listing = client.get(reverse("wagtailsnippets_grading_assignment:list"))
    assert "squares" not in listing.content.decode()
    edit = client.get(reverse("wagtailsnippets_grading_assignment:edit", args=[assignment.pk]))
    assert edit.status_code in (302, 403)
    assert client.get(reverse("grading_admin:release", args=[assignment.pk])).status_code == 403

    admin_login(client, instructor)
    assert "squares" in client.get(
        reverse("wagtailsnippets_grading_assignment:list")).content.decode()


def test_the_release_page_queues_the_check_and_shows_the_report(
        client, assignment, instructor, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("grading.tasks.assignment_release_task.delay", queued.append)
    admin_login(client, instructor)
    url = reverse("grading_admin:release", args=[assignment.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assignment.refresh_from_db()
    assert queued == [assignment.pk]
    assert assignment.release_state == ReleaseState.CHECKING

    from grading.services.assignments import assignment_release

    assignment_release(assignment_id=assignment.pk)
    page = client.get(url).content.decode()
    assert 'data-release-state="released"' in page


def test_who_may_open_the_gradebook(client, course, run, assignment, instructor,
                                    other_instructor, programme_staff, learner,
                                    ministry_officer):
    url = reverse("grading_admin:gradebook", args=[course.pk, run.pk])
    expected = {instructor: 200, programme_staff: 200, other_instructor: 403,
                ministry_officer: 302, learner: 302}
    for user, status in expected.items():
        client.force_login(user)
        assert client.get(url).status_code == status, user
    client.logout()
    assert client.get(url).status_code == 302


def test_the_gradebook_table_and_its_csv(client, graded, course, run, instructor):
    admin_login(client, instructor)
    url = reverse("grading_admin:gradebook", args=[course.pk, run.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert str(graded.learner) in page.content.decode()

    response = client.get(url + "?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["email"] == graded.learner.email
    assert rows[0]["squares:score"] == "3.00"
    assert rows[0]["squares:attempts"] == "1"


def test_manual_grading_and_an_override_from_the_submission_page(client, graded, instructor):
    admin_login(client, instructor)
    url = reverse("grading_admin:submission", args=[graded.pk])
    assert client.get(url).status_code == 200

    client.post(url, {"action": "manual", "manual-why": "1"})
    graded.grade.refresh_from_db()
    assert graded.grade.score == Decimal(4)

    response = client.post(url, {"action": "override", "score": "2", "reason": ""})
    assert response.status_code == 200
    assert response.context["override_form"].errors
    client.post(url, {"action": "override", "score": "2", "reason": "부정행위 확인"})
    graded.grade.refresh_from_db()
    assert graded.grade.score == Decimal(2)
    audit = GradeAudit.objects.filter(grade=graded.grade).order_by("at")
    assert [a.action for a in audit] == ["manual", "override"]
    assert audit.last().actor == instructor


def test_regrade_all_queues_the_run_s_submissions(client, graded, course, run, instructor,
                                                  django_capture_on_commit_callbacks,
                                                  monkeypatch):
    sent = []
    monkeypatch.setattr("grading.tasks.submission_autograde_task.apply_async",
                        lambda args, kwargs=None, **options: sent.append(args[0]))
    admin_login(client, instructor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("grading_admin:regrade_all",
                            args=[course.pk, run.pk, graded.assignment.pk]))
    assert sent == [graded.pk]
    graded.refresh_from_db()
    assert graded.state == "queued"
    assert graded.regrade_requested_at
    page = client.get(reverse("grading_admin:gradebook", args=[course.pk, run.pk]))
    assert "<progress" in page.content.decode()


def test_an_extension_is_granted_from_the_learner_page(client, released_assignment,
                                                       enrolled_learner, course, run,
                                                       instructor):
    admin_login(client, instructor)
    url = reverse("grading_admin:learner", args=[course.pk, run.pk, enrolled_learner.pk])
    response = client.post(url, {"assignment": released_assignment.pk,
                                 "due_at": "2030-01-01 18:00", "reason": "병가"})
    assert response.status_code == 302
    extension = Extension.objects.get()
    assert extension.learner == enrolled_learner
    assert extension.granted_by == instructor


def test_other_learners_and_other_instructors_cannot_reach_a_submission(
        client, graded, other_instructor, other_learner):
    client.force_login(other_instructor)
    assert client.get(reverse("grading_admin:submission", args=[graded.pk])).status_code == 403
    client.force_login(other_learner)
    assert client.get(reverse("grading:feedback", args=[graded.pk])).status_code == 404
    assert Submission.objects.count() == 1
