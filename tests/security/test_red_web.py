"""Red-team pass against the running demo (web, hub, statistics): failing reproducers.

Each test states what an attacker did on the demo (``make demo``) and fails while the hole is
open. See the report of the red-team pass for the commands used against the live site.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from courses.models import Enrolment
from lms.accounts.models import LearnerProfile, Role
from lms.reports.exports import report_tables
from tests.accounts.test_oidc import hub_client, sign_in_through_the_hub  # noqa: F401
from tests.factories import UserFactory
from tests.lti.conftest import platform, registration, tool_key  # noqa: F401
from tests.test_deployment_files import _hub_config

# --- JupyterHub: who is the hub's admin, and what a learner's lab may read ------------------


@pytest.mark.django_db
def test_red_programme_staff_are_not_full_jupyterhub_admins(client, hub_client):  # noqa: F811
    """Demo: staff@aimd.example (programme staff, seeded with ``is_staff``) signs in to the hub
    and is in ``hub-admins``, i.e. JupyterHub's built-in ``admin`` role ("can do anything"):
    ``POST /hub/api/users/u1/tokens`` made a token of the learner u1, with which
    ``GET /user/u1/api/contents/...`` listed (and could overwrite) the learner's lab, the
    notebook that "Submit from my lab" then sends for grading. Programme staff approve
    enrolments and pages; they should not impersonate learners on the hub."""
    staff = UserFactory(roles=[Role.PROGRAMME_STAFF], is_staff=True)  # as seed_demo makes it

    claims = sign_in_through_the_hub(client, staff)

    assert "hub-admins" not in claims["groups"]


def test_red_learners_labs_do_not_run_as_the_hubs_own_user(tmp_path):
    """Demo (``make demo``: OAuth against the site, the default ``local`` spawner): a learner
    who pressed "Open in JupyterLab" ran in a notebook cell
    ``open('/work/wt-web/var/demo.env').read()`` and listed ``var/private/grading`` (the
    instructors' sources with solutions and hidden tests, every learner's submission), as
    uid 0: the lab is a process of the hub's own user, with the site's files and database.
    The same config (no JUPYTERHUB_SPAWNER set) is what a deployment gets by default."""
    config = _hub_config(tmp_path, LMS_OAUTH_CLIENT_ID="aimd-demo-hub",
                         LMS_OAUTH_CLIENT_SECRET="s3cret", LMS_BASE_URL="http://localhost:8000")

    assert config["JupyterHub"]["spawner_class"] != (
        "jupyterhub.spawner.SimpleLocalProcessSpawner")
    assert "--allow-root" not in (config.get("Spawner", {}).get("args") or [])


# --- Statistics: a run's small count that the dashboard hides is public elsewhere ------------


def _enrolled(run, n: int) -> None:
    for _ in range(n):
        user = UserFactory()
        LearnerProfile.objects.update_or_create(user=user, defaults={
            "stats_consent": True, "stats_consent_at": timezone.now()})
        Enrolment.objects.create(learner=user, run=run, status="enrolled",
                                 enrolled_at=timezone.now())


@pytest.mark.django_db
def test_red_public_seats_left_give_back_a_run_count_the_ministry_dashboard_hides(
        client, programme, run):
    """Demo: the ministry's CSV (``/ko/reports/export.csv?year=2026``) shows run 4's
    applicants and enrolments as "x" (2 learners), while anyone, signed in or not, reads
    "448 of 450" seats left on ``/en/industrial-ai/``: the exact count, and each enrolment or
    drop as it happens. The suppression of small run counts is undone by the catalogue."""
    run.capacity = 457  # a number that no date on the page contains
    run.save(update_fields=["capacity"])
    _enrolled(run, 2)

    funnel = next(t for t in report_tables(year=run.year) if t.key == "funnel")
    assert funnel.rows[0][3] == "x"  # enrolled: hidden from the ministry

    html = client.get(programme.url).content.decode()
    table = re.search(r'<table class="table runs">.*?</table>', html, re.S).group(0)
    assert "455" not in table  # capacity - 2: the hidden count, published


# --- Hidden data files: only the tests may read them --------------------------------------


@pytest.mark.django_db
def test_red_demo_hidden_data_files_are_not_public_documents(client, settings, tmp_path):
    """Demo: pm-classifier's hidden file ``bearing_health_holdout.csv`` (the held-out month
    with its labels, ``fails_within_7d``: "never given to learners or to their code") is
    also seeded as a public Wagtail document by ``courses.demo._documents`` (every CSV of
    ``courses/demo_content/data``). Anyone, not signed in, downloaded the same bytes
    (same SHA-256 as the hidden AssignmentDataFile) with
    ``curl http://localhost:8000/documents/2/bearing_health_holdout.csv`` (and
    ``/media/documents/bearing_health_holdout.csv``), i.e. the answers of the hidden test."""
    from wagtail.documents import get_document_model

    from courses.demo import _documents
    from grading.demo import DEMO_HIDDEN_FILES

    settings.MEDIA_ROOT = str(tmp_path)  # not the work tree's var/media
    ids = _documents()
    hidden = {name for names in DEMO_HIDDEN_FILES.values() for name in names}
    leaked = []
    for name in sorted(hidden & set(ids)):
        document = get_document_model().objects.get(pk=ids[name])
        response = client.get(document.url)
        if response.status_code == 200:
            leaked.append(name)
    assert leaked == []


# --- LTI: "an account with rights beyond its own learning is never signed in through a
# platform" -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PROGRAMME_STAFF, Role.INSTRUCTOR, "staff"])
def test_red_an_account_linked_before_it_got_rights_is_not_signed_in_by_a_platform(
        client, platform, registration, assignment_module, assignment, run, role):  # noqa: F811
    """``lms.lti.services._account`` refuses a platform's launch into a privileged account
    only while the platform identity is not yet linked: once linked (the account made by a
    first launch as a learner, or linked by the emailed link), ``lti_user.auth_user`` is
    returned as it is. An account promoted afterwards (programme staff, instructor, Django
    staff) is then signed in on the platform's word alone, with those rights."""
    from lms.accounts.models import User
    from lms.accounts.services import user_assign_role
    from tests.lti.conftest import LEARNER, LaunchSpec, launch, signed_in_user_id

    spec = LaunchSpec(sub="s-promoted", roles=[LEARNER], email="later@univ.ac.kr",
                      custom={"lms_page": str(assignment_module.pk),
                              "lms_assignment": assignment.key})
    launch(client, platform, "a", spec)
    user = User.objects.get(pk=signed_in_user_id(client))
    if role == "staff":
        User.objects.filter(pk=user.pk).update(is_staff=True)
    else:
        user_assign_role(user=user, role=role)

    client.cookies.clear()  # another browser: the platform launches the same person again
    launch(client, platform, "b", spec)

    assert signed_in_user_id(client) != user.pk
