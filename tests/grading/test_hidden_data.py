"""Hidden data files: an instructor uploads them beside the visible ones; only the judge that
runs the tests gets them (never a learner's lab, download or process); the release check
lists them, and names each test that cannot run apart from the learner's code, with why."""

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from nbformat.v4 import new_code_cell, new_notebook

from grading import lab
from grading.autograder.notebooks import nbgrader_metadata as meta
from grading.models import Assignment, ReleaseState
from grading.services.assignments import assignment_release, assignment_source_set, data_file_add
from grading.services.grades import grade_feedback_ensure, submission_autograde
from grading.services.submissions import submission_create
from tests.courses.conftest import admin_login
from tests.courses.factories import module_create

pytestmark = pytest.mark.django_db

# A classifier graded on held-out data: the labels are in the hidden file only.
SOURCE = new_notebook(cells=[
    new_code_cell("import csv\nrows = list(csv.reader(open('train.csv')))",
                  metadata=meta(locked=True, grade_id="setup")),
    new_code_cell("def predict(x):\n    ### BEGIN SOLUTION\n    return int(x > 5)\n"
                  "    ### END SOLUTION", metadata=meta(solution=True, grade_id="answer")),
    new_code_cell("assert predict(9) == 1\n### BEGIN HIDDEN TESTS\n"
                  "held = [tuple(map(int, r)) for r in csv.reader(open('held.csv'))]\n"
                  "assert sum(predict(x) == y for x, y in held) == len(held)\n"
                  "### END HIDDEN TESTS", metadata=meta(grade=True, grade_id="t", points=2)),
])
HELD = b"1,0\n4,0\n6,1\n10,1\n"


def notebook(answer: str | None = None, *, source=SOURCE) -> bytes:
    copy = nbformat.reads(nbformat.writes(source), as_version=4)
    if answer is not None:
        copy.cells[1].source = answer
    copy.metadata["aimd"] = {"assignment": "held-out"}
    return nbformat.writes(copy).encode()


@pytest.fixture
def held_out(course):
    module = module_create(parent=course, title="검증", slug="held-out",
                           assignment_key="held-out")
    assignment = Assignment.objects.create(key="held-out", title="Held out", module=module,
                                           time_limit_seconds=30)
    assignment_source_set(assignment=assignment, data=notebook())
    data_file_add(assignment=assignment, name="train.csv", data=b"1,0\n")
    data_file_add(assignment=assignment, name="held.csv", data=HELD, hidden=True)
    return assignment_release(assignment_id=assignment.pk)


def test_an_instructor_uploads_hidden_files_beside_the_visible_ones(client, instructor,
                                                                      course):
    module = module_create(parent=course, title="새 과제", slug="new-one")
    admin_login(client, instructor)
    response = client.post(reverse("wagtailsnippets_grading_assignment:add"), {
        "key": "new-one", "title": "New", "module": module.pk,
        "late_penalty_percent_per_day": "0", "late_penalty_cap_percent": "100",
        "counting": "best", "time_limit_seconds": "60",
        "source_file": SimpleUploadedFile("s.ipynb", notebook()),
        "data_upload": [SimpleUploadedFile("train.csv", b"1,0\n")],
        "hidden_upload": [SimpleUploadedFile("held.csv", HELD)]})

    assert response.status_code == 302, response.context["form"].errors
    assignment = Assignment.objects.get(key="new-one")
    assert [(f.name, f.hidden) for f in assignment.data_files.all()] == [
        ("held.csv", True), ("train.csv", False)]
    form = client.get(reverse("wagtailsnippets_grading_assignment:edit", args=[assignment.pk]))
    assert 'name="hidden_upload"' in form.content.decode()


def test_the_release_check_grades_with_hidden_files_and_lists_them(held_out, client,
                                                                    instructor):
    assert held_out.release_state == ReleaseState.RELEASED, held_out.release_report
    assert held_out.release_report["hidden_files"] == ["held.csv"]
    admin_login(client, instructor)
    page = client.get(reverse("grading_admin:release", args=[held_out.pk])).content.decode()
    assert "<code>held.csv</code>" in page


