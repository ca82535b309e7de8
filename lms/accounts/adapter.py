"""allauth hooks: new accounts get a profile and the learner role; incomplete profiles are
asked for after login."""

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from lms.accounts.models import Role
from lms.accounts.services import profile_ensure, user_assign_role


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            profile_ensure(user=user)
            user_assign_role(user=user, role=Role.LEARNER)
        return user

    def get_login_redirect_url(self, request):
        profile = getattr(request.user, "profile", None)
        if profile is None or not profile.is_complete:
            return reverse("profile")
        return super().get_login_redirect_url(request)
