import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from lms.accounts.models import LearnerProfile

pytestmark = pytest.mark.django_db


def test_user_model_logs_in_with_email_and_has_no_username():
    User = get_user_model()

    user = User.objects.create_user(email="Ha.Neul@EXAMPLE.com", password="pw-123456789")

    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username") or user.username is None
    assert user.email == "Ha.Neul@example.com"  # domain normalised
    assert user.check_password("pw-123456789")


def test_user_email_is_unique():
    User = get_user_model()
    User.objects.create_user(email="a@example.com", password="x")

    with pytest.raises(IntegrityError):
        User.objects.create_user(email="a@example.com", password="y")


def test_create_superuser_sets_flags():
    admin = get_user_model().objects.create_superuser(email="root@example.com", password="x")

    assert admin.is_staff
    assert admin.is_superuser


def test_full_name_is_the_display_name(user):
    user.full_name = "김하늘"

    assert user.get_full_name() == "김하늘"
    assert user.get_short_name() == "김하늘"


def test_profile_is_complete_only_with_required_answers(user):
    profile = user.profile
    assert not profile.is_complete

    profile.participant_status = "job_seeker"
    profile.ai_major = False
    profile.birth_year = 1999
    profile.region = "busan"

    assert profile.is_complete  # gender stays optional


def test_consent_without_timestamp_is_refused_by_the_database(user):
    with pytest.raises(IntegrityError):
        LearnerProfile.objects.filter(user=user).update(stats_consent=True, stats_consent_at=None)
