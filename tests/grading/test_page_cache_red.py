"""The learners' page cache (``courses.page_cache``) attacked: what it must never do.

Each test reads a page as the learner would (twice, so that the second comes from the
cache), makes a change the way the product makes it, and reads the page again; or takes the
cache away and makes a change a learner depends on (a submission, a grade)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import PageViewRestriction

from courses import page_cache
from courses.checks import page_cache_shared_check
from courses.models import Enrolment, ModuleProgress, ProgrammeRun
from courses.page_cache import learner_pages_changed
from courses.services.enrolments import (
    enrolment_create,
    enrolment_drop,
    enrolments_bulk_create,
)
from grading.models import AssignmentDataFile, Extension, Grade, Submission
from grading.services.assignments import assignment_release_request, data_file_add
from grading.services.extensions import extension_grant
from grading.services.grades import grade_manual_set, submission_autograde
from grading.services.submissions import regrade_request, submission_create
from lms.certificates.models import Certificate
from lms.certificates.services import certificate_name_visibility_set, certificate_revoke
from lms.lti.middleware import LTI_SESSION_KEY
from lms.reports.synthetic import synthetic_delete, synthetic_generate
from tests.courses.learner_side import profile_complete
from tests.factories import UserFactory
from tests.grading.conftest import RIGHT, notebook_with
from tests.grading.test_page_cache import get, hit, warm

pytestmark = pytest.mark.django_db


@pytest.fixture
def module_url(released_assignment):
    return released_assignment.module.url


@pytest.fixture
def signed_in(client, enrolled_learner):
    client.force_login(enrolled_learner)
    return client

# A Redis that is not there (port 1 refuses at once): the production cache, unreachable.
UNREACHABLE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                           "LOCATION": "redis://127.0.0.1:1/0"}}


@pytest.fixture
def cache_down(settings):
    """The default cache unreachable for the test (the settings fixture puts it back)."""
    settings.CACHES = UNREACHABLE


# --- The cache is a cache: its outage never costs a learner's submission or grade ----------


def test_a_submission_is_stored_while_the_cache_is_unreachable(released_assignment,
                                                               enrolled_learner, cache_down):
    # Given the shared cache down (a Redis restart during a deadline rush)
    # When the learner submits
    outcome = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                data=notebook_with(RIGHT))
    # Then the submission is stored, as it was before pages were cached
    assert Submission.objects.filter(pk=outcome.submission.pk).exists()


def test_a_grade_is_stored_by_the_worker_while_the_cache_is_unreachable(
        released_assignment, enrolled_learner, settings):
    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=notebook_with(RIGHT)).submission
    settings.CACHES = UNREACHABLE
    submission_autograde(submission_id=submission.pk)
    assert Grade.objects.filter(submission=submission).exists()


def test_a_failed_bump_never_breaks_the_transaction_or_its_other_callbacks(
        enrolled_learner, cache_down, django_capture_on_commit_callbacks):
    # (grading's enqueue, say, is registered on commit after the page cache's bump)
    done = []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        learner_pages_changed(user_ids=[enrolled_learner.pk])
        transaction.on_commit(lambda: done.append(True))
    assert done == [True]
    assert ModuleProgress.objects.count() == 0  # (nothing else was written)


def test_a_page_is_rendered_when_the_page_cache_cannot_be_read(client, enrolled_learner,
                                                               released_assignment,
                                                               monkeypatch):
    url = released_assignment.module.url
    client.force_login(enrolled_learner)
    warm(client, url)
    assert hit(get(client, url))

    # When the page cache's reads and writes fail (the tree's cache still answers)
    class Unreachable:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("cache unreachable")
            return fail

    monkeypatch.setattr(page_cache, "cache", Unreachable())
    # Then the page is rendered, not a server error
    page = get(client, url)
    assert not hit(page)
    assert 'class="assignment__submit"' in page.content.decode()


# --- Writes without save(): every one moves the versions on ---------------------------------


def _seats_left(page) -> str:
    return _seats_left_of(page.content.decode())


def _seats_left_of(html: str) -> str:
    """Whether the run has seats left, as its row says (Korean, the site's language): the
    page never says how many (that would be the run's enrolment)."""
    if "정원 마감" in html:
        return "full"
    assert "자리 있음" in html
    return "available"


def test_synthetic_learners_loaded_into_a_run_show_in_its_seats_at_once(client,
                                                                        enrolled_learner,
                                                                        programme, run):
    run.capacity = 6  # the learner and the five below fill it
    run.save(update_fields=["capacity"])
    client.force_login(enrolled_learner)
    before = warm(client, programme.url)
    assert hit(get(client, programme.url))
    # When synthetic learners are loaded (COPY: no save(), no signal) into the open run
    summary = synthetic_generate(learners=5, years=[run.year], seed=1)
    assert summary.enrolments == 5
    # Then the seats left are counted again on the learner's next visit
    after = get(client, programme.url)
    assert not hit(after)
    assert _seats_left(after) != _seats_left(before)
    get(client, programme.url)
    # And so when they are removed again (raw DELETE)
    synthetic_delete()
    again = get(client, programme.url)
    assert not hit(again)
    assert _seats_left(again) == _seats_left(before)


# --- Nobody ever gets a page rendered for someone else --------------------------------------


def test_another_person_signing_in_in_the_same_browser_never_gets_the_first_ones_page(
        client, enrolled_learner, other_learner, released_assignment):
    url = released_assignment.module.url
    mine = submission_create(assignment=released_assignment, learner=enrolled_learner,
                             data=notebook_with(RIGHT)).submission
    client.force_login(enrolled_learner)
    warm(client, url)
    assert hit(get(client, url))
    secret = client.cookies["csrftoken"].value
    # When they sign out and another learner signs in in the same browser (the same CSRF
    # cookie: nothing but the person differs)
    client.post(reverse("account_logout"))
    client.force_login(other_learner)
    client.cookies["csrftoken"] = secret
    theirs = get(client, url)
    # Then the page is rendered for the second learner, and kept for them alone
    assert not hit(theirs)
    assert reverse("grading:download", args=[mine.pk]) not in theirs.content.decode()
    get(client, url)  # (their first visit of the module moved their version on)
    kept = get(client, url)
    assert hit(kept)
    assert reverse("grading:download", args=[mine.pk]) not in kept.content.decode()


def test_an_enrolled_instructor_and_a_learner_made_staff_are_never_served_kept_pages(
        client, enrolled_learner, released_assignment, instructor, run):
    url = released_assignment.module.url
    # An instructor enrolled in the run as a learner: never kept
    enrolment_create(learner=instructor, run=run)
    client.force_login(instructor)
    for _ in range(3):
        assert not hit(get(client, url))
    # A learner whose pages were kept, then made staff by a bare update (no signal)
    other = Client()
    other.force_login(enrolled_learner)
    warm(other, url)
    assert hit(get(other, url))
    type(enrolled_learner).objects.filter(pk=enrolled_learner.pk).update(is_staff=True)
    assert not hit(get(other, url))


def test_each_language_of_my_learning_is_kept_and_served_in_its_own(client,
                                                                      enrolled_learner):
    urls = {}
    for code in ("ko", "en"):
        with translation.override(code):
            urls[code] = reverse("courses:dashboard")
    client.force_login(enrolled_learner)
    for url in urls.values():
        warm(client, url)
    for _ in range(2):
        for code, url in urls.items():
            page = get(client, url)
            assert hit(page)
            assert f'<html lang="{code}">' in page.content.decode()


# --- Every process shares the versions ------------------------------------------------------


def test_the_deploy_check_warns_when_the_page_cache_is_kept_in_each_process(settings):
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [w.id for w in page_cache_shared_check()] == ["courses.W001"]
    settings.COURSES_PAGE_CACHE_SECONDS = 0
    assert page_cache_shared_check() == []


@pytest.mark.parametrize("backend", ["django.core.cache.backends.redis.RedisCache",
                                     "django.core.cache.backends.filebased.FileBasedCache"])
def test_a_cache_shared_by_the_processes_passes_the_deploy_check(settings, backend,
                                                                  tmp_path):
    # Production's Redis; the demo's file cache, one directory for its web, worker and beat
    # (lms/core/management/commands/demo_env.py)
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:6379/10"
                                   if "redis" in backend else str(tmp_path)}}
    assert page_cache_shared_check() == []


def test_the_demo_runs_its_processes_on_one_file_cache():
    from lms.core.management.commands.demo_env import TEMPLATE

    assert "CACHE_URL=filecache://{cache}" in TEMPLATE


# --- What a learner can make the cache hold -------------------------------------------------


def test_a_page_asked_for_with_a_query_string_is_rendered_and_never_kept(client,
                                                                        enrolled_learner,
                                                                        module_url):
    # None of the learners' pages reads a query string; kept, each different one would be an
    # entry of its own, and a learner could fill the shared cache by varying it.
    client.force_login(enrolled_learner)
    warm(client, module_url)
    kept_before = len(_entries())
    for n in range(5):
        for _ in range(2):
            assert not hit(get(client, f"{module_url}?n={n}"))
    assert len(_entries()) == kept_before
    assert hit(get(client, module_url))


def _entries() -> list[str]:
    from django.core.cache import cache

    return [key for key in cache._cache if f"{page_cache.KEY_PREFIX}:entry:" in key]


# --- Time: a kept page may show a window that has just closed; the action never follows it -


def test_an_enrol_button_kept_past_the_window_is_refused_by_the_service(client, learner,
                                                                        programme, run):
    profile_complete(learner)
    client.force_login(learner)
    page = warm(client, programme.url)
    assert reverse("courses:enrol", args=[run.pk]) in page.content.decode()
    assert hit(get(client, programme.url))
    # When the window closes (time passing: nothing is saved, no version moves)
    ProgrammeRun.objects.filter(pk=run.pk).update(
        enrolment_closes_at=timezone.now() - dt.timedelta(seconds=1))
    kept = get(client, programme.url)
    assert hit(kept)  # (within COURSES_PAGE_CACHE_SECONDS: accepted)
    # Then the button the kept page still shows enrols nobody
    client.post(reverse("courses:enrol", args=[run.pk]))
    assert not Enrolment.objects.filter(learner=learner).exists()
    # And the refusal's message comes with a page rendered afresh, showing the window closed
    after = get(client, programme.url)
    assert not hit(after)
    assert reverse("courses:enrol", args=[run.pk]) not in after.content.decode()


