"""The admin's runs and enrolments: who may do what, what the listings show, and that a
listing's query count does not grow with its rows."""

import pytest
from django.urls import reverse

from courses.models import EnrolmentStatus, ProgrammeRun
from lms.accounts.models import Role
from tests.courses.conftest import admin_login
from tests.courses.factories import EnrolmentFactory, ProgrammeRunFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RUNS = "wagtailsnippets_courses_programmerun"
ENROLMENTS = "wagtailsnippets_courses_enrolment"

# FORBIDDEN: 403 (our views); DENIED: Wagtail's own views send the user back to the dashboard
# with a message; NO_ADMIN: users without admin access are sent to the login page.
ALLOWED, FORBIDDEN, DENIED, NO_ADMIN = "allowed", "forbidden", "denied", "no admin"

# view name, takes the run (r) or enrolment (e) pk, then the expected outcome per role
MATRIX = [
    (f"{RUNS}:list", None, {"learner": NO_ADMIN, "ministry_officer": NO_ADMIN,
                            "instructor": DENIED, "programme_staff": ALLOWED}),
    (f"{RUNS}:add", None, {"instructor": DENIED, "programme_staff": ALLOWED}),
    (f"{RUNS}:edit", "r", {"instructor": DENIED, "programme_staff": ALLOWED}),
    (f"{RUNS}:delete", "r", {"instructor": DENIED, "programme_staff": ALLOWED}),
    (f"{RUNS}:bulk_enrol", "r", {"learner": NO_ADMIN, "ministry_officer": NO_ADMIN,
                                 "instructor": FORBIDDEN, "programme_staff": ALLOWED}),
    (f"{ENROLMENTS}:list", None, {"learner": NO_ADMIN, "ministry_officer": NO_ADMIN,
                                  "instructor": ALLOWED, "programme_staff": ALLOWED}),
    (f"{ENROLMENTS}:add", None, {"instructor": FORBIDDEN, "programme_staff": ALLOWED}),
    (f"{ENROLMENTS}:edit", "e", {"instructor": FORBIDDEN, "programme_staff": ALLOWED}),
    (f"{ENROLMENTS}:approve", "e", {"instructor": FORBIDDEN, "programme_staff": ALLOWED}),
    (f"{ENROLMENTS}:drop", "e", {"learner": NO_ADMIN, "instructor": FORBIDDEN,
                                 "programme_staff": ALLOWED}),
    (f"{ENROLMENTS}:delete", "e", {"instructor": FORBIDDEN, "programme_staff": DENIED}),
]
CASES = [pytest.param(name, arg, role, outcome, id=f"{name.split(':')[1]}-{name[16:]}-{role}")
         for name, arg, outcomes in MATRIX for role, outcome in outcomes.items()]


def _assert_outcome(response, outcome):
    if outcome == ALLOWED:
        assert response.status_code == 200
    elif outcome == FORBIDDEN:
        assert response.status_code == 403
    elif outcome == DENIED:
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
    else:  # Wagtail sends users without admin access to its login address (then a 403)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin_login"))


@pytest.mark.parametrize(("name", "arg", "role", "outcome"), CASES)
def test_snippet_permission_matrix(client, programme, run, name, arg, role, outcome):
    # The enrolment is in another run: a run with enrolments cannot be deleted.
    enrolment = EnrolmentFactory(run=ProgrammeRunFactory(programme=programme, number=2),
                                 status=EnrolmentStatus.APPLIED)
    client.force_login(UserFactory(roles=[Role(role)]))
    args = {"r": [run.pk], "e": [enrolment.pk], None: []}[arg]

    response = client.get(reverse(name, args=args))

    _assert_outcome(response, outcome)


def test_run_listing_shows_runs_with_seats_taken(client, programme_staff, run):
    EnrolmentFactory.create_batch(2, run=run)
    EnrolmentFactory(run=run, status=EnrolmentStatus.DROPPED)
    client.force_login(programme_staff)

    response = client.get(reverse(f"{RUNS}:list"))

    row = next(iter(response.context["table"].rows))
    assert row.instance == run
    assert row.instance.taken == 2  # a dropped learner frees their seat
    html = response.content.decode()
    assert run.programme.title in html
    assert reverse(f"{RUNS}:bulk_enrol", args=[run.pk]) in html


def test_run_listing_filters_by_year(client, programme_staff, programme, run):
    older = ProgrammeRunFactory(programme=programme, number=9, year=run.year - 1)
    client.force_login(programme_staff)

    response = client.get(reverse(f"{RUNS}:list"), {"year": older.year})

    assert [row.instance for row in response.context["table"].rows] == [older]


def test_run_edit_view_links_to_bulk_enrolment(client, programme_staff, run):
    client.force_login(programme_staff)

    response = client.get(reverse(f"{RUNS}:edit", args=[run.pk]))

    assert reverse(f"{RUNS}:bulk_enrol", args=[run.pk]) in response.content.decode()


