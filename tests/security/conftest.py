"""Fixtures of the security tests: one small site with a user of every role and an object
behind every parameterised URL (a released assignment with a data file, a graded submission
and a certificate of the learner, a document, API tokens)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.base import ContentFile
from django.utils import timezone

from grading.models import AssignmentDataFile, Grade, GradeStatus
from grading.services.submissions import submission_create
from lms.accounts.models import LearnerProfile, Role
from lms.accounts.services import user_assign_role, user_remove_role
from lms.certificates.credentials.multibase import ed25519_secret_multikey
from lms.certificates.models import Certificate
from lms.reports.api_tokens import api_token_create
from tests.browser.conftest import browser, page, shoot  # noqa: F401 - the CSP browser test
from tests.factories import UserFactory
from tests.grading.conftest import (  # noqa: F401 - the course tree, assignment and learners
    assignment,
    assignment_module,
    catalogue,
    course,
    enrolled_learner,
    instructor,
    learner,
    locales,
    ministry_officer,
    modules,
    notebook_with,
    other_course,
    other_instructor,
    other_learner,
    programme,
    programme_staff,
    released_assignment,
    run,
    source_bytes,
)
from tests.security.matrix import RIGHT, Site


def _signing_key() -> str:
    seed = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())
    return ed25519_secret_multikey(seed)


def _api_token(user) -> str:
    """A token of the user; for one who may not see reports, a token made while they could
    (as a ministry officer) and kept after they lost the role."""
    from lms.accounts.selectors import user_may_see_reports

    if user_may_see_reports(user=user):
        return api_token_create(user=user, name="security tests")[1]
    user_assign_role(user=user, role=Role.MINISTRY_OFFICER)
    raw = api_token_create(user=user, name="security tests")[1]
    user_remove_role(user=user, role=Role.MINISTRY_OFFICER)
    return raw


@pytest.fixture
def site(settings, catalogue, programme, course, other_course, modules, run,
         released_assignment, enrolled_learner, other_learner, other_instructor, instructor,
         programme_staff, ministry_officer) -> Site:
    from wagtail.documents import get_document_model

    from lms.certificates.credentials.signing import site_signer

    settings.CREDENTIALS_SIGNING_KEY = _signing_key()
    settings.CREDENTIALS_SIGNING_KEY_FILE = ""
    settings.CREDENTIALS_RETIRED_PUBLIC_KEYS = []
    admin = UserFactory(roles=[], is_staff=True, is_superuser=True)
    users = {"anonymous": None, "learner": enrolled_learner, "other_learner": other_learner,
             "other_instructor": other_instructor, "instructor": instructor,
             "programme_staff": programme_staff, "ministry_officer": ministry_officer,
             "admin": admin}
    # Complete profiles: enrolment asks for one first, which would hide the real answer.
    for user in (u for u in users.values() if u is not None):
        LearnerProfile.objects.filter(user=user).update(
            participant_status="employed", ai_major=False, birth_year=1990, region="seoul",
            stats_consent=True, stats_consent_at=timezone.now())

    data_file = AssignmentDataFile(assignment=released_assignment, name="prices.csv")
    data_file.file.save("prices.csv", ContentFile(b"year,price\n2024,1\n"), save=True)
    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=notebook_with(RIGHT)).submission
    Grade.objects.create(submission=submission, status=GradeStatus.GRADED, max_score=4,
                         auto_score=3, score=3, feedback={"ko": "<p>좋아요</p>",
                                                          "en": "<p>Well done</p>"})
    enrolment = enrolled_learner.enrolments.get(run=run)
    certificate = Certificate.objects.create(
        enrolment=enrolment, serial=f"AIMD-{run.year}-000042", holder_name="김하늘",
        programme_title="산업 AI 마이크로디그리", programme_title_en="Industrial AI", hours=120)
    document = get_document_model().objects.create(title="Syllabus")
    document.file.save("syllabus.txt", ContentFile(b"Week 1: Python"), save=True)
    built = Site(users=users, catalogue=catalogue, programme=programme, course=course,
                 other_course=other_course, modules=modules, module=released_assignment.module,
                 run=run, assignment=released_assignment, data_file=data_file,
                 submission=submission, certificate=certificate, enrolment=enrolment,
                 other_enrolment=other_learner.enrolments.get(run=run), document=document,
                 signing_public_key=site_signer().public_key_multibase)
    built.api_tokens = {role: _api_token(user) for role, user in users.items()
                        if user is not None}
    return built
