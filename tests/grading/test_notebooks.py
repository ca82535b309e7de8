"""Loading, validating and planning notebooks: nbgrader's semantics, tamper resistance."""

import copy
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grading.autograder import notebooks as nb
from grading.autograder.notebooks import (
    NotebookInvalid,
    grading_plan,
    notebook_load,
    source_validate,
)
from grading.autograder.notebooks import nbgrader_metadata as meta

LIMIT = 1_000_000


def source_notebook():
    return new_notebook(cells=[
        new_markdown_cell("# 과제", metadata=meta(locked=True, grade_id="intro")),
        new_code_cell("import math", metadata=meta(locked=True, grade_id="setup")),
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                      "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
        new_code_cell("assert square(2) == 4\n### BEGIN HIDDEN TESTS\nassert square(3) == 9\n"
                      "### END HIDDEN TESTS",
                      metadata=meta(grade=True, grade_id="test_square", points=2)),
        new_markdown_cell("Explain.", metadata=meta(solution=True, grade=True,
                                                    grade_id="explain", points=1)),
    ])


def released(source):
    copy = nbformat.reads(nbformat.writes(source), as_version=4)
    for cell in copy.cells:
        cell.source = nb.released_source(cell)
    return copy


def answered(source, answer="def square(x):\n    return x ** 2"):
    submission = released(source)
    submission.cells[2].source = answer
    return submission


def test_cell_kinds_agree_with_nbgrader():
    import nbgrader.utils as nbgrader_utils

    cells = [*source_notebook().cells, new_code_cell("x = 1"),
             new_code_cell("y", metadata=meta(task=True, grade_id="t", points=1))]
    for cell in cells:
        for name in ("is_grade", "is_solution", "is_locked", "is_task"):
            assert getattr(nb, name)(cell) == bool(getattr(nbgrader_utils, name)(cell)), name


def test_released_version_matches_nbgrader_generate():
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    source = source_notebook()
    source.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                     "display_name": "Python 3"}
    expected = nbformat.reads(nbformat.writes(source), as_version=4)
    expected, _ = ClearSolutions().preprocess(expected, {})
    expected, _ = ClearHiddenTests().preprocess(expected, {})

    ours = released(source)

    assert [c.source for c in ours.cells] == [c.source for c in expected.cells]


@pytest.mark.parametrize(("data", "reason"), [
    (b"x" * (LIMIT + 1), "the limit is"),
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b"{not json", "not JSON"),
    (b'{"hello": 1}', "not a Jupyter notebook"),
    (json.dumps({"nbformat": 3, "nbformat_minor": 0, "cells": []}).encode(), "format 3"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                 "cells": [{"cell_type": "code"}]}).encode(), "malformed"),
])
def test_unusable_files_are_refused_with_a_reason(data, reason):
    with pytest.raises(NotebookInvalid, match=reason):
        notebook_load(data, max_bytes=LIMIT)


def test_a_valid_notebook_loads():
    notebook = notebook_load(nbformat.writes(source_notebook()).encode(), max_bytes=LIMIT)

    assert len(notebook.cells) == 5


def test_valid_source_passes_validation():
    source_validate(source_notebook())


@pytest.mark.parametrize(("mutate", "reason"), [
    (lambda s: s.cells[3].metadata.nbgrader.pop("grade_id"), "no grade_id"),
    (lambda s: s.cells[3].metadata.nbgrader.update(grade_id="square"), "more than one cell"),
    (lambda s: s.cells[3].metadata.nbgrader.update(points="lots"), "no numeric points"),
    (lambda s: s.cells[3].metadata.nbgrader.update(points=-1), "negative points"),
    (lambda s: setattr(s.cells[3], "source", "### BEGIN HIDDEN TESTS\nassert 1"),
     "unbalanced"),
    (lambda s: [c.metadata.nbgrader.update(grade=False, task=False) for c in s.cells],
     "no graded cells"),
])
def test_broken_sources_are_refused(mutate, reason):
    source = source_notebook()
    mutate(source)

    with pytest.raises(NotebookInvalid, match=reason):
        source_validate(source)