def test_learners_never_get_hidden_files(held_out, client, enrolled_learner):
    client.force_login(enrolled_learner)

    visible = client.get(reverse("grading:data_file", args=["held-out", "train.csv"]))
    hidden = client.get(reverse("grading:data_file", args=["held-out", "held.csv"]))

    assert visible.status_code == 200
    assert hidden.status_code == 404
    assert [name for name, _data in lab._released_files(held_out)] == [
        "held-out.ipynb", "train.csv"]


def test_a_learner_is_graded_on_hidden_labels_that_their_code_cannot_read(
        held_out, enrolled_learner):
    # The learner's answer tries to read the labels (the file is not in its sandbox) and
    # falls back to a wrong rule: it passes the visible check only.
    peek = ("import os\nSEEN = os.path.exists('held.csv')\n"
            "def predict(x):\n    return 1 if SEEN or x > 8 else 0")
    submission = submission_create(assignment=held_out, learner=enrolled_learner,
                                   data=notebook(peek)).submission

    grade = submission_autograde(submission_id=submission.pk)

    assert float(grade.auto_score) == 0.0  # 6 is not > 8: the hidden check fails


@pytest.mark.parametrize(("test", "cause"), [
    # unpickling a file the learner saved
    ("import pickle\nassert pickle.loads(learner_file('m.pkl'))['ok']", "is refused"),
    # a learner object compared as if it were a value
    ("class Box:\n    pass\nassert predict(Box()) == 1", "cannot be passed"),
])
def test_a_test_that_cannot_run_apart_from_the_learner_is_named_with_why(course, test, cause):
    source = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    source.cells[1].source = ("import pickle, os\n"
                              "pickle.dump({'ok': os.system}, open('m.pkl', 'wb'))\n"
                              + source.cells[1].source)
    source.cells[2].source = "from aimd_grading import learner_file\n" + test
    module = module_create(parent=course, title="깨진", slug="broken", assignment_key="broken")
    assignment = Assignment.objects.create(key="broken", title="Broken", module=module,
                                           time_limit_seconds=30)
    assignment_source_set(assignment=assignment, data=nbformat.writes(source).encode())

    assignment = assignment_release(assignment_id=assignment.pk)

    assert assignment.release_state == ReleaseState.FAILED
    problems = assignment.release_report["problems"]
    assert any(p.startswith("Cell t: ") and cause in p for p in problems), problems
    assert any("aimd_grading.load_in_learner" in p for p in problems), problems


def test_output_after_hidden_tests_is_withheld_in_each_language(held_out, enrolled_learner):
    answer = nbformat.reads(notebook("def predict(x):\n    return int(x > 5)").decode(),
                            as_version=4)
    answer.cells.append(nbformat.v4.new_code_cell("print('after', 'the tests')"))
    submission = submission_create(assignment=held_out, learner=enrolled_learner,
                                   data=nbformat.writes(answer).encode()).submission

    grade = submission_autograde(submission_id=submission.pk)
    assert grade_feedback_ensure(grade)  # made on the first view, as the page does

    assert "after the tests" not in grade.feedback["en"]
    assert "hidden tests had called your code" in grade.feedback["en"]
    assert "숨은 테스트가 여러분의 코드를 호출한 뒤에" in grade.feedback["ko"]


def test_a_locked_cell_that_fails_only_in_the_judge_is_named(course):
    # len() of a learner object works in one kernel but is refused in the judge, so the
    # locked cell's copy there binds nothing and the test after it fails.
    source = new_notebook(cells=[
        new_code_cell("class Bag:\n    def __len__(self):\n        return 3\n"
                      "def collect():\n    ### BEGIN SOLUTION\n    return Bag()\n"
                      "    ### END SOLUTION", metadata=meta(solution=True, grade_id="answer")),
        new_code_cell("size = len(collect())", metadata=meta(locked=True, grade_id="setup")),
        new_code_cell("assert size == 3", metadata=meta(grade=True, grade_id="t", points=1)),
    ])
    module = module_create(parent=course, title="가방", slug="bag", assignment_key="bag")
    assignment = Assignment.objects.create(key="bag", title="Bag", module=module,
                                           time_limit_seconds=30)
    assignment_source_set(assignment=assignment, data=nbformat.writes(source).encode())

    problems = assignment_release(assignment_id=assignment.pk).release_report["problems"]

    assert any(p.startswith("Locked cell setup failed in the judge: TypeError: len()")
               for p in problems), problems
    assert any(p.startswith("Cell t: NameError") for p in problems), problems
