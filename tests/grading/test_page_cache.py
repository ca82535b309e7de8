"""The learner's page cache (``courses.page_cache``): a plain learner's module page, programme
page and "My learning" come from the cache while nothing they show has changed, never to
anyone else, and are rendered again at once after any change: a submission, its grade, an
override, an extension, an enrolment, a certificate, the profile, a role, a run, the page.

Each test changes something through the service a person would use (or the admin's ORM) and
reads the page again as the learner would."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import ModuleProgress
from courses.page_cache import PagePlan, learner_pages_changed
from courses.services.progress import module_visits_flush
from grading.services.extensions import extension_grant
from grading.services.grades import grade_override, submission_autograde
from grading.services.submissions import submission_create
from lms.accounts.models import LearnerProfile, Role
from lms.outcomes.models import OutcomeConsent
from tests.factories import UserFactory
from tests.grading.conftest import RIGHT, notebook_with

pytestmark = pytest.mark.django_db


def get(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response


def hit(response) -> bool:
    return getattr(response, "lms_page_cache_hit", False)


def warm(client: Client, url: str):
    """The first visit sets the CSRF cookie the page's forms need, the second is kept."""
    get(client, url)
    return get(client, url)


@pytest.fixture
def module_url(released_assignment):
    return released_assignment.module.url


@pytest.fixture
def signed_in(client, enrolled_learner):
    client.force_login(enrolled_learner)
    return client


def test_a_learner_rereading_a_page_gets_it_from_the_cache_with_one_query(signed_in,
                                                                           module_url):
    rendered = warm(signed_in, module_url)
    assert not hit(rendered)
    with CaptureQueriesContext(connection) as ctx:
        again = get(signed_in, module_url)
    # Then the same page, with no query but the session's user
    assert hit(again)
    assert again.content == rendered.content
    assert len(ctx.captured_queries) <= 1


def test_each_learner_gets_only_their_own_page(signed_in, module_url, released_assignment,
                                               enrolled_learner, other_learner):
    # Given the learner's page, kept, showing their submission
    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=notebook_with(RIGHT)).submission
    mine = warm(signed_in, module_url)
    assert hit(get(signed_in, module_url))
    download = reverse("grading:download", args=[submission.pk])
    assert download in mine.content.decode()
    # When another learner opens the same URL
    other = Client()
    other.force_login(other_learner)
    theirs = warm(other, module_url)
    # Then they get a page of their own, never the first learner's
    assert not hit(theirs)
    assert download not in theirs.content.decode()
    kept = get(other, module_url)
    assert hit(kept)
    assert download not in kept.content.decode()


def test_a_submission_and_its_grade_show_at_once(signed_in, module_url, released_assignment,
                                                 enrolled_learner):
    before = warm(signed_in, module_url)
    assert hit(get(signed_in, module_url))
    # When the learner submits
    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=notebook_with(RIGHT)).submission
    queued = get(signed_in, module_url)
    assert not hit(queued)
    assert queued.content != before.content
    assert hit(get(signed_in, module_url))
    # And when it is graded (by the worker, elsewhere)
    submission_autograde(submission_id=submission.pk)
    graded = get(signed_in, module_url)
    assert not hit(graded)
    assert graded.content != queued.content


def test_the_polled_panel_is_kept_until_the_grade_arrives(signed_in, released_assignment,
                                                         enrolled_learner, other_learner):
    # Given a learner whose submission waits for its grade, polling the panel as the
    # module page's script does
    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=notebook_with(RIGHT)).submission
    url = reverse("grading:panel", args=[released_assignment.key])
    pending = warm(signed_in, url)
    assert pending["X-Grading-Pending"] == "1"
    assert pending["Cache-Control"] == "no-store"
    # Then the polls are served from their cache, pending header and all, in one query
    with CaptureQueriesContext(connection) as ctx:
        again = get(signed_in, url)
    assert hit(again)
    assert again["X-Grading-Pending"] == "1"
    assert again.content == pending.content
    assert len(ctx.captured_queries) <= 1
    # And another learner's poll of the same panel is their own
    other = Client()
    other.force_login(other_learner)
    theirs = warm(other, url)
    assert theirs["X-Grading-Pending"] == "0"
    assert theirs.content != pending.content
    # When the worker stores the grade, the next poll shows it at once
    submission_autograde(submission_id=submission.pk)
    graded = get(signed_in, url)
    assert not hit(graded)
    assert graded["X-Grading-Pending"] == "0"
    assert graded.content != pending.content


def test_an_override_and_an_extension_show_at_once(signed_in, module_url, graded, instructor,
                                                   released_assignment, enrolled_learner):
    first = warm(signed_in, module_url)
    grade_override(grade=graded.grade, score=Decimal("1"), reason="late penalty",
                   actor=instructor)
    overridden = get(signed_in, module_url)
    assert not hit(overridden)
    assert overridden.content != first.content
    get(signed_in, module_url)
    extension_grant(assignment=released_assignment, learner=enrolled_learner,
                    due_at=timezone.now() + dt.timedelta(days=30), reason="illness",
                    actor=instructor)
    assert not hit(get(signed_in, module_url))


