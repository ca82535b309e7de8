"""Accounts and roles of a launch: a local account linked to (issuer, sub), linking an existing
account once by email, roles mapped for that course only."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from lti_tool.models import LtiUser

from courses.models import Enrolment
from lms.accounts.models import Role, User
from tests.factories import UserFactory
from tests.lti.conftest import (
    INSTRUCTOR,
    LEARNER,
    LaunchSpec,
    launch,
    path_of,
    signed_in_user_id,
)

pytestmark = pytest.mark.django_db


def _spec(module, *, sub="s-1", roles=(LEARNER,), email="s1@univ.ac.kr", **changes):
    return LaunchSpec(sub=sub, roles=list(roles), email=email,
                      custom={"lms_page": str(module.pk), "lms_assignment": "squares"},
                      **changes)


def test_a_first_launch_makes_an_account_without_a_password_linked_to_issuer_and_sub(
        client, platform, registration, assignment_module, assignment, run):
    launch(client, platform, "a", _spec(assignment_module))
    user = User.objects.get(email="s1@univ.ac.kr")
    assert not user.has_usable_password()
    lti_user = LtiUser.objects.get(registration=registration, sub="s-1")
    assert lti_user.auth_user == user


def test_a_second_launch_signs_in_the_same_account(client, platform, registration,
                                                   assignment_module, assignment, run):
    launch(client, platform, "a", _spec(assignment_module))
    client.cookies.clear()
    launch(client, platform, "b", _spec(assignment_module, email="changed@univ.ac.kr"))
    assert User.objects.filter(email__endswith="univ.ac.kr").count() == 1
    assert signed_in_user_id(client) == User.objects.get(email="s1@univ.ac.kr").pk


def test_a_launch_without_an_email_gets_an_account_of_its_own(client, platform, registration,
                                                              assignment_module, assignment,
                                                              run):
    response = launch(client, platform, "a", _spec(assignment_module, email=""))
    assert response.status_code == 302
    assert LtiUser.objects.get(sub="s-1").auth_user.email.endswith("@lti.invalid")


def test_an_existing_account_is_linked_only_through_the_email_link_and_once(
        client, platform, registration, assignment_module, assignment, run):
    owner = UserFactory(email="s1@univ.ac.kr", roles=[Role.LEARNER])
    response = launch(client, platform, "a", _spec(assignment_module))
    assert response.status_code == 200
    assert signed_in_user_id(client) is None  # not signed in on the platform's word
    assert LtiUser.objects.get(sub="s-1").auth_user is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    link = re.search(r"http://testserver(/lti/link/[^\s]+/)", mail.outbox[0].body).group(1)

    assert client.get(link).status_code == 200  # a button; GET links nothing
    assert LtiUser.objects.get(sub="s-1").auth_user is None
    assert client.post(link).status_code == 200
    assert LtiUser.objects.get(sub="s-1").auth_user == owner
    assert client.post(link).status_code == 400  # once

    relaunch = launch(client, platform, "b", _spec(assignment_module))
    assert relaunch.status_code == 302
    assert signed_in_user_id(client) == owner.pk


def test_a_forged_link_is_refused(client, registration):
    assert client.post("/lti/link/not-a-token/").status_code == 400


def test_a_learner_is_enrolled_in_the_placements_programme(client, platform, registration,
                                                           assignment_module, assignment, run):
    launch(client, platform, "a", _spec(assignment_module))
    user = User.objects.get(email="s1@univ.ac.kr")
    enrolment = Enrolment.objects.get(learner=user)
    assert enrolment.run == run
    assert enrolment.status == "enrolled"


def test_an_instructor_manages_the_placement_of_their_course_only(
        client, platform, registration, assignment_module, assignment, run):
    response = launch(client, platform, "i", _spec(assignment_module, sub="t-1",
                                                   roles=(INSTRUCTOR,),
                                                   email="prof@univ.ac.kr"))
    assert response.status_code == 302
    assert path_of(response["Location"]).startswith("/lti/placements/")
    prof = User.objects.get(email="prof@univ.ac.kr")
    # Nothing granted on the rest of the site: no instructor role, no enrolment.
    assert not prof.groups.filter(name=Role.INSTRUCTOR.value).exists()
    assert not Enrolment.objects.filter(learner=prof).exists()
    assert client.get(response["Location"]).status_code == 200

    # The same person as an instructor of another platform course sees nothing of this one.
    other = launch(client, platform, "i2", _spec(assignment_module, sub="t-2",
                                                 roles=(INSTRUCTOR,), email="other@univ.ac.kr",
                                                 context_id="course-2", resource_link_id="l2"))
    assert other.status_code == 302
    assert client.get(response["Location"]).status_code == 403


def test_a_learner_cannot_open_the_instructors_page(client, platform, registration,
                                                    assignment_module, assignment, run):
    teacher = launch(client, platform, "i", _spec(assignment_module, sub="t-1",
                                                  roles=(INSTRUCTOR,), email="prof@univ.ac.kr"))
    client.cookies.clear()
    launch(client, platform, "a", _spec(assignment_module))
    assert client.get(teacher["Location"]).status_code == 403


def test_a_learner_launch_of_a_link_without_content_is_refused(client, platform, registration,
                                                               assignment_module, caplog):
    spec = LaunchSpec(sub="s-9", roles=[LEARNER], email="s9@univ.ac.kr")
    response = launch(client, platform, "n", spec)
    assert 'data-refusal="no_placement"' in response.content.decode()
