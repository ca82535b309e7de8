"""Writes about users, profiles and roles."""

import logging

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from lms.accounts.models import LearnerProfile, Role, User
from lms.reports.aggregates import statistics_refresh_on_commit

logger = logging.getLogger(__name__)


def role_group(*, role: Role) -> Group:
    """The group that carries a role (created by a migration; recreated if deleted)."""
    group, _ = Group.objects.get_or_create(name=role.value)
    return group


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    roles: tuple[Role, ...] = (Role.LEARNER,),
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a user with a (blank) learner profile and the given roles."""
    user = User.objects.create_user(
        email=email,
        password=password,
        full_name=full_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    profile_ensure(user=user)
    for role in roles:
        user_assign_role(user=user, role=role)
    return user


def profile_ensure(*, user: User) -> LearnerProfile:
    """The user's profile, created blank when missing."""
    profile, _ = LearnerProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(
    *,
    user: User,
    full_name: str,
    participant_status: str,
    ai_major: bool | None,
    gender: str,
    birth_year: int | None,
    region: str,
    stats_consent: bool,
) -> LearnerProfile:
    """Save the learner's profile; consent records when it was given and clears when withdrawn."""
    profile = LearnerProfile.objects.select_for_update().get(pk=profile_ensure(user=user).pk)
    if user.full_name != full_name:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    profile.participant_status = participant_status
    profile.ai_major = ai_major
    profile.gender = gender
    profile.birth_year = birth_year
    profile.region = region
    if stats_consent and not profile.stats_consent:
        profile.stats_consent_at = timezone.now()
        logger.info("user %s consented to statistical use", user.pk)
    elif not stats_consent and profile.stats_consent:
        profile.stats_consent_at = None
        logger.info("user %s withdrew consent to statistical use", user.pk)
    profile.stats_consent = stats_consent
    profile.full_clean()
    profile.save()
    # The breakdowns read the answers of every enrolment of the learner.
    statistics_refresh_on_commit(learner_ids=[user.pk])
    return profile


def user_assign_role(*, user: User, role: Role) -> None:
    """Give a user a role (idempotent)."""
    user.groups.add(role_group(role=role))
    user.__dict__.pop("_lms_roles", None)
    user.__dict__.pop("_lms_group_names", None)


def user_remove_role(*, user: User, role: Role) -> None:
    """Take a role away from a user (idempotent)."""
    user.groups.remove(role_group(role=role))
    user.__dict__.pop("_lms_roles", None)
    user.__dict__.pop("_lms_group_names", None)


def hub_oauth_client_ensure(*, client_id: str, client_secret: str, redirect_uri: str):
    """The hub's OAuth client at this site's provider, created or brought up to date.

    Confidential, authorization-code with PKCE, RS256 ID tokens, and ``skip_authorization``:
    the hub is part of the platform, so learners are not asked to "allow" it.
    """
    from oauth2_provider.models import get_application_model

    if not client_id or not client_secret:
        raise ValueError("LMS_OAUTH_CLIENT_ID and LMS_OAUTH_CLIENT_SECRET must be set")
    application_model = get_application_model()
    application, _created = application_model.objects.get_or_create(
        client_id=client_id, defaults={"name": "JupyterHub"})
    application.name = "JupyterHub"
    application.client_secret = client_secret  # hashed on save
    application.client_type = application_model.CLIENT_CONFIDENTIAL
    application.authorization_grant_type = application_model.GRANT_AUTHORIZATION_CODE
    application.redirect_uris = redirect_uri
    application.skip_authorization = True
    application.algorithm = application_model.RS256_ALGORITHM
    application.save()
    return application
