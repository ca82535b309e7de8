"""Bulk enrolment from a CSV file in the admin: the report, and nothing half-done."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from courses.admin_views import MAX_BULK_UPLOAD_BYTES
from courses.models import Enrolment, EnrolmentStatus
from lms.accounts.models import Role
from tests.courses.conftest import admin_login
from tests.courses.factories import EnrolmentFactory, ProgrammeRunFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _url(run):
    return reverse("wagtailsnippets_courses_programmerun:bulk_enrol", args=[run.pk])


def _upload(client, run, data: bytes, name="learners.csv"):
    return client.post(_url(run), {"file": SimpleUploadedFile(name, data, "text/csv")})


def _learners(*emails):
    return [UserFactory(email=email, roles=[Role.LEARNER]) for email in emails]


def _report_rows(response, kind):
    report = response.context["report"]
    return [(row.line, row.email, row.message) for row in getattr(report, kind)]


@pytest.fixture
def staff_client(client, programme_staff):
    return admin_login(client, programme_staff)


def _messages(response):
    return [(m.level_tag, str(m).strip()) for m in response.context["messages"]]


def test_upload_form_is_shown_to_programme_staff(staff_client, run):
    response = staff_client.get(_url(run))

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_happy_path_enrols_every_listed_learner(staff_client, run):
    _learners("a@example.kr", "b@example.kr", "c@example.kr")

    response = _upload(staff_client, run, b"email\na@example.kr\nB@Example.kr\nc@example.kr\n")

    assert response.status_code == 200
    assert [row.email for row in response.context["report"].done] == [
        "a@example.kr", "B@Example.kr", "c@example.kr"]
    assert set(Enrolment.objects.filter(run=run, status=EnrolmentStatus.ENROLLED)
               .values_list("learner__email", flat=True)) == {
        "a@example.kr", "b@example.kr", "c@example.kr"}
    assert _messages(response) == [("success", "All 3 rows done.")]


def test_malformed_rows_are_reported_with_line_numbers_and_nothing_is_enrolled(staff_client,
                                                                              run):
    _learners("a@example.kr", "b@example.kr")

    response = _upload(staff_client, run,
                       b"email\na@example.kr\nnot-an-email\nb@example.kr,extra\n")

    assert [line for line, _email, _msg in _report_rows(response, "malformed")] == [3, 4]
    assert not Enrolment.objects.exists()
    assert _messages(response)[0][0] == "error"
    html = response.content.decode()
    assert "Nothing was enrolled." in html
    assert 'data-report="malformed"' in html
    assert 'data-report="done"' not in html


def test_unknown_email_is_refused_with_the_reason(staff_client, run):
    _learners("a@example.kr")

    response = _upload(staff_client, run, b"a@example.kr\nnobody@example.kr\n")

    assert [email for _line, email, _msg in _report_rows(response, "refused")] == [
        "nobody@example.kr"]
    assert _report_rows(response, "refused")[0][2]  # a reason is given
    assert Enrolment.objects.filter(learner__email="a@example.kr", run=run).exists()


def test_duplicates_in_the_file_are_flagged_and_nothing_is_enrolled(staff_client, run):
    _learners("a@example.kr", "b@example.kr")

    response = _upload(staff_client, run, b"a@example.kr\nb@example.kr\nA@example.kr\n")

    malformed = _report_rows(response, "malformed")
    assert [(line, email) for line, email, _msg in malformed] == [(3, "A@example.kr")]
    assert "1" in malformed[0][2]  # names the row it repeats
    assert not Enrolment.objects.exists()


def test_rows_beyond_capacity_are_refused_with_the_reason(staff_client, programme):
    run = ProgrammeRunFactory(programme=programme, capacity=3)
    EnrolmentFactory(run=run)
    _learners("a@example.kr", "b@example.kr", "c@example.kr")

    response = _upload(staff_client, run, b"a@example.kr\nb@example.kr\nc@example.kr\n")

    assert [row.email for row in response.context["report"].done] == [
        "a@example.kr", "b@example.kr"]
    refused = _report_rows(response, "refused")
    assert [(line, email) for line, email, _msg in refused] == [(3, "c@example.kr")]
    assert refused[0][2] == "This run is full."
    assert _messages(response)[0][0] == "warning"
    assert run.enrolments.count() == 3


def test_a_learner_already_in_the_run_is_refused(staff_client, run):
    (learner,) = _learners("a@example.kr")
    EnrolmentFactory(run=run, learner=learner)

    response = _upload(staff_client, run, b"a@example.kr\n")

    assert [email for _line, email, _msg in _report_rows(response, "refused")] == [
        "a@example.kr"]
    assert run.enrolments.count() == 1


def test_a_run_requiring_approval_records_applications(staff_client, programme):
    run = ProgrammeRunFactory(programme=programme, requires_approval=True)
    _learners("a@example.kr")

    _upload(staff_client, run, b"a@example.kr\n")

    assert Enrolment.objects.get(run=run).status == EnrolmentStatus.APPLIED


def test_a_file_that_is_not_utf8_is_an_error(staff_client, run):
    _learners("김@example.kr")

    response = _upload(staff_client, run, "김@example.kr\n".encode("cp949"))

    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert "UTF-8" in response.context["form"].errors["file"][0]
    assert "report" not in response.context
    assert not Enrolment.objects.exists()


def test_an_oversize_upload_is_an_error(staff_client, run):
    _learners("a@example.kr")
    data = b"a@example.kr\n" + b"x@example.kr\n" * (MAX_BULK_UPLOAD_BYTES // 13 + 1)

    response = _upload(staff_client, run, data)

    assert response.status_code == 200
    assert response.context["form"].errors["file"][0].startswith("The file is 1.0")
    assert not Enrolment.objects.exists()


def test_an_empty_file_is_an_error(staff_client, run):
    response = _upload(staff_client, run, b"email\n\n")

    assert "file" in response.context["form"].errors
    assert not Enrolment.objects.exists()


def test_instructor_gets_403_and_nothing_is_enrolled(client, instructor, run):
    _learners("a@example.kr")
    client.force_login(instructor)

    response = _upload(client, run, b"a@example.kr\n")

    assert response.status_code == 403
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MINISTRY_OFFICER])
def test_users_without_admin_access_are_sent_to_login(client, run, role):
    _learners("a@example.kr")
    client.force_login(UserFactory(roles=[role]))

    response = _upload(client, run, b"a@example.kr\n")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin_login"))  # then a 403 page
    assert not Enrolment.objects.exists()


def test_upload_without_csrf_token_is_rejected(programme_staff, run):
    _learners("a@example.kr")
    client = Client(enforce_csrf_checks=True)
    client.force_login(programme_staff)

    response = _upload(client, run, b"a@example.kr\n")

    assert response.status_code == 403
    assert not Enrolment.objects.exists()
