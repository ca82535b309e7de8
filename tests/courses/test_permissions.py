"""Page permissions: instructors edit only the courses they teach; programme staff manage the
catalogue. (The publishing workflow is in test_workflow.py.)"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import GroupPagePermission, Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from courses.models import CourseInstructor, CoursePage
from courses.permissions import (
    catalogue_permissions_sync,
    course_editors_group_name,
    course_permissions_prune,
    course_permissions_sync,
)
from lms.accounts.models import Role
from lms.accounts.services import user_remove_role
from tests.courses.factories import module_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _editors(course) -> Group:
    return Group.objects.get(name=course_editors_group_name(translation_key=course.translation_key))


def _granted(group, page) -> set[str]:
    return set(GroupPagePermission.objects.filter(group=group, page=page)
               .values_list("permission__codename", flat=True))


# --- Instructors ---------------------------------------------------------------------------------


def test_instructor_can_edit_their_own_course(client, course, instructor):
    client.force_login(instructor)

    response = client.get(reverse("wagtailadmin_pages:edit", args=[course.pk]))

    assert response.status_code == 200
    assert course.permissions_for_user(instructor).can_edit()


def test_instructor_can_edit_and_add_modules_of_their_course(course, modules, instructor):
    assert modules[0].permissions_for_user(instructor).can_edit()
    assert course.permissions_for_user(instructor).can_add_subpage()


def test_instructor_cannot_edit_another_instructors_course(client, course, other_course,
                                                           instructor):
    client.force_login(instructor)

    response = client.get(reverse("wagtailadmin_pages:edit", args=[other_course.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert not other_course.permissions_for_user(instructor).can_edit()


def test_instructor_cannot_edit_the_programme_or_the_catalogue(catalogue, programme, course,
                                                               instructor):
    assert not programme.permissions_for_user(instructor).can_edit()
    assert not catalogue.permissions_for_user(instructor).can_edit()


def test_instructor_explorer_opens_at_their_course(client, course, other_course, instructor):
    client.force_login(instructor)

    response = client.get(reverse("wagtailadmin_explore_root"))

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_explore", args=[course.pk])


def test_course_editors_hold_add_and_change_but_not_publish(course):
    assert _granted(_editors(course), course) == {"add_page", "change_page"}


def test_english_translation_is_editable_by_the_course_instructors(tree_en, instructor,
                                                                   other_instructor):
    assert tree_en.course.permissions_for_user(instructor).can_edit()
    assert tree_en.modules[0].permissions_for_user(instructor).can_edit()
    assert not tree_en.course.permissions_for_user(instructor).can_publish()
    assert not tree_en.course.permissions_for_user(other_instructor).can_edit()


def test_sync_adds_a_newly_assigned_instructor(course):
    newcomer = UserFactory(roles=[Role.INSTRUCTOR])
    CourseInstructor.objects.create(course=course, user=newcomer)

    course_permissions_sync(course=course)

    assert course.permissions_for_user(newcomer).can_edit()


def test_sync_removes_an_ex_instructor(course, instructor):
    CourseInstructor.objects.filter(course=course, user=instructor).delete()

    course_permissions_sync(course=course)

    assert instructor not in _editors(course).user_set.all()
    assert not course.permissions_for_user(instructor).can_edit()


def test_sync_leaves_out_a_user_who_lost_the_instructor_role(course, instructor):
    user_remove_role(user=instructor, role=Role.INSTRUCTOR)

    course_permissions_sync(course=course)

    assert not _editors(course).user_set.filter(pk=instructor.pk).exists()


def test_sync_removes_permissions_granted_by_hand(course, programme):
    GroupPagePermission.objects.create(group=_editors(course), page=programme,
                                       permission_type="change")
    GroupPagePermission.objects.create(group=_editors(course), page=course,
                                       permission_type="publish")

    course_permissions_sync(course=course)

    assert _granted(_editors(course), programme) == set()
    assert _granted(_editors(course), course) == {"add_page", "change_page"}


def test_sync_is_idempotent(course, instructor):
    course_permissions_sync(course=course)
    before = (set(_editors(course).user_set.values_list("pk", flat=True)),
              GroupPagePermission.objects.filter(group=_editors(course)).count())

    course_permissions_sync(course=course)

    assert (set(_editors(course).user_set.values_list("pk", flat=True)),
            GroupPagePermission.objects.filter(group=_editors(course)).count()) == before
    assert Group.objects.filter(name__startswith="course-").count() == 1


def test_publishing_a_course_with_a_new_instructor_gives_them_the_course(course):
    newcomer = UserFactory(roles=[Role.INSTRUCTOR])
    course.instructors.add(CourseInstructor(user=newcomer))

    course.save_revision().publish()

    assert course.permissions_for_user(newcomer).can_edit()


def test_deleting_a_course_removes_its_editors_group(course):
    name = course_editors_group_name(translation_key=course.translation_key)

    course.delete()
    course_permissions_prune()

    assert not Group.objects.filter(name=name).exists()


def test_deleting_a_programme_in_the_admin_removes_its_courses_groups(
        client, programme, course, other_course):
    admin = UserFactory(roles=[], is_superuser=True, is_staff=True)
    client.force_login(admin)

    client.post(reverse("wagtailadmin_pages:delete", args=[programme.pk]))

    assert not Page.objects.filter(pk=programme.pk).exists()
    assert not Group.objects.filter(name__startswith="course-").exists()


def test_a_course_created_in_the_admin_is_editable_by_its_instructor(
        client, programme, programme_staff, instructor):
    client.force_login(programme_staff)
    data = nested_form_data({
        "title": "딥러닝 입문", "slug": "deep-learning", "summary": "신경망", "hours": 12,
        "instructors": inline_formset([{"user": instructor.pk, "id": ""}]),
        "comments": inline_formset([]),
    })

    response = client.post(reverse("wagtailadmin_pages:add",
                                   args=["courses", "coursepage", programme.pk]), data)

    assert response.status_code == 302
    created = CoursePage.objects.get(slug="deep-learning")
    assert created.permissions_for_user(instructor).can_edit()


def test_a_copied_course_gets_its_own_editors(client, programme, course, programme_staff,
                                              instructor):
    client.force_login(programme_staff)

    client.post(reverse("wagtailadmin_pages:copy", args=[course.pk]), {
        "new_title": "파이썬 기초 2", "new_slug": "python-basics-2",
        "new_parent_page": programme.pk, "copy_subpages": "on",
    })

    copy = CoursePage.objects.get(slug="python-basics-2")
    assert copy.translation_key != course.translation_key
    assert copy.permissions_for_user(instructor).can_edit()
    assert _editors(copy) != _editors(course)


# --- Programme staff -----------------------------------------------------------------------------


def test_programme_staff_manage_every_catalogue(catalogue, tree_en, programme_staff):
    catalogue_permissions_sync()

    for page in (catalogue, tree_en.catalogue):
        perms = page.permissions_for_user(programme_staff)
        assert perms.can_edit()
        assert perms.can_publish()
        assert perms.can_add_subpage()


def test_programme_staff_may_publish_a_course_directly(course, programme_staff):
    assert course.permissions_for_user(programme_staff).can_publish()


def test_catalogue_permissions_sync_is_idempotent(catalogue, programme_staff):
    catalogue_permissions_sync()
    count = GroupPagePermission.objects.filter(group__name=Role.PROGRAMME_STAFF.value).count()

    catalogue_permissions_sync()

    assert GroupPagePermission.objects.filter(
        group__name=Role.PROGRAMME_STAFF.value).count() == count == 3


@pytest.mark.parametrize("role", [Role.LEARNER, Role.MINISTRY_OFFICER])
def test_learners_and_ministry_officers_edit_no_page(course, modules, role):
    user = UserFactory(roles=[role])

    for page in (course, *modules):
        assert not page.permissions_for_user(user).can_edit()


def test_module_added_by_instructor_is_editable_by_them(course, instructor):
    module = module_create(parent=course, slug="new-module")

    assert module.permissions_for_user(instructor).can_edit()
