"""Accounts: the user (email is the login) and the learner profile the statistics need."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.validators import validate_birth_year


class Role(models.TextChoices):
    """Roles are Django groups with these names; staff and superusers are Django's own flags."""

    LEARNER = "learner", _("Learner")
    INSTRUCTOR = "instructor", _("Instructor")
    PROGRAMME_STAFF = "programme_staff", _("Programme staff")
    MINISTRY_OFFICER = "ministry_officer", _("Ministry officer")


class ParticipantStatus(models.TextChoices):
    COLLEGE_STUDENT = "college_student", _("College student")
    JOB_SEEKER = "job_seeker", _("Job seeker")
    EMPLOYED = "employed", _("Employed")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    PREFER_NOT_TO_SAY = "prefer_not_to_say", _("Prefer not to say")


class Region(models.TextChoices):
    """The 17 first-level divisions (시·도) of the Republic of Korea."""

    SEOUL = "seoul", _("Seoul")
    BUSAN = "busan", _("Busan")
    DAEGU = "daegu", _("Daegu")
    INCHEON = "incheon", _("Incheon")
    GWANGJU = "gwangju", _("Gwangju")
    DAEJEON = "daejeon", _("Daejeon")
    ULSAN = "ulsan", _("Ulsan")
    SEJONG = "sejong", _("Sejong")
    GYEONGGI = "gyeonggi", _("Gyeonggi")
    GANGWON = "gangwon", _("Gangwon")
    CHUNGBUK = "chungbuk", _("North Chungcheong")
    CHUNGNAM = "chungnam", _("South Chungcheong")
    JEONBUK = "jeonbuk", _("Jeonbuk")
    JEONNAM = "jeonnam", _("South Jeolla")
    GYEONGBUK = "gyeongbuk", _("North Gyeongsang")
    GYEONGNAM = "gyeongnam", _("South Gyeongsang")
    JEJU = "jeju", _("Jeju")


class UserManager(BaseUserManager):
    """Creates users keyed by a normalised email address."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person on the platform. The email address is the login; there is no username.

    ``full_name`` is the name as the person writes it (Korean names are not split into first
    and last); it is what certificates print. ``first_name``/``last_name`` stay for Wagtail's
    admin, which expects them.
    """

    username = None
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or " ".join(p for p in (self.first_name, self.last_name) if p)

    def get_short_name(self) -> str:
        return self.get_full_name() or self.email.split("@", 1)[0]


class LearnerProfile(models.Model):
    """What the ministry's statistics need to know about a learner, with their consent.

    Every field may be empty until the learner fills the profile; ``is_complete`` says whether
    the required ones are there. Statistics count only learners with ``stats_consent``.
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    participant_status = models.CharField(
        _("participant status"), max_length=20, choices=ParticipantStatus.choices, blank=True
    )
    ai_major = models.BooleanField(_("AI-related major"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), null=True, blank=True, validators=[validate_birth_year]
    )
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, blank=True)
    stats_consent = models.BooleanField(_("consent to statistical use"), default=False)
    stats_consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("learner profile")
        verbose_name_plural = _("learner profiles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stats_consent=False) | models.Q(stats_consent_at__isnull=False),
                name="profile_consent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_complete(self) -> bool:
        """True when every field the statistics require has an answer (gender is optional)."""
        return bool(
            self.participant_status
            and self.ai_major is not None
            and self.birth_year
            and self.region
        )
