"""Every admin view of one assignment or enrolment follows the rule of its listing: an
assignment belongs to the instructors of its course (and programme staff), an enrolment to the
instructors of its programme (and programme staff). Wagtail narrows only the listing; the
other views (edit, delete, history, usage, and whatever Wagtail adds with a ``pk`` in the URL),
the chooser and the bulk delete go through ``courses.admin_views.ScopedSnippetViewSet``."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from wagtail.log_actions import log

from courses.models import ProgrammeRun
from grading.models import Assignment
from lms.accounts.models import Role
from tests.courses.factories import course_create, programme_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TITLE = "Secret squares 7f3a"


@pytest.fixture
def outsider(catalogue):
    """An instructor of a course in another programme."""
    user = UserFactory(roles=[Role.INSTRUCTOR])
    programme = programme_create(parent=catalogue, title="품질 AI", slug="quality-ai")
    course_create(parent=programme, title="비전 검사", slug="vision", instructors=[user])
    return user


@pytest.fixture
def titled(assignment, instructor):
    assignment.title = TITLE
    assignment.save(update_fields=["title"])
    log(instance=assignment, action="wagtail.edit", user=instructor)
    return assignment


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def object_urls(namespace: str, pk: int) -> dict[str, str]:
    """Every URL of the snippet's viewset that names one object, by URL name."""
    _, viewset_urls = get_resolver().namespace_dict[namespace]
    urls = {}
    for pattern in viewset_urls.url_patterns:
        if isinstance(pattern, URLPattern) and "pk" in pattern.pattern.regex.groupindex:
            kwargs = {name: pk if name == "pk" else 1 for name in pattern.pattern.regex.groupindex}
            urls[pattern.name] = reverse(f"{namespace}:{pattern.name}", kwargs=kwargs)
    return urls


ASSIGNMENT_NS = "wagtailsnippets_grading_assignment"
ENROLMENT_NS = "wagtailsnippets_courses_enrolment"


def test_the_url_walk_finds_the_object_views(titled):
    names = set(object_urls(ASSIGNMENT_NS, titled.pk))

    assert {"edit", "delete", "usage", "history", "history_results"} <= names


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_object_view_of_another_courses_assignment_is_refused(method, titled,
                                                                   other_instructor):
    client = _client(other_instructor)
    answers = {}
    for name, url in object_urls(ASSIGNMENT_NS, titled.pk).items():
        response = getattr(client, method)(url)
        answers[name] = (response.status_code, TITLE in response.content.decode())

    assert answers == dict.fromkeys(answers, (403, False))
    assert Assignment.objects.filter(pk=titled.pk, title=TITLE).exists()


@pytest.mark.parametrize("name", ["edit", "usage", "history", "history_results"])
def test_the_courses_instructor_still_opens_them(name, titled, instructor):
    response = _client(instructor).get(object_urls(ASSIGNMENT_NS, titled.pk)[name])

    assert response.status_code == 200


def test_the_history_shows_who_edited_only_to_the_course(titled, instructor, other_instructor):
    url = object_urls(ASSIGNMENT_NS, titled.pk)["history"]

    own = _client(instructor).get(url).content.decode()
    other = _client(other_instructor).get(url)

    assert instructor.email in own or instructor.full_name in own
    assert other.status_code == 403
    assert instructor.email not in other.content.decode()
    assert instructor.full_name not in other.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_object_view_of_another_programmes_enrolment_is_refused(method, run,
                                                                     enrolled_learner,
                                                                     outsider):
    enrolment = enrolled_learner.enrolments.get(run=run)
    client = _client(outsider)
    answers = {}
    for name, url in object_urls(ENROLMENT_NS, enrolment.pk).items():
        response = getattr(client, method)(url, {"reason": "x"} if method == "post" else None)
        answers[name] = (response.status_code, enrolled_learner.email in response.content.decode())

    assert {"edit", "delete", "usage", "history", "approve", "drop"} <= set(answers)
    assert answers == dict.fromkeys(answers, (403, False))
    enrolment.refresh_from_db()
    assert enrolment.status == "enrolled"


def test_programme_staff_open_the_enrolments_history(run, enrolled_learner, programme_staff):
    enrolment = enrolled_learner.enrolments.get(run=run)

    response = _client(programme_staff).get(object_urls(ENROLMENT_NS, enrolment.pk)["history"])

    assert response.status_code == 200


def test_an_unknown_object_is_still_a_404_not_a_403(titled, instructor, programme_staff):
    missing = Assignment.objects.order_by("-pk").first().pk + 1000
    url = object_urls(ASSIGNMENT_NS, missing)["history"]

    response = _client(programme_staff).get(url, follow=True)

    assert response.status_code == 404


# --- The chooser and the bulk delete ----------------------------------------------------------


def test_the_assignment_chooser_offers_only_the_users_courses(titled, instructor,
                                                              other_instructor):
    base = "/admin/snippets/choose/grading/assignment/"
    theirs, others = _client(instructor), _client(other_instructor)

    assert TITLE in theirs.get(base).content.decode()
    assert TITLE in theirs.get(base + "results/").content.decode()
    assert TITLE in theirs.get(base + f"chosen/{titled.pk}/").content.decode()
    assert TITLE not in others.get(base).content.decode()
    assert TITLE not in others.get(base + "results/?q=Secret").content.decode()
    assert others.get(base + f"chosen/{titled.pk}/").status_code == 403
    assert TITLE not in others.get(base + f"chosen-multiple/?id={titled.pk}").content.decode()
    assert others.get(base + "chosen/not-a-number/", follow=True).status_code == 404


def test_the_enrolment_chooser_offers_only_the_users_programmes(run, enrolled_learner, course,
                                                                instructor, outsider):
    base = "/admin/snippets/choose/courses/enrolment/"

    assert enrolled_learner.email in _client(instructor).get(base).content.decode()
    assert enrolled_learner.email not in _client(outsider).get(base).content.decode()


def test_the_bulk_delete_lists_and_deletes_only_what_the_user_sees(titled, other_instructor,
                                                                   programme_staff):
    url = f"/admin/bulk/grading/assignment/delete/?id={titled.pk}"

    other_get = _client(other_instructor).get(url, follow=True)
    other_post = _client(other_instructor).post(url, follow=True)
    staff_get = _client(programme_staff).get(url)

    assert TITLE not in other_get.content.decode()
    assert TITLE not in other_post.content.decode()
    assert Assignment.objects.filter(pk=titled.pk).exists()
    assert staff_get.status_code == 200
    assert TITLE in staff_get.content.decode()


def test_runs_stay_with_those_who_have_permissions_on_them(run, instructor, programme_staff):
    # Runs have no per-course rule: instructors have no permission on them at all.
    url = object_urls("wagtailsnippets_courses_programmerun", run.pk)["history"]

    assert _client(programme_staff).get(url).status_code == 200
    assert _client(instructor).get(url).status_code == 302  # Wagtail: to the dashboard
    assert ProgrammeRun.objects.filter(pk=run.pk).exists()