# --- Every way the product changes what a learner's page shows moves it on ------------------


def _moves_on(client, url, change) -> tuple[str, str]:
    """The page before (kept) and after ``change``: rendered afresh."""
    before = warm(client, url)
    assert hit(get(client, url))
    change()
    after = get(client, url)
    assert not hit(after)
    return before.content.decode(), after.content.decode()


def test_a_regrade_and_a_hand_graded_cell_show_at_once(signed_in, module_url, graded,
                                                       instructor):
    before, after = _moves_on(signed_in, module_url, lambda: regrade_request(
        submissions=Submission.objects.filter(pk=graded.pk), actor=instructor))
    assert "spinner" in after
    assert "spinner" not in before
    submission_autograde(submission_id=graded.pk)
    grade = Grade.objects.get(submission=graded)
    before, after = _moves_on(signed_in, module_url, lambda: grade_manual_set(
        grade=grade, grade_id="why", score=Decimal("1"), actor=instructor))
    assert before != after


def test_data_files_and_a_release_check_show_at_once(signed_in, module_url,
                                                     released_assignment):
    before, after = _moves_on(signed_in, module_url, lambda: data_file_add(
        assignment=released_assignment, name="sensors.csv", data=b"t,v\n1,2\n"))
    assert "sensors.csv" in after
    assert "sensors.csv" not in before
    _moves_on(signed_in, module_url,
              lambda: assignment_release_request(assignment=released_assignment))
    before, after = _moves_on(signed_in, module_url,
                              lambda: AssignmentDataFile.objects.filter(
                                  name="sensors.csv").delete())
    assert "sensors.csv" in before
    assert "sensors.csv" not in after


def test_an_extension_revoked_shows_at_once(signed_in, module_url, released_assignment,
                                            enrolled_learner, instructor):
    extension_grant(assignment=released_assignment, learner=enrolled_learner,
                    due_at=timezone.now() + dt.timedelta(days=40), reason="illness",
                    actor=instructor)
    before, after = _moves_on(signed_in, module_url,
                              lambda: Extension.objects.filter(
                                  learner=enrolled_learner).delete())
    assert before != after


def test_a_bulk_enrolment_and_a_staff_drop_show_at_once(signed_in, programme, run,
                                                        enrolled_learner):
    run.capacity = 2  # the learner and the one enrolled below fill it
    run.save(update_fields=["capacity"])
    other = UserFactory()
    before, after = _moves_on(signed_in, programme.url, lambda: enrolments_bulk_create(
        run=run, data=f"email\n{other.email}\n".encode()))
    assert _seats_left_of(before) != _seats_left_of(after)
    dashboard = reverse("courses:dashboard")
    before, after = _moves_on(signed_in, dashboard, lambda: enrolment_drop(
        enrolment=enrolled_learner.enrolments.get(), reason="moved abroad"))
    assert before != after


def test_a_certificate_revoked_or_its_name_shown_shows_at_once(signed_in, enrolled_learner,
                                                               run, programme_staff):
    certificate = Certificate.objects.create(
        enrolment=enrolled_learner.enrolments.get(run=run), serial=f"AIMD-{run.year}-000042",
        holder_name="김하늘", programme_title="제조 AI 기초 과정",
        programme_title_en="AI for Manufacturing", hours=120, issued_at=timezone.now())
    dashboard = reverse("courses:dashboard")
    before, after = _moves_on(signed_in, dashboard, lambda: certificate_name_visibility_set(
        certificate=certificate, learner=enrolled_learner, show=True))
    assert "김하늘" in after
    assert "김하늘" not in before
    before, after = _moves_on(signed_in, dashboard, lambda: certificate_revoke(
        certificate=certificate, reason="copied work", actor=programme_staff))
    assert reverse("certificates:pdf", args=[certificate.serial]) in before
    assert reverse("certificates:pdf", args=[certificate.serial]) not in after


