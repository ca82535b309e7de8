"""Programme staff approve applications, drop enrolments with a reason and enrol one learner
in the admin; a refusal is a message, never an error page."""

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import Enrolment, EnrolmentStatus
from lms.accounts.models import Role
from tests.courses.conftest import admin_login
from tests.courses.factories import EnrolmentFactory, ProgrammeRunFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ENROLMENTS = "wagtailsnippets_courses_enrolment"


def _url(action, enrolment):
    return reverse(f"{ENROLMENTS}:{action}", args=[enrolment.pk])


def _messages(response):
    return [(m.level_tag, str(m).strip()) for m in response.context["messages"]]


@pytest.fixture
def staff_client(client, programme_staff):
    return admin_login(client, programme_staff)


@pytest.fixture
def application(run):
    return EnrolmentFactory(run=run, status=EnrolmentStatus.APPLIED)


# --- Approve -------------------------------------------------------------------------------------


def test_approve_asks_for_confirmation(staff_client, application):
    response = staff_client.get(_url("approve", application))

    assert response.status_code == 200
    assert application.learner.email in response.content.decode()
    application.refresh_from_db()
    assert application.status == EnrolmentStatus.APPLIED


def test_programme_staff_approve_an_application(staff_client, application):
    listing = reverse(f"{ENROLMENTS}:list") + "?status=applied"

    response = staff_client.post(_url("approve", application), {"next": listing}, follow=True)

    assert response.redirect_chain[-1][0] == listing
    application.refresh_from_db()
    assert application.status == EnrolmentStatus.ENROLLED
    assert application.enrolled_at is not None
    assert _messages(response)[0][0] == "success"


def test_approving_an_enrolment_that_is_no_application_is_a_message(staff_client, run):
    enrolment = EnrolmentFactory(run=run, status=EnrolmentStatus.ENROLLED)

    response = staff_client.post(_url("approve", enrolment), follow=True)

    assert response.status_code == 200
    assert _messages(response) == [("error", "Only an application can be approved.")]


def test_approve_needs_the_csrf_token(programme_staff, application):
    client = Client(enforce_csrf_checks=True)
    client.force_login(programme_staff)

    response = client.post(_url("approve", application))

    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == EnrolmentStatus.APPLIED


def test_instructor_cannot_approve(client, instructor, application):
    client.force_login(instructor)

    response = client.post(_url("approve", application))

    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == EnrolmentStatus.APPLIED


def test_approving_a_missing_enrolment_is_404(staff_client):
    # (Django's LocaleMiddleware first tries the path under /ko/, which is not found either.)
    response = staff_client.post(reverse(f"{ENROLMENTS}:approve", args=[999999]), follow=True)

    assert response.status_code == 404


# --- Drop ----------------------------------------------------------------------------------------


def test_programme_staff_drop_an_enrolment_with_a_reason(staff_client, run):
    enrolment = EnrolmentFactory(run=run)

    response = staff_client.post(_url("drop", enrolment), {"reason": "본인 요청으로 취소"},
                                 follow=True)

    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.DROPPED
    assert enrolment.drop_reason == "본인 요청으로 취소"
    assert _messages(response)[0][0] == "success"


@pytest.mark.parametrize("reason", ["", "   "])
def test_drop_without_a_reason_is_refused(staff_client, run, reason):
    enrolment = EnrolmentFactory(run=run)

    response = staff_client.post(_url("drop", enrolment), {"reason": reason})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED


def test_dropping_a_completed_enrolment_is_a_message(staff_client, run):
    enrolment = EnrolmentFactory(run=run, status=EnrolmentStatus.COMPLETED)

    response = staff_client.post(_url("drop", enrolment), {"reason": "중도 포기"}, follow=True)

    assert response.status_code == 200
    assert _messages(response) == [("error", "A completed enrolment cannot be dropped.")]
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.COMPLETED


def test_enrolment_listing_offers_drop_but_not_approve_for_an_enrolled_learner(staff_client,
                                                                              run):
    enrolment = EnrolmentFactory(run=run)

    html = staff_client.get(reverse(f"{ENROLMENTS}:list")).content.decode()

    assert _url("drop", enrolment) in html
    assert _url("approve", enrolment) not in html


def test_enrolment_edit_view_offers_the_actions(staff_client, application):
    html = staff_client.get(_url("edit", application)).content.decode()

    assert _url("approve", application) in html
    assert _url("drop", application) in html


def test_enrolment_edit_form_cannot_change_the_status(staff_client, application):
    staff_client.post(_url("edit", application), {"status": EnrolmentStatus.COMPLETED,
                                                 "drop_reason": "x"})

    application.refresh_from_db()
    assert application.status == EnrolmentStatus.APPLIED
    assert application.drop_reason == ""


# --- Enrol one learner ---------------------------------------------------------------------------


def test_programme_staff_enrol_one_learner_by_email(staff_client, run):
    learner = UserFactory(email="lee@example.kr", roles=[Role.LEARNER])

    response = staff_client.post(reverse(f"{ENROLMENTS}:add"),
                                 {"email": "lee@example.kr", "run": run.pk}, follow=True)

    assert Enrolment.objects.get(learner=learner, run=run).status == EnrolmentStatus.ENROLLED
    assert _messages(response)[0][0] == "success"


def test_enrolling_an_unknown_email_is_a_form_error(staff_client, run):
    response = staff_client.post(reverse(f"{ENROLMENTS}:add"),
                                 {"email": "nobody@example.kr", "run": run.pk})

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["No account with this email."]
    assert not Enrolment.objects.exists()


def test_enrolling_into_a_full_run_is_a_form_error(staff_client, programme):
    run = ProgrammeRunFactory(programme=programme, capacity=1)
    EnrolmentFactory(run=run)
    UserFactory(email="lee@example.kr")

    response = staff_client.post(reverse(f"{ENROLMENTS}:add"),
                                 {"email": "lee@example.kr", "run": run.pk})

    assert response.context["form"].errors["email"] == ["This run is full."]
    assert run.enrolments.count() == 1
