"""Synthetic learners: consistent data (certificates exactly for completed enrolments, proper
serials), reproducible with a seed, removable, and never made by accident in production."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from courses.models import Enrolment, ProgrammeRun
from lms.accounts.models import LearnerProfile, Role, User
from lms.certificates.models import Certificate, CertificateSerial
from lms.reports.synthetic import SYNTHETIC_DOMAIN, synthetic_users
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_synthetic", "--force", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    """What the generator decided, without ids, serials or codes."""
    return sorted(Enrolment.objects.filter(learner__in=synthetic_users()).values_list(
        "learner__email", "learner__full_name", "learner__profile__participant_status",
        "learner__profile__ai_major", "learner__profile__gender",
        "learner__profile__birth_year", "learner__profile__region",
        "learner__profile__stats_consent", "run__number", "status", "applied_at"))


def test_learners_enrolments_and_certificates_are_consistent(run):
    finished = ProgrammeRun.objects.filter(pk=run.pk)
    finished.update(starts_on=run.starts_on.replace(year=run.year - 1),
                    ends_on=run.starts_on.replace(year=run.year - 1))  # so some complete

    output = generate("--learners", "300", "--year", str(run.year), "--seed", "4",
                      "--batch-size", "120")

    assert "300 synthetic learners" in output
    users = synthetic_users()
    assert users.count() == 300
    assert all(not u.has_usable_password() for u in users[:20])
    assert LearnerProfile.objects.filter(user__in=users).count() == 300
    assert User.groups.through.objects.filter(user__in=users,
                                              group__name=Role.LEARNER).count() == 300
    enrolments = Enrolment.objects.filter(learner__in=users)
    assert enrolments.count() == 300
    completed = set(enrolments.filter(status="completed").values_list("pk", flat=True))
    certificates = Certificate.objects.filter(enrolment__learner__in=users)
    assert completed
    assert set(certificates.values_list("enrolment_id", flat=True)) == completed
    serials = list(certificates.values_list("serial", flat=True))
    assert len(set(serials)) == len(serials)
    assert all(re.fullmatch(rf"AIMD-{run.year}-\d{{6}}", s) for s in serials)
    assert CertificateSerial.objects.get(year=run.year).last == len(serials)
    assert not enrolments.filter(status="dropped", drop_reason="").exists()
    consenting = LearnerProfile.objects.filter(user__in=users, stats_consent=True).count()
    assert 240 < consenting < 300  # most, not all


def test_serials_continue_after_real_certificates(run):
    CertificateSerial.objects.create(year=run.year, last=41)
    ProgrammeRun.objects.filter(pk=run.pk).update(
        starts_on=run.starts_on.replace(year=run.year - 1),
        ends_on=run.starts_on.replace(year=run.year - 1))

    generate("--learners", "50", "--year", str(run.year))

    first = Certificate.objects.order_by("serial").first()
    assert first.serial == f"AIMD-{run.year}-000042"


def test_missing_runs_are_created_for_the_years(programme):
    output = generate("--learners", "10", "--year", "2024", "--runs-per-year", "2",
                      "--enrolments-per-learner", "2")

    runs = ProgrammeRun.objects.filter(programme=programme, year=2024)
    assert runs.count() == 2
    assert output.count("Created run") == 2
    assert all(r.capacity == 450 for r in runs)
    assert Enrolment.objects.filter(learner__in=synthetic_users()).count() == 20


def test_the_same_seed_gives_the_same_people(run):
    generate("--learners", "40", "--year", str(run.year), "--seed", "9")
    first = snapshot()
    generate("--delete")
    generate("--learners", "40", "--year", str(run.year), "--seed", "9")

    assert snapshot() == first
    assert len(first) == 40


def test_a_second_run_adds_new_people(run):
    generate("--learners", "30", "--year", str(run.year), "--seed", "1")
    generate("--learners", "30", "--year", str(run.year), "--seed", "1")

    assert synthetic_users().count() == 60


def test_delete_removes_only_synthetic_learners(run, learner):
    generate("--learners", "60", "--year", str(run.year))
    real = UserFactory()
    Enrolment.objects.create(learner=real, run=run, status="enrolled")

    output = generate("--delete")

    assert "60 synthetic learners removed" in output
    assert not User.objects.filter(email__endswith=SYNTHETIC_DOMAIN).exists()
    assert Enrolment.objects.filter(learner=real).exists()
    assert User.objects.filter(pk=learner.pk).exists()
    assert LearnerProfile.objects.filter(user=real).exists()


def test_refuses_without_debug(settings, run):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("generate_synthetic", "--learners", "5")
    assert not synthetic_users().exists()


def test_refuses_without_a_programme(db):
    with pytest.raises(CommandError, match="seed_demo"):
        generate("--learners", "5")


def test_more_enrolments_than_runs_is_an_error(run):
    with pytest.raises(CommandError, match="runs per year"):
        generate("--learners", "5", "--year", str(run.year), "--enrolments-per-learner", "3")