def test_a_group_given_the_admin_shows_its_learners_the_admin_link_at_once(signed_in,
                                                                          enrolled_learner):
    # Given a learner in a group of Wagtail's (not a role: their pages are kept) that may not
    # enter the admin yet
    editors = Group.objects.create(name="Reviewers")
    enrolled_learner.groups.add(editors)
    dashboard = reverse("courses:dashboard")
    admin_link = f'href="{reverse("wagtailadmin_home")}"'
    # When the group is given the admin (the admin's group form: its permissions set)
    before, after = _moves_on(signed_in, dashboard, lambda: editors.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin",
                               codename="access_admin")))
    # Then the learner's header offers it at once
    assert admin_link not in before
    assert admin_link in after
    # And likewise when it is taken from the group, and given to the learner alone
    access = Permission.objects.get(content_type__app_label="wagtailadmin",
                                    codename="access_admin")
    before, after = _moves_on(signed_in, dashboard, lambda: editors.permissions.clear())
    assert admin_link not in after
    before, after = _moves_on(signed_in, dashboard,
                              lambda: enrolled_learner.user_permissions.add(access))
    assert admin_link in after


def test_a_group_deleted_takes_its_admin_link_from_its_learners_at_once(signed_in,
                                                                       enrolled_learner):
    reviewers = Group.objects.create(name="Reviewers")
    reviewers.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                     codename="access_admin"))
    enrolled_learner.groups.add(reviewers)
    admin_link = f'href="{reverse("wagtailadmin_home")}"'
    # (the memberships go with the group: no m2m signal)
    before, after = _moves_on(signed_in, reverse("courses:dashboard"), reviewers.delete)
    assert admin_link in before
    assert admin_link not in after


def test_a_page_kept_in_a_launched_frame_is_framed_only_there(client, enrolled_learner,
                                                               module_url, settings):
    platform = "https://lms.univ.example.kr"
    # Given the learner's session started by a launch (its own cookie), and their own
    # session at the top level of the same browser, with the same CSRF cookie (a browser
    # that does not partition cookies): the same key in the page cache
    client.force_login(enrolled_learner)
    top = Client()
    top.force_login(enrolled_learner)  # (signing in moves the learner's version on)
    framed = client.session
    framed[LTI_SESSION_KEY] = {"origins": [platform], "registration": 1}
    framed.save()
    client.cookies[settings.LTI_SESSION_COOKIE_NAME] = framed.session_key
    warm(client, module_url)
    in_frame = get(client, module_url)
    assert hit(in_frame)
    top.cookies["csrftoken"] = client.cookies["csrftoken"].value
    at_top = get(top, module_url)
    assert hit(at_top)  # the page kept in the frame
    # Then each is framed as its session says: by the platform in the frame, by nobody at
    # the top
    assert f"frame-ancestors {platform}" in in_frame["Content-Security-Policy"]
    assert "X-Frame-Options" not in in_frame
    assert "frame-ancestors 'none'" in at_top["Content-Security-Policy"]
    assert at_top["X-Frame-Options"] == "DENY"


def test_a_change_rolled_back_costs_one_render_and_shows_nothing(signed_in, module_url,
                                                                 released_assignment,
                                                                 enrolled_learner, instructor):
    kept = warm(signed_in, module_url)
    assert hit(get(signed_in, module_url))

    class Abandoned(Exception):
        pass

    def grant_then_fail() -> None:
        with transaction.atomic():
            extension_grant(assignment=released_assignment, learner=enrolled_learner,
                            due_at=timezone.now() + dt.timedelta(days=30), reason="illness",
                            actor=instructor)
            raise Abandoned

    # When an extension is granted in a transaction that then rolls back
    with pytest.raises(Abandoned):
        grant_then_fail()
    # Then the page is rendered once more (the version moved when the change was made), the
    # same as before but for its forms' masked CSRF token, and kept again
    again = get(signed_in, module_url)
    assert not hit(again)
    assert _unmasked(again.content) == _unmasked(kept.content)
    assert hit(get(signed_in, module_url))


def _unmasked(content: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


def test_a_view_restriction_added_above_a_kept_page_is_enforced_at_once(signed_in,
                                                                        module_url,
                                                                        programme):
    warm(signed_in, module_url)
    assert hit(get(signed_in, module_url))
    # When the programme is restricted to a group the learner is not in
    restriction = PageViewRestriction.objects.create(
        page=programme, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.set([Group.objects.create(name="Pilot cohort")])
    # Then the module page under it is refused, never served from the cache
    refused = signed_in.get(module_url)
    assert refused.status_code != 200
    assert not hit(refused)