def test_plan_runs_the_learners_answer_and_the_sources_tests():
    source = source_notebook()

    plan = grading_plan(source=source, submission=answered(source))

    kinds = [(s.kind, s.grade_id) for s in plan.steps]
    assert kinds == [("locked", "intro"), ("locked", "setup"), ("answer", "square"),
                     ("test", "test_square"), ("answer", "explain")]
    assert plan.steps[2].source == "def square(x):\n    return x ** 2"
    assert "HIDDEN TESTS" in plan.steps[3].source  # hidden tests come from the source
    assert plan.max_score == 3
    assert plan.needs_manual_grade


def test_deleted_or_edited_test_cells_come_back_from_the_source():
    source = source_notebook()
    submission = answered(source)
    submission.cells[3].source = "pass  # tests removed"
    del submission.cells[1]

    plan = grading_plan(source=source, submission=submission)

    test = next(s for s in plan.steps if s.kind == "test")
    assert test.source == source.cells[3].source
    assert any(s.grade_id == "setup" and s.source == "import math" for s in plan.steps)


def test_inflated_points_and_self_made_tests_do_not_count():
    source = source_notebook()
    submission = answered(source)
    submission.cells[3].metadata.nbgrader["points"] = 100
    submission.cells.append(new_code_cell(
        "assert True", metadata=meta(grade=True, grade_id="free_points", points=50)))

    plan = grading_plan(source=source, submission=submission)

    assert plan.max_score == 3
    added = plan.steps[-1]
    assert (added.kind, added.points, added.grade_id) == ("plain", 0.0, None)


def test_duplicated_answer_cells_use_the_first_only():
    source = source_notebook()
    submission = answered(source)
    duplicate = copy.deepcopy(submission.cells[2])
    duplicate.source = "def square(x):\n    return 'hijacked'"
    submission.cells.insert(3, duplicate)

    plan = grading_plan(source=source, submission=submission)

    answers = [s for s in plan.steps if s.grade_id == "square"]
    assert len(answers) == 1
    assert "x ** 2" in answers[0].source
    assert "hijacked" not in "".join(s.source for s in plan.steps)


def test_missing_or_retyped_answer_falls_back_to_the_stub():
    source = source_notebook()
    submission = answered(source)
    submission.cells[2] = new_markdown_cell(
        "def square(x): ...", metadata=submission.cells[2].metadata)

    plan = grading_plan(source=source, submission=submission)

    answer = next(s for s in plan.steps if s.grade_id == "square")
    assert not answer.answered
    assert "raise NotImplementedError()" in answer.source


def test_learner_added_cells_run_where_they_were_put():
    source = source_notebook()
    submission = answered(source)
    submission.cells.insert(2, new_code_cell("helper = 1"))
    submission.cells.insert(0, new_code_cell("first = True"))

    plan = grading_plan(source=source, submission=submission)

    order = [s.source if s.kind == "plain" else s.grade_id for s in plan.steps]
    assert order == ["first = True", "intro", "setup", "helper = 1", "square", "test_square",
                     "explain"]


def test_what_a_notebook_imports_decides_what_a_sandbox_preloads():
    from grading.autograder.notebooks import imported_modules, preload_for

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt"),
        nbformat.v4.new_code_cell("from sklearn.linear_model import LogisticRegression\n"
                                  "import os, numpy as np"),
        nbformat.v4.new_code_cell("this is not python"),
    ])
    allowed = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "sklearn")

    assert imported_modules(notebook) == {"matplotlib.pyplot", "sklearn.linear_model", "os",
                                          "numpy"}
    assert preload_for(notebook, allowed) == ("numpy", "matplotlib", "matplotlib.pyplot",
                                              "sklearn")
