import pytest
from django.contrib.auth.models import Group

from lms.accounts.models import Role
from lms.accounts.selectors import user_has_role, user_roles
from lms.accounts.services import user_assign_role, user_create, user_remove_role

pytestmark = pytest.mark.django_db


def test_every_role_has_a_group_after_migrations():
    names = set(Group.objects.values_list("name", flat=True))

    assert set(Role.values) <= names


@pytest.mark.parametrize(("role", "can_use_admin"), [
    (Role.LEARNER, False),
    (Role.INSTRUCTOR, True),
    (Role.PROGRAMME_STAFF, True),
    (Role.MINISTRY_OFFICER, False),
])
def test_only_authoring_roles_may_use_the_wagtail_admin(role, can_use_admin):
    user = user_create(email=f"{role}@example.com", password="x", roles=(role,))

    assert user.has_perm("wagtailadmin.access_admin") is can_use_admin


def test_new_users_are_learners_by_default():
    user = user_create(email="new@example.com", password="x")

    assert user_roles(user=user) == {Role.LEARNER}
    assert user.profile is not None


def test_assigning_a_role_is_idempotent_and_removable(user):
    user_assign_role(user=user, role=Role.MINISTRY_OFFICER)
    user_assign_role(user=user, role=Role.MINISTRY_OFFICER)
    assert user_has_role(user=user, role=Role.MINISTRY_OFFICER)
    assert user.groups.filter(name="ministry_officer").count() == 1

    user_remove_role(user=user, role=Role.MINISTRY_OFFICER)

    assert not user_has_role(user=user, role=Role.MINISTRY_OFFICER)


def test_anonymous_user_has_no_roles():
    from django.contrib.auth.models import AnonymousUser

    assert user_roles(user=AnonymousUser()) == set()
