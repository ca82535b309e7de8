"""Reads about users and roles."""

from django.contrib.auth.models import AnonymousUser

from lms.accounts.models import Role, User


def user_roles(*, user: User | AnonymousUser) -> set[Role]:
    """The platform roles a user holds (group names that are roles; cached on the user)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_lms_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = {Role(name) for name in names if name in Role.values}
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
