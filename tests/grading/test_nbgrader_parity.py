"""Scores equal plain nbgrader's on honest notebooks: the same notebooks graded both ways.

Plain nbgrader runs through its own CLI (generate_assignment, autograde) in a throwaway
course directory; ours through ``notebook_grade`` in the sandbox.
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grading.autograder.engine import notebook_grade
from grading.autograder.notebooks import nbgrader_metadata as meta

SOURCE = new_notebook(
    metadata={"kernelspec": {"name": "python3", "language": "python",
                             "display_name": "Python 3"}},
    cells=[
        new_markdown_cell("Square numbers.", metadata=meta(locked=True, grade_id="intro")),
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                      "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
        new_code_cell("assert square(2) == 4\n### BEGIN HIDDEN TESTS\nassert square(3) == 9\n"
                      "### END HIDDEN TESTS",
                      metadata=meta(grade=True, grade_id="test_square", points=3)),
        new_code_cell("sum(square(v) == v * v for v in range(4)) / 2",
                      metadata=meta(grade=True, grade_id="partial", points=2)),
        new_code_cell("import sys\nif square(5) != 25:\n    print('wrong', file=sys.stderr)",
                      metadata=meta(grade=True, grade_id="stderr", points=1)),
        new_markdown_cell("Explain why.", metadata=meta(solution=True, grade=True,
                                                        grade_id="explain", points=2)),
    ],
)


def _nbgrader(course, *args):
    # nbgrader runs `alembic` and the kernel from PATH: the project's environment first.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def nbgrader_scores(tmp_path, answer: str) -> tuple[dict, bytes]:
    course = tmp_path / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'parity'\n"
        "c.ExecutePreprocessor.timeout = 60\n")
    (course / "source" / "ps1" / "problem1.ipynb").write_text(nbformat.writes(SOURCE))
    _nbgrader(course, "db", "student", "add", "s1")
    _nbgrader(course, "generate_assignment", "ps1", "--force")
    released = nbformat.read(course / "release" / "ps1" / "problem1.ipynb", as_version=4)
    next(c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade_id")
         == "square").source = answer
    submitted = course / "submitted" / "s1" / "ps1"
    submitted.mkdir(parents=True)
    nbformat.write(released, submitted / "problem1.ipynb")
    _nbgrader(course, "autograde", "ps1", "--student", "s1", "--force")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook("problem1", "ps1", "s1")
        scores = {g.name: g.score for g in notebook.grades if g.cell.cell_type == "code"}
    return scores, nbformat.writes(released).encode()


@pytest.mark.parametrize("answer", [
    "def square(x):\n    return x ** 2",          # right
    "def square(x):\n    return x + x",           # right for 2 only: hidden tests fail
    "def square(x):\n    return x * x if x < 3 else 0",  # partial credit and stderr
    "def square(x):\n    raise NotImplementedError()",
])
def test_scores_equal_plain_nbgrader(tmp_path, answer):
    expected, submission = nbgrader_scores(tmp_path, answer)

    ours = notebook_grade(source=nbformat.writes(SOURCE).encode(), submission=submission)

    assert {c.grade_id: c.score for c in ours.cells if c.grade_id in expected} == \
        pytest.approx(expected)
    assert ours.needs_manual_grade
    assert ours.max_score == 8
