"""allauth hooks: new accounts get a profile and the learner role. After login (when no safe
``?next=`` says where to go: allauth follows that first), learners whose profile is
incomplete are asked for it and other learners go to "My learning"; people who do not learn
are never asked (the profile holds the answers the statistics count): ministry officers and
programme staff land on the ministry dashboard, instructors in the Wagtail admin, other
staff in the Django admin.

Failed logins are throttled by allauth (``ACCOUNT_RATE_LIMITS["login_failed"]``), per client
address and per account, in the shared cache. The site's form is the only place a password is
taken (see ``lms.accounts.views``), so that throttle holds for every way in. An account an LTI
launch made gets no password reset by email (its platform signs it in; its email is only the
platform's word).
"""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from lms.accounts.models import Role
from lms.accounts.selectors import (
    user_may_see_reports,
    user_roles,
    user_signs_in_through_a_platform_only,
)
from lms.accounts.services import profile_ensure, user_assign_role

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            profile_ensure(user=user)
            user_assign_role(user=user, role=Role.LEARNER)
        return user

    def get_login_redirect_url(self, request):
        user = request.user
        if Role.LEARNER in user_roles(user=user):
            profile = getattr(user, "profile", None)
            if profile is None or not profile.is_complete:
                return reverse("profile")
            return reverse("courses:dashboard")
        if user_may_see_reports(user=user):
            return reverse("reports:dashboard")  # ministry officers, programme staff
        if user.has_perm("wagtailadmin.access_admin"):
            return reverse("wagtailadmin_home")  # instructors, editors
        if user.is_staff:
            return reverse("admin:index")  # the Django admin is what staff alone may open
        return "/"

    def send_password_reset_mail(self, user, email, context):
        # An account an LTI launch made signs in through its platform only: its email is the
        # platform's word, and a reset would hand it to whoever owns that address (while the
        # platform's user still opens it). The form answers as for any address.
        if user_signs_in_through_a_platform_only(user=user):
            logger.warning("accounts: no password reset for user %s (made by an LTI launch)",
                           user.pk)
            return None
        return super().send_password_reset_mail(user, email, context)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth counts an account's failures under "<the request's host>:<login>" when the
        # sites framework is not installed (it is not here): each host name the site answers
        # to would give an attacker a fresh count for the same account. The account alone.
        return credentials.get("email", credentials.get("username", "")).strip().lower()