def test_an_enrolment_of_anyone_renders_the_programme_page_again(signed_in, programme, run):
    warm(signed_in, programme.url)
    assert hit(get(signed_in, programme.url))
    # When someone else enrols (one seat fewer)
    from courses.services.enrolments import enrolment_create

    enrolment_create(learner=UserFactory(), run=run)
    assert not hit(get(signed_in, programme.url))


def test_a_run_change_renders_every_page_again(signed_in, programme, run, module_url):
    warm(signed_in, programme.url)
    warm(signed_in, module_url)
    run.capacity = 31
    run.save()
    assert not hit(get(signed_in, programme.url))
    assert not hit(get(signed_in, module_url))


def test_my_learning_is_kept_and_moves_with_the_profile_and_the_visits(
        signed_in, enrolled_learner, module_url):
    url = reverse("courses:dashboard")
    warm(signed_in, url)
    assert hit(get(signed_in, url))
    LearnerProfile.objects.update_or_create(user=enrolled_learner,
                                            defaults={"region": "busan"})
    assert not hit(get(signed_in, url))
    get(signed_in, url)
    OutcomeConsent.objects.create(user=enrolled_learner, follow_up=True,
                                  follow_up_at=timezone.now())
    assert not hit(get(signed_in, url))
    # A module page served from the cache still counts as a visit
    warm(signed_in, module_url)
    served = get(signed_in, module_url)
    assert hit(served)
    first = ModuleProgress.objects.get(learner=enrolled_learner)
    module_visits_flush()
    first_seen, last_seen = first.last_viewed_at, ModuleProgress.objects.get(
        pk=first.pk).last_viewed_at
    assert last_seen > first_seen
    # and the flush's write moves the learner's pages on
    assert not hit(get(signed_in, url))


def test_a_learner_given_a_role_is_no_longer_served_from_the_cache(signed_in, module_url,
                                                                   enrolled_learner):
    warm(signed_in, module_url)
    assert hit(get(signed_in, module_url))
    enrolled_learner.groups.add(Group.objects.get_or_create(name=Role.INSTRUCTOR)[0])
    for _ in range(3):
        assert not hit(get(signed_in, module_url))


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.PROGRAMME_STAFF, Role.MINISTRY_OFFICER])
def test_staff_pages_are_never_kept(client, module_url, role):
    client.force_login(UserFactory(roles=[role]))
    for _ in range(3):
        assert not hit(get(client, module_url))


def test_a_visitor_is_never_served_from_the_cache(client, module_url):
    for _ in range(3):
        assert not hit(get(client, module_url))


def test_a_page_with_a_message_to_show_is_rendered(signed_in, programme, enrolled_learner):
    warm(signed_in, programme.url)
    assert hit(get(signed_in, programme.url))
    # Given a message for the learner after an action that changed nothing (no reason given)
    enrolment = enrolled_learner.enrolments.get()
    back = signed_in.post(reverse("courses:drop", args=[enrolment.pk]), {"reason": ""})
    assert back.status_code == 302
    # Then the page they come back to is rendered, with the message, and kept again after
    shown = get(signed_in, programme.url)
    assert not hit(shown)
    assert "message--error" in shown.content.decode()
    assert "message--error" not in get(signed_in, programme.url).content.decode()


def test_a_new_session_gets_pages_with_its_own_csrf_token(client, enrolled_learner,
                                                          module_url):
    # Given the learner's kept page in one session
    client.force_login(enrolled_learner)
    warm(client, module_url)
    assert hit(get(client, module_url))
    # When they sign in again elsewhere (a new CSRF secret)
    fresh = Client(enforce_csrf_checks=True)
    fresh.force_login(enrolled_learner)
    page = warm(fresh, module_url)
    # Then the page's forms carry a token of that session, which the site accepts
    assert not hit(page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    kept = get(fresh, module_url)
    assert hit(kept)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                      kept.content.decode()).group(1)
    logout = fresh.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert logout.status_code in (200, 302)
    assert "_auth_user_id" not in fresh.session


def test_a_change_committed_while_the_page_renders_is_not_kept(rf, enrolled_learner,
                                                               module_url):
    from django.http import HttpResponse

    request = rf.get(module_url)
    request.user = enrolled_learner
    request.session = Client().session
    request.META["CSRF_COOKIE"] = "x" * 32
    request.lms_page_cacheable = True
    plan = PagePlan(request, enrolled_learner.pk, "x" * 32)
    assert plan.lookup() is None  # the versions are read here
    learner_pages_changed(user_ids=[enrolled_learner.pk])  # a change commits meanwhile
    plan.keep(HttpResponse("old page"))
    again = PagePlan(request, enrolled_learner.pk, "x" * 32)
    assert again.lookup() is None


def test_the_cache_can_be_turned_off(signed_in, module_url, settings):
    settings.COURSES_PAGE_CACHE_SECONDS = 0
    warm(signed_in, module_url)
    assert not hit(get(signed_in, module_url))
