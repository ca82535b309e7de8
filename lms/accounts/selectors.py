"""Reads about users and roles."""

from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import Q

from lms.accounts.models import Role, User


def _group_names(user: User) -> set[str]:
    """The names of the user's groups: one query, then cached on the user."""
    cached = getattr(user, "_lms_group_names", None)
    if cached is None:
        cached = user._lms_group_names = set(user.groups.values_list("name", flat=True))
    return cached


def user_roles(*, user: User | AnonymousUser) -> set[Role]:
    """The platform roles a user holds (group names that are roles; cached on the user)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_lms_roles", None)
    if cached is None:
        cached = {Role(name) for name in _group_names(user) if name in Role.values}
        user._lms_roles = cached
    return cached


def user_has_role(*, user: User | AnonymousUser, role: Role) -> bool:
    return role in user_roles(user=user)


def user_may_see_reports(*, user) -> bool:
    """Ministry officers, programme staff and superusers see the ministry's statistics."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user_roles(user=user)
                                     & {Role.MINISTRY_OFFICER, Role.PROGRAMME_STAFF})


def user_may_enter_admin(*, user) -> bool:
    """May the user open the Wagtail admin (``wagtailadmin.access_admin``)?

    The permission comes with a group (the instructor and programme staff roles,
    ``lms/accounts/migrations/0002_role_groups.py``, or Wagtail's editors' groups), Django's
    staff flag or a superuser's rights: a user in no group but the learners' is answered no
    without reading the permission tables (two queries on every page with the account menu).
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.is_staff and not (_group_names(user) - {Role.LEARNER.value}):
        return False
    # What ModelBackend.has_perm answers, in one query instead of its two.
    return Permission.objects.filter(
        Q(user=user) | Q(group__user=user),
        content_type__app_label="wagtailadmin", codename="access_admin").exists()


def user_signs_in_through_a_platform_only(*, user: User) -> bool:
    """Was the account made by an LTI launch (a platform's identity linked to it, no password
    ever set)? Its email is only what the platform asserted: owning that address is no claim
    on the account, so it gets no password (reset) by email."""
    return not user.has_usable_password() and user.lti_users.exists()