def test_programme_staff_create_a_run(client, programme_staff, programme):
    client.force_login(programme_staff)

    response = client.post(reverse(f"{RUNS}:add"), {
        "programme": programme.pk, "number": 7, "year": 2027,
        "starts_on": "2027-03-02", "ends_on": "2027-06-30",
        "enrolment_opens_at": "2027-01-05 09:00", "enrolment_closes_at": "2027-02-20 18:00",
        "capacity": 40,
    })

    assert response.status_code == 302
    assert ProgrammeRun.objects.get(number=7).capacity == 40


def test_a_run_that_ends_before_it_starts_is_a_form_error(client, programme_staff, programme):
    client.force_login(programme_staff)

    response = client.post(reverse(f"{RUNS}:add"), {
        "programme": programme.pk, "number": 8, "year": 2027,
        "starts_on": "2027-03-02", "ends_on": "2027-01-30",
        "enrolment_opens_at": "2027-01-05 09:00", "enrolment_closes_at": "2027-02-20 18:00",
        "capacity": 40,
    })

    assert response.status_code == 200
    assert "ends_on" in response.context["form"].errors
    assert not ProgrammeRun.objects.filter(number=8).exists()


def test_a_run_with_enrolments_is_not_deleted(client, programme_staff, run):
    EnrolmentFactory(run=run)
    admin_login(client, programme_staff)

    response = client.post(reverse(f"{RUNS}:delete", args=[run.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse(f"{RUNS}:edit", args=[run.pk])
    assert ProgrammeRun.objects.filter(pk=run.pk).exists()
    assert "cannot be deleted" in str(list(response.context["messages"])[0])


def test_programme_staff_delete_an_empty_run(client, programme_staff, run):
    client.force_login(programme_staff)

    client.post(reverse(f"{RUNS}:delete", args=[run.pk]))

    assert not ProgrammeRun.objects.filter(pk=run.pk).exists()


def test_enrolment_listing_filters_by_run_and_status(client, programme_staff, programme, run):
    other_run = ProgrammeRunFactory(programme=programme, number=2)
    wanted = EnrolmentFactory(run=run, status=EnrolmentStatus.APPLIED)
    EnrolmentFactory(run=run, status=EnrolmentStatus.ENROLLED)
    EnrolmentFactory(run=other_run, status=EnrolmentStatus.APPLIED)
    client.force_login(programme_staff)

    response = client.get(reverse(f"{ENROLMENTS}:list"), {"run": run.pk, "status": "applied"})

    assert [row.instance for row in response.context["table"].rows] == [wanted]


def test_enrolment_listing_searches_by_email(client, programme_staff, run):
    wanted = EnrolmentFactory(run=run, learner=UserFactory(email="kim.haneul@example.kr"))
    EnrolmentFactory(run=run)
    client.force_login(programme_staff)

    response = client.get(reverse(f"{ENROLMENTS}:list"), {"q": "haneul"})

    assert [row.instance for row in response.context["table"].rows] == [wanted]


def test_enrolment_listing_shows_email_run_status_and_times(client, programme_staff, run):
    enrolment = EnrolmentFactory(run=run, status=EnrolmentStatus.APPLIED)
    client.force_login(programme_staff)

    response = client.get(reverse(f"{ENROLMENTS}:list"))

    html = response.content.decode()
    assert enrolment.learner.email in html
    assert str(run) in html
    assert str(EnrolmentStatus.APPLIED.label) in html
    assert reverse(f"{ENROLMENTS}:approve", args=[enrolment.pk]) in html


def test_instructor_sees_enrolments_without_actions(client, instructor, course, run):
    # `course` (in the run's programme) is taught by `instructor`.
    enrolment = EnrolmentFactory(run=run, status=EnrolmentStatus.APPLIED)
    client.force_login(instructor)

    response = client.get(reverse(f"{ENROLMENTS}:list"))

    html = response.content.decode()
    assert enrolment.learner.email in html
    assert reverse(f"{ENROLMENTS}:approve", args=[enrolment.pk]) not in html
    assert reverse(f"{ENROLMENTS}:edit", args=[enrolment.pk]) not in html


@pytest.mark.parametrize("size", [3, 30])
def test_enrolment_listing_query_count_does_not_grow(client, django_assert_max_num_queries,
                                                     programme_staff, programme, size):
    runs = [ProgrammeRunFactory(programme=programme, number=n) for n in (1, 2)]
    for i in range(size):
        EnrolmentFactory(run=runs[i % 2], status=list(EnrolmentStatus)[i % 4])
    client.force_login(programme_staff)
    client.get(reverse(f"{ENROLMENTS}:list"))  # warm per-process caches (content types)

    with django_assert_max_num_queries(14):
        response = client.get(reverse(f"{ENROLMENTS}:list"))

    assert len(list(response.context["table"].rows)) == size


@pytest.mark.parametrize("size", [2, 20])
def test_run_listing_query_count_does_not_grow(client, django_assert_max_num_queries,
                                               programme_staff, programme, size):
    for n in range(size):
        run = ProgrammeRunFactory(programme=programme, number=n + 1)
        EnrolmentFactory(run=run)
    client.force_login(programme_staff)
    client.get(reverse(f"{RUNS}:list"))

    with django_assert_max_num_queries(14):
        response = client.get(reverse(f"{RUNS}:list"))

    assert len(list(response.context["table"].rows)) == size
