"""Completing a run: the rule, the one certificate it issues, revocation, verification."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from courses.models import EnrolmentStatus
from courses.services.progress import module_complete
from grading.services.grades import grade_override, submission_autograde
from grading.services.submissions import submission_create
from lms.certificates.models import Certificate
from lms.certificates.selectors import completion_evaluate
from lms.certificates.services import (
    RevocationRefused,
    certificate_issue_if_complete,
    certificate_revoke,
)
from tests.grading.conftest import notebook_with

RIGHT = "def square(x):\n    return x * x"
WRONG = "def square(x):\n    return x + x"


def _enrolment(learner, run):
    return learner.enrolments.get(run=run)


def _read_everything(learner, modules):
    for module in modules:
        module_complete(learner=learner, module=module)


def _pass(assignment, learner, answer=RIGHT, **kwargs):
    submission = submission_create(assignment=assignment, learner=learner,
                                   data=notebook_with(answer), **kwargs).submission
    return submission_autograde(submission_id=submission.pk)


@pytest.mark.django_db
class TestTheRule:
    def test_all_modules_and_a_passed_assignment_issue_one_certificate(
            self, released_assignment, enrolled_learner, modules, run,
            django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            _read_everything(enrolled_learner, modules)
        assert not Certificate.objects.exists()  # the assignment is still to do

        with django_capture_on_commit_callbacks(execute=True):
            _pass(released_assignment, enrolled_learner)

        certificate = Certificate.objects.get()
        enrolment = _enrolment(enrolled_learner, run)
        assert certificate.enrolment == enrolment
        assert certificate.serial == f"AIMD-{run.year}-000001"
        assert enrolment.status == EnrolmentStatus.COMPLETED
        assert enrolment.completed_at
        assert certificate.hours == run.programme.specific.total_hours
        assert certificate_issue_if_complete(enrolment=enrolment) == certificate

    def test_what_is_missing_is_said(self, released_assignment, enrolled_learner, modules,
                                     run):
        completion = completion_evaluate(enrolment=_enrolment(enrolled_learner, run))
        assert not completion.complete
        assert len(completion.missing) == 3  # two reading modules and the assignment

    @pytest.mark.parametrize(("pass_mark", "complete"), [(Decimal(3), True),
                                                          (Decimal("3.01"), False)])
    def test_exactly_at_the_pass_mark_passes(self, released_assignment, enrolled_learner,
                                             modules, run, pass_mark, complete):
        released_assignment.pass_mark = pass_mark
        released_assignment.save()
        _read_everything(enrolled_learner, modules)
        _pass(released_assignment, enrolled_learner)  # 3 autograded points

        assert completion_evaluate(
            enrolment=_enrolment(enrolled_learner, run)).complete is complete

    def test_work_after_the_run_ended_does_not_count(self, released_assignment,
                                                     enrolled_learner, modules, run):
        _read_everything(enrolled_learner, modules)
        after = timezone.make_aware(timezone.datetime.combine(
            run.ends_on + timedelta(days=1), timezone.datetime.min.time()))
        _pass(released_assignment, enrolled_learner, now=after)

        assert not completion_evaluate(enrolment=_enrolment(enrolled_learner, run)).complete

    def test_a_regrade_below_the_mark_after_issuing_keeps_the_certificate(
            self, released_assignment, enrolled_learner, modules, run, programme_staff,
            django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            _read_everything(enrolled_learner, modules)
            grade = _pass(released_assignment, enrolled_learner)
        with django_capture_on_commit_callbacks(execute=True):
            grade_override(grade=grade, score=Decimal(0), reason="표절", actor=programme_staff)

        certificate = Certificate.objects.get()
        assert certificate.is_valid  # revoking is a decision staff take, with a reason
        assert not completion_evaluate(enrolment=_enrolment(enrolled_learner, run)).complete


@pytest.mark.django_db
def test_revocation_needs_a_reason_and_shows_at_once(client, released_assignment,
                                                     enrolled_learner, modules, run,
                                                     programme_staff):
    _read_everything(enrolled_learner, modules)
    _pass(released_assignment, enrolled_learner)
    certificate = certificate_issue_if_complete(enrolment=_enrolment(enrolled_learner, run))
    url = reverse("certificate_verify", args=[certificate.code])

    page = client.get(url)
    assert page.status_code == 200
    assert 'data-state="valid"' in page.content.decode()
    assert certificate.holder_name not in page.content.decode()  # masked by default
    assert certificate.public_name in page.content.decode()

    with pytest.raises(RevocationRefused):
        certificate_revoke(certificate=certificate, reason=" ", actor=programme_staff)
    certificate_revoke(certificate=certificate, reason="부정행위 확인", actor=programme_staff)
    page = client.get(url)
    assert 'data-state="revoked"' in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    # A revoked certificate is not issued again by a later evaluation.
    assert certificate_issue_if_complete(enrolment=certificate.enrolment).revoked_at


@pytest.mark.django_db
def test_an_unknown_code_is_not_a_certificate(client):
    page = client.get(reverse("certificate_verify", args=["not-a-real-code"]))
    assert page.status_code == 200
    assert 'data-state="unknown"' in page.content.decode()


def test_public_names_are_masked():
    assert Certificate(holder_name="김하늘").public_name == "김*늘"
    assert Certificate(holder_name="이준").public_name == "이*"
    assert Certificate(holder_name="Haneul Kim").public_name == "H********m"
    assert Certificate(holder_name="김하늘", show_name=True).public_name == "김하늘"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_evaluations_issue_one_certificate(released_assignment, enrolled_learner,
                                                      modules, run):
    _read_everything(enrolled_learner, modules)
    _pass(released_assignment, enrolled_learner)
    Certificate.objects.all().delete()  # the receivers may have issued it already
    enrolment = _enrolment(enrolled_learner, run)
    enrolment.status = EnrolmentStatus.ENROLLED
    enrolment.save()
    barrier, results = threading.Barrier(4), []

    def evaluate():
        try:
            barrier.wait()
            results.append(certificate_issue_if_complete(enrolment=enrolment))
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Certificate.objects.count() == 1
    assert {c.pk for c in results} == {Certificate.objects.get().pk}


@pytest.mark.django_db
def test_my_learning_shows_the_certificate(client, released_assignment, enrolled_learner,
                                           modules, run):
    _read_everything(enrolled_learner, modules)
    _pass(released_assignment, enrolled_learner)
    certificate = certificate_issue_if_complete(enrolment=_enrolment(enrolled_learner, run))
    client.force_login(enrolled_learner)

    html = client.get(reverse("courses:dashboard")).content.decode()
    assert certificate.serial in html
    assert reverse("certificate_verify", args=[certificate.code]) in html


@pytest.mark.django_db
def test_programme_staff_revoke_from_the_admin_and_others_cannot(
        client, released_assignment, enrolled_learner, modules, run, programme_staff,
        instructor):
    from tests.courses.conftest import admin_login

    _read_everything(enrolled_learner, modules)
    _pass(released_assignment, enrolled_learner)
    certificate = certificate_issue_if_complete(enrolment=_enrolment(enrolled_learner, run))
    url = reverse("wagtailsnippets_certificates_certificate:revoke", args=[certificate.pk])

    admin_login(client, instructor)
    assert client.post(url, {"reason": "x"}).status_code == 403
    admin_login(client, programme_staff)
    assert certificate.serial in client.get(
        reverse("wagtailsnippets_certificates_certificate:list")).content.decode()
    assert client.post(url, {"reason": ""}).status_code == 200  # the reason is required
    assert client.post(url, {"reason": "부정행위 확인"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_by == programme_staff
    assert certificate.revoked_reason == "부정행위 확인"
