"""The instructor's plain cells (no nbgrader metadata): what the judge makes of them itself
(``notebooks.judge_setup``), so that a learner who edits them in the submission cannot
change a test's outcome, and what it leaves to the learner's process (docs/grading-engine.md,
"Names in a test")."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from grading.autograder.engine import notebook_grade
from grading.autograder.notebooks import judge_setup, unguarded_uses
from grading.autograder.notebooks import nbgrader_metadata as meta

SQUARE = new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                       "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square"))


def _grade(cells: list, answers: dict[int, str]):
    source = new_notebook(cells=cells)
    submission = nbformat.reads(nbformat.writes(source), as_version=4)
    for index, text in answers.items():
        submission.cells[index].source = text
    return notebook_grade(source=nbformat.writes(source).encode(),
                          submission=nbformat.writes(submission).encode(), timeout=60)


def test_a_helper_and_expected_value_of_a_plain_cell_are_the_judges_own():
    # The learner rewrites the instructor's plain cell in the submission: a checker that says
    # yes and an expected value equal to its wrong answer. The judge ran the source's text.
    plain = new_code_cell("import numpy as np\nEXPECTED = np.array([0, 1, 4])\n"
                          "def check(got):\n    return bool(np.allclose(got, EXPECTED))")
    cells = [plain, SQUARE, new_code_cell(
        "assert check([square(x) for x in range(3)])",
        metadata=meta(grade=True, grade_id="t", points=2))]
    edited = ("import numpy as np\nEXPECTED = np.array([0, 0, 0])\n"
              "def check(got):\n    return True")

    wrong = _grade(cells, {0: edited, 1: "def square(x):\n    return 0"})
    right = _grade(cells, {0: edited, 1: "def square(x):\n    return x * x"})

    assert (wrong.score, right.score) == (0.0, 2.0)


def test_a_failing_plain_cell_does_not_stop_grading():
    # The plain cell needs a module the sandbox lacks and a file that is not there: its
    # other imports and definitions are still the judge's, and grading goes on.
    plain = new_code_cell("import numpy as np\nimport no_such_module_here\n"
                          "TOL = 1e-9\nimport pandas as pd\n")
    reads = new_code_cell("data = pd.read_csv('missing.csv')")
    cells = [plain, reads, SQUARE, new_code_cell(
        "assert abs(square(3) - 9) < TOL and np.isclose(square(2), 4)",
        metadata=meta(grade=True, grade_id="t", points=2))]

    result = _grade(cells, {})

    assert result.status == "graded"
    assert result.score == 2.0


def test_data_the_solution_changes_stays_the_learners():
    # ``results = []`` in a plain cell, appended to by the answer: the test must see the
    # learner's list (as in nbgrader), not an empty copy made in the judge.
    cells = [new_code_cell("results = []"), new_code_cell(
        "def record(x):\n    ### BEGIN SOLUTION\n    results.append(x)\n    ### END SOLUTION",
        metadata=meta(solution=True, grade_id="a")), new_code_cell("record(3)"),
        new_code_cell("assert list(results) == [3]",
                      metadata=meta(grade=True, grade_id="t", points=1))]

    assert "results" in judge_setup(new_notebook(cells=cells)).unguarded
    assert _grade(cells, {}).score == 1.0
    assert unguarded_uses(new_notebook(cells=cells)) == {"results": ["t"]}


def test_what_the_judge_makes_of_plain_cells():
    source = new_notebook(cells=[
        new_code_cell("%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
                      "try:\n    import seaborn as sns\nexcept ImportError:\n    sns = None\n"
                      "X = np.arange(4)\nY = X\nprint(Y.sum())\nplt.plot(X)\n"
                      "Z = [1]\nZ.append(2)\nmodel = square(3)\n"
                      "def helper(v):\n    return np.allclose(v, X)\n"),
        SQUARE,
        new_code_cell("from math import sqrt\nassert helper(model)",
                      metadata=meta(grade=True, grade_id="t", points=1)),
    ])

    setup = judge_setup(source)

    assert {"np", "plt", "sns", "sqrt", "X", "Y", "helper"} <= setup.names
    assert not {"Z", "model", "square"} & setup.names  # changed, computed by learner code
    assert set(setup.unguarded) == {"Z", "model"}
    assert "model = square(3)" not in "\n".join(setup.code)
    assert unguarded_uses(source) == {"model": ["t"]}
