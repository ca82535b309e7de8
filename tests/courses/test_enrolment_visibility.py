"""Who may list which enrolments in the admin: learners' data stays with their programmes."""

import pytest

from courses.selectors import enrolments_visible_to
from tests.courses.factories import (
    EnrolmentFactory,
    ProgrammeRunFactory,
    course_create,
    programme_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_programmes(catalogue, course, run, other_instructor):
    """``run`` belongs to the programme that ``course`` (taught by ``instructor``) is in;
    a second programme, taught by ``other_instructor`` only, has its own run."""
    second = programme_create(parent=catalogue, title="스마트 팩토리", slug="smart-factory")
    course_create(parent=second, title="PLC 데이터", slug="plc-data",
                  instructors=[other_instructor])
    second_run = ProgrammeRunFactory(programme=second, number=1)
    mine = EnrolmentFactory(run=run)
    theirs = EnrolmentFactory(run=second_run)
    return mine, theirs


def test_instructor_lists_only_the_enrolments_of_the_programmes_they_teach(
        instructor, two_programmes):
    mine, theirs = two_programmes

    visible = set(enrolments_visible_to(user=instructor))

    assert visible == {mine}


def test_programme_staff_list_every_enrolment(programme_staff, two_programmes):
    assert set(enrolments_visible_to(user=programme_staff)) == set(two_programmes)


@pytest.mark.parametrize("role_fixture", ["learner", "ministry_officer"])
def test_other_roles_list_no_enrolment(request, role_fixture, two_programmes):
    user = request.getfixturevalue(role_fixture)

    assert not enrolments_visible_to(user=user).exists()


def test_admin_enrolment_listing_shows_an_instructor_only_their_learners(
        client, instructor, two_programmes):
    from tests.courses.conftest import admin_login

    mine, theirs = two_programmes
    admin_login(client, instructor)

    body = client.get("/admin/snippets/courses/enrolment/").content.decode()

    assert mine.learner.email in body
    assert theirs.learner.email not in body
