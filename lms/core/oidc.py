"""The site as the OpenID Connect provider of JupyterHub (django-oauth-toolkit).

(It lives in ``lms.core``, above ``courses``, because who may have a lab depends on
enrolments; ``lms.accounts`` stays the lowest app and imports no other.)

The hub is a pre-registered, trusted client (``manage.py hub_oauth_client`` creates it from
the environment, with ``skip_authorization``): a learner signed in to the site reaches their
lab without a second prompt. Its userinfo answer says who the learner is to the hub:

- ``preferred_username``: ``u<id>``, stable and safe (the hub names servers, home
  directories and containers after it; an email address would leak and could change);
- ``groups``: ``hub-users`` when the learner may use notebooks now (enrolled in a run that
  has not ended, or course staff), ``hub-admins`` for site staff. The hub admits only
  ``hub-users`` (``JUPYTERHUB_ALLOWED_GROUPS``) and makes ``hub-admins`` its admins.
"""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator

from courses.selectors import user_may_use_notebooks

HUB_USERS_GROUP = "hub-users"
HUB_ADMINS_GROUP = "hub-admins"


def hub_username(user) -> str:
    """The learner's name on the hub: derived from the id, never from the email."""
    return f"u{user.pk}"


def hub_groups(user) -> list[str]:
    """The hub's groups of ``user``. Only superusers administer the hub: its admin role may
    make a token of any learner and open, or overwrite, their lab (the notebook "Submit from
    my lab" sends); staff who only approve pages and enrolments are hub users, no more."""
    groups = []
    if user.is_superuser:
        groups += [HUB_USERS_GROUP, HUB_ADMINS_GROUP]
    elif user.is_staff or user_may_use_notebooks(user=user):
        groups.append(HUB_USERS_GROUP)
    return groups


class LmsOAuth2Validator(OAuth2Validator):
    # `groups` is not a standard claim; it comes with the `profile` scope.
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "profile"}

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": hub_username(user),
            "name": user.get_full_name() or user.email,
            "email": user.email,
            "groups": hub_groups(user),
        }
