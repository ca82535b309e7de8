"""Fixtures for the grading tests: the course tree of tests/courses plus assignments.

``source_bytes`` is a small nbgrader source (one answer, a visible and a hidden test, and a
manually graded written answer); ``notebook_with`` makes a learner's copy with an answer.
``released_assignment`` is released through the real release check (a real sandbox).
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from courses.services.enrolments import enrolment_approve, enrolment_create
from grading.autograder.notebooks import nbgrader_metadata as meta
from grading.models import Assignment
from grading.services.assignments import assignment_release, assignment_source_set
from grading.services.grades import submission_autograde
from grading.services.submissions import submission_create
from tests.courses.conftest import (  # noqa: F401 - fixtures shared with the courses tests
    catalogue,
    course,
    instructor,
    learner,
    locales,
    ministry_officer,
    modules,
    other_course,
    other_instructor,
    programme,
    programme_staff,
    run,
    tree_en,
)
from tests.courses.factories import module_create
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English (the site's default language is Korean)."""
    from django.utils import translation

    with translation.override("en"):
        yield


SOURCE = new_notebook(cells=[
    new_markdown_cell("# Squares"),
    new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                  "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
    new_code_cell("assert square(2) == 4\n### BEGIN HIDDEN TESTS\nassert square(3) == 9, "
                  "'HIDDEN_MARKER_9'\n### END HIDDEN TESTS",
                  metadata=meta(grade=True, grade_id="t1", points=2)),
    new_code_cell("assert square(-1) == 1", metadata=meta(grade=True, grade_id="t2", points=1)),
    new_markdown_cell("Explain.\n\n=== BEGIN MARK SCHEME ===\nanything\n=== END MARK SCHEME ===",
                      metadata=meta(grade=True, solution=True, grade_id="why", points=1)),
])


def source_notebook() -> nbformat.NotebookNode:
    return nbformat.reads(nbformat.writes(SOURCE), as_version=4)


@pytest.fixture
def source_bytes() -> bytes:
    return nbformat.writes(SOURCE).encode()


def notebook_with(answer: str, *, base: nbformat.NotebookNode | None = None,
                  assignment_key: str | None = "squares") -> bytes:
    notebook = nbformat.reads(nbformat.writes(base or SOURCE), as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "square":
            cell.source = answer
    if assignment_key:
        notebook.metadata["aimd"] = {"assignment": assignment_key}
    return nbformat.writes(notebook).encode()


@pytest.fixture
def assignment_module(course):
    return module_create(parent=course, title="제곱", slug="squares", assignment_key="squares")


@pytest.fixture
def assignment(assignment_module, source_bytes):
    item = Assignment.objects.create(key="squares", title="Squares", module=assignment_module,
                                     time_limit_seconds=30)
    return assignment_source_set(assignment=item, data=source_bytes)


@pytest.fixture
def released_assignment(assignment):
    return assignment_release(assignment_id=assignment.pk)


@pytest.fixture
def enrolled_learner(learner, run):
    enrolment = enrolment_create(learner=learner, run=run)
    if enrolment.status != "enrolled":
        enrolment_approve(enrolment=enrolment)
    return learner


@pytest.fixture
def other_learner(run):
    user = UserFactory()
    enrolment_create(learner=user, run=run)
    return user


RIGHT = "def square(x):\n    return x * x"


@pytest.fixture
def graded(released_assignment, enrolled_learner):
    """The enrolled learner's right answer, autograded (the written answer waits for a person)."""
    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=notebook_with(RIGHT)).submission
    submission_autograde(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission
