"""The assignment panel is what a deadline's learners poll while their grade is pending: its
queries must not grow with the learner's attempts, and a poll writes nothing."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grading.services.grades import submission_autograde
from grading.services.submissions import submission_create
from tests.grading.conftest import RIGHT, notebook_with

WRITES = ("INSERT", "UPDATE", "DELETE")


def _poll(client, assignment):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("grading:panel", args=[assignment.key]))
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


def _attempt(assignment, learner, n: int, *, grade: bool):
    submission = submission_create(assignment=assignment, learner=learner,
                                   data=notebook_with(RIGHT + f"\n# attempt {n}")).submission
    if grade:
        submission_autograde(submission_id=submission.pk)
    return submission


def test_polling_the_panel_costs_the_same_with_more_attempts(client, released_assignment,
                                                             enrolled_learner):
    client.force_login(enrolled_learner)
    _attempt(released_assignment, enrolled_learner, 1, grade=True)
    _attempt(released_assignment, enrolled_learner, 2, grade=False)
    client.get(reverse("grading:panel", args=[released_assignment.key]))  # session, caches
    _response, few = _poll(client, released_assignment)

    for n in range(3, 6):
        _attempt(released_assignment, enrolled_learner, n, grade=n < 5)
    response, many = _poll(client, released_assignment)

    assert response["X-Grading-Pending"] == "1"
    # Graded attempts link their feedback (made on its first view), without loading it.
    assert response.content.decode().count("Open feedback") == 3
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= 8, "\n".join(many)
    assert not [q for q in many if q.lstrip().upper().startswith(WRITES)]
