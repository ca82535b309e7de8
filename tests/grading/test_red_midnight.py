"""A third red-team pass ("midnight learner"): attacks from an answer cell, or from cells the
learner adds, against the judge / learner split (docs/grading-engine.md).

Each test grades a wrong answer plus an attack in the real sandboxes and asserts what the
design promises; each one FAILS on the code it was written against, because of the bug it
names.
"""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading.autograder.engine import notebook_grade
from grading.autograder.notebooks import nbgrader_metadata as meta


def _grade(source_cells: list, answers: dict[int, str], *, extra: list[str] = (), **kwargs):
    """Grade the source made of ``source_cells``; the learner's copy has ``answers`` (cell
    index -> source) and ``extra`` cells of its own appended at the end."""
    source = new_notebook(cells=source_cells)
    submission = nbformat.reads(nbformat.writes(source), as_version=4)
    for index, text in answers.items():
        submission.cells[index].source = text
    for text in extra:
        submission.cells.append(new_code_cell(text))
    return notebook_grade(source=nbformat.writes(source).encode(),
                          submission=nbformat.writes(submission).encode(),
                          timeout=kwargs.pop("timeout", 60), **kwargs)


SQUARE = new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                       "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square"))

YES = ("class Yes:\n"
       "    def __getattr__(self, name):\n        return Yes()\n"
       "    def __call__(self, *args, **kwargs):\n        return True\n")


# --- 1. Names an instructor binds in an ordinary (unlocked) cell come from the learner -------


def test_a_module_imported_in_the_instructors_plain_cell_is_the_judges_own():
    # The most common notebook layout: imports in a first cell without nbgrader metadata.
    # The judge never runs that cell, so `np` in a test is looked up in the learner's process,
    # where the learner bound it to an object whose every method answers True.
    cells = [
        new_code_cell("import numpy as np"),  # an ordinary cell of the instructor's
        SQUARE,
        new_code_cell("assert np.isclose(square(3), 9)\nassert np.allclose(square(np.arange(3)), "
                      "[0, 1, 4])", metadata=meta(grade=True, grade_id="t", points=5)),
    ]
    answer = YES + "np = Yes()\ndef square(x):\n    return 0"

    result = _grade(cells, {1: answer})

    assert result.score == 0.0, "a wrong answer passed through a learner-controlled `np`"


# --- 2. The learner process decides which arguments the judge updates in place --------------

# Wraps the learner runner's answer to a call so that it reports every argument as changed
# ("after"), not only those the judge asked about ("watch"): the judge left the instructor's
# data out of "watch" on purpose, but applies whatever indexes come back.
FORGE_AFTER = (
    "import gc\n"
    "_runner = [o for o in gc.get_objects() if type(o).__name__ == 'Learner'][0]\n"
    "_perform = _runner.perform\n"
    "CHANGED = {}\n"
    "def _forged(header, blobs, out):\n"
    "    reply = _perform(header, blobs, out)\n"
    "    if header.get('op') == 'call' and isinstance(reply, dict) and CHANGED:\n"
    "        reply['after'] = [[i, _runner.codec.encode(v, out)] for i, v in CHANGED.items()]\n"
    "    return reply\n"
    "_runner.perform = _forged\n")


def test_a_learner_cannot_write_back_into_the_instructors_data_by_forging_the_reply():
    # tests/grading/test_judge.py::test_learner_code_cannot_change_the_instructors_data_through
    # _a_view holds only while the learner's runner answers honestly. Here each row of the
    # instructor's M is overwritten with ones in the judge, so the expected value the test
    # computes after the call, row / row.sum(), is what the wrong answer returned.
    cells = [
        new_code_cell("import numpy as np\nM = np.array([[1., 2., 3.], [4., 5., 6.]])",
                      metadata=meta(locked=True, grade_id="setup")),
        new_code_cell("def normalize(row):\n    ### BEGIN SOLUTION\n"
                      "    return row / row.sum()\n    ### END SOLUTION",
                      metadata=meta(solution=True, grade_id="a")),
        new_code_cell("for row in M:\n    assert np.allclose(normalize(row), row / row.sum())",
                      metadata=meta(grade=True, grade_id="t", points=2)),
    ]
    answer = FORGE_AFTER + (
        "import numpy as np\n"
        "def normalize(row):\n"
        "    CHANGED[0] = np.ones_like(row)\n"
        "    return np.full(row.shape, 1.0 / row.size)\n")

    result = _grade(cells, {1: answer})

    assert result.score == 0.0, "the instructor's data was rewritten through a forged reply"


# --- 3. After a hidden test, the learner's own cells still show built-in exception names ---

HIDDEN_INPUT = 7321
HIDDEN_SOURCE = [
    SQUARE,
    new_code_cell("assert square(2) == 4\n### BEGIN HIDDEN TESTS\n"
                  f"assert square({HIDDEN_INPUT}) == {HIDDEN_INPUT ** 2}\n"
                  "### END HIDDEN TESTS", metadata=meta(grade=True, grade_id="t", points=2)),
]
# Sixteen built-in exceptions: one hex digit of the hidden test's arguments per added cell.
NIBBLES = ["ValueError", "TypeError", "KeyError", "IndexError", "NameError", "OSError",
           "ZeroDivisionError", "AttributeError", "LookupError", "RuntimeError", "EOFError",
           "MemoryError", "OverflowError", "ImportError", "UnicodeError", "BufferError"]


def test_learner_cells_after_a_hidden_test_cannot_spell_its_inputs_in_exception_names():
    # Feedback withholds a learner cell's output and message once a hidden test has called
    # the learner's code, but still shows the name of a built-in exception it raised. A
    # learner adds one cell per hex digit of what the hidden test passed and reads the
    # hidden input back from its feedback page (the design allows "a few bits per test";
    # added cells make it as many as the learner likes: 4 bits a cell, up to 5,000 cells).
    answer = "SEEN = []\ndef square(x):\n    SEEN.append(x)\n    return x * x"
    digits = 16
    leak = [f"_h = ' '.join(map(str, SEEN)).encode().hex().ljust({digits}, '0')\n"
            f"raise [{', '.join(NIBBLES)}][int(_h[{i}], 16)]()" for i in range(digits)]

    result = _grade(HIDDEN_SOURCE, {0: answer}, extra=leak)

    shown = [s.error for s in result.steps[-digits:]]
    decoded = bytes.fromhex("".join(f"{NIBBLES.index(e):x}" if e in NIBBLES else "0"
                                    for e in shown)).decode("ascii", "replace")
    assert str(HIDDEN_INPUT) not in decoded, f"feedback spells the hidden input: {decoded!r}"


# --- 4. Odd nbgrader metadata in a submission: a crash, not a rejection ----------------------


@pytest.mark.django_db
@pytest.mark.parametrize("odd", [5, "answer", {"grade_id": ["square"]}])
def test_odd_nbgrader_metadata_in_a_submission_is_graded_or_rejected_never_a_crash(
        odd, released_assignment, enrolled_learner):
    # Valid JSON and a valid nbformat 4 notebook (cell metadata is free-form), carrying the
    # assignment's key, so the site stores it. Grading then raises AttributeError/TypeError
    # in grading_plan (not NotebookInvalid): the submission goes back to "queued", is sent
    # again every GRADING_QUEUED_RESEND_SECONDS, and after GRADING_MAX_ENQUEUES sends it is
    # graded "error", hours later, with a right answer in it.
    from grading.services.grades import submission_autograde
    from grading.services.submissions import submission_create
    from tests.grading.conftest import RIGHT, notebook_with

    notebook = nbformat.reads(notebook_with(RIGHT).decode(), as_version=4)
    notebook.cells.append(new_code_cell("note = 1", metadata={"nbgrader": odd}))
    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=nbformat.writes(notebook).encode()).submission

    grade = submission_autograde(submission_id=submission.pk)

    assert grade is not None
    assert grade.status in ("graded", "rejected")


# --- 5. A file the test wrote is overwritten by the learner's copy ---------------------------


def test_a_file_a_test_wrote_is_never_replaced_by_the_learners():
    # docs: files the learner wrote are fetched "never over the judge's own data files
    # (hidden ones included) or files a test wrote". The judge only skips paths that exist
    # when it first sees them; once a path was copied (t1), a later change in the learner's
    # process is copied again over whatever the judge wrote there since (t2's expected file).
    cells = [
        new_code_cell("def save_squares(n, path):\n    ### BEGIN SOLUTION\n"
                      "    with open(path, 'w') as f:\n"
                      "        f.write(' '.join(str(i * i) for i in range(n)))\n"
                      "    ### END SOLUTION", metadata=meta(solution=True, grade_id="a")),
        new_code_cell("import os\nsave_squares(3, 'mine.txt')\nassert os.path.exists('mine.txt')",
                      metadata=meta(grade=True, grade_id="t1", points=1)),
        new_code_cell("with open('expected.txt', 'w') as f:\n    f.write('0 1 4 9 16')\n"
                      "save_squares(5, 'mine5.txt')\n"
                      "assert open('mine5.txt').read() == open('expected.txt').read()",
                      metadata=meta(grade=True, grade_id="t2", points=2)),
    ]
    answer = ("def save_squares(n, path):\n"
              "    for name in (path, 'expected.txt'):\n"
              "        with open(name, 'w') as f:\n"
              "            f.write(f'wrong {n}')\n")

    result = _grade(cells, {0: answer})

    assert {c.grade_id: c.score for c in result.cells}["t2"] == 0.0, \
        "the test's own expected file was replaced by the learner's"


# --- 6. Output is capped per cell, never per notebook: a small submission, a huge record ----


def test_a_small_submission_cannot_make_a_huge_grade_record():
    # Each cell's output is capped (20,000 characters, 2,000 for its error), and a
    # notebook's figures at 600 KB, but nothing caps the text of all cells together. A
    # 30 KB submission of 200 cells `f()` makes a grade record of about 50 MB as the
    # database driver sends it (json.dumps escapes each emoji to 12 bytes); 5,000 cells
    # (the notebook limit, ~45 s of the default 120 s time limit) would be over a gigabyte
    # in the worker's memory and past PostgreSQL's jsonb limit, so the store fails and the
    # submission is retried, each time the same.
    answer = ("def square(x):\n    return x * x\n"
              "def f():\n    print('\\U0001F600' * 20000)\n"
              "    raise ValueError('\\U0001F600' * 3000)")
    result = _grade([SQUARE, new_code_cell("assert square(2) == 4", metadata=meta(
        grade=True, grade_id="t", points=1))], {0: answer}, extra=["f()"] * 200)

    stored = json.dumps(result.as_record())  # what psycopg sends for the jsonb column
    assert len(stored) < 16 * 1024 * 1024, f"a grade record of {len(stored):,} bytes"


# --- 7. The judge's pickle allow-list admits a dotted path from an allowed helper to eval ----

# Protocol 4 names globals by dotted paths. "_frombuffer..." passes _pickle_allowed (a name
# starting with one of PICKLE_HELPERS, in numpy), and numpy._core.numeric._frombuffer is a
# Python function, so `_frombuffer.__builtins__.get` is the builtins' dict.get: the pickle
# gets `eval` and runs the learner's code in the judge.
JUDGE_PAYLOAD = (
    "import sys, builtins\n"
    "J = sys.modules['__main__'].Judge\n"
    "_run = J.run\n"
    "def run(self, code, *, test):\n"
    "    reply = _run(self, code, test=test)\n"
    "    reply.update(status='ok', error=None, stderr=False)\n"
    "    return reply\n"
    "J.run = run\n"
    "class Anything:\n"
    "    def __getattr__(self, name):\n        return lambda *a, **k: Anything()\n"
    "    def __eq__(self, other):\n        return Anything()\n"
    "    def all(self):\n        return True\n"
    "builtins._aimd_fake = Anything()\n")


def _evil_pickle(code: str) -> bytes:
    def text(value: str) -> bytes:
        data = value.encode()
        return b"\x8d" + len(data).to_bytes(8, "little") + data  # BINUNICODE8

    expression = f"exec({code!r}) or __import__('builtins')._aimd_fake"
    return (b"\x80\x04" + text("numpy._core.numeric") + text("_frombuffer.__builtins__.get")
            + b"\x93" + text("eval") + b"\x85R" + text(expression) + b"\x85R.")


def test_a_learners_pickle_cannot_run_code_in_the_judge():
    cells = [
        new_code_cell("import numpy as np\nX = np.array([[0.], [1.], [2.], [3.]])\n"
                      "y = np.array([0, 0, 1, 1])", metadata=meta(locked=True, grade_id="data")),
        new_code_cell("import pickle\nfrom sklearn.linear_model import LogisticRegression\n"
                      "### BEGIN SOLUTION\nmodel = LogisticRegression().fit(X, y)\n"
                      "### END SOLUTION\nwith open('model.pkl', 'wb') as f:\n"
                      "    pickle.dump(model, f)",
                      metadata=meta(solution=True, grade_id="model")),
        # The judge's documented promise: a pickle of the learner's, handed over as bytes,
        # names only data types and the libraries' rebuilding functions (the audit hook).
        new_code_cell("import pickle\nfrom aimd_grading import learner_file\n"
                      "loaded = pickle.loads(learner_file('model.pkl'))\n"
                      "assert (loaded.predict(X) == y).all()",
                      metadata=meta(grade=True, grade_id="t1", points=2)),
        new_code_cell("### BEGIN HIDDEN TESTS\nassert 1 == 2, 'nobody passes this test'\n"
                      "### END HIDDEN TESTS", metadata=meta(grade=True, grade_id="t2", points=3)),
    ]
    answer = f"with open('model.pkl', 'wb') as f:\n    f.write({_evil_pickle(JUDGE_PAYLOAD)!r})"

    result = _grade(cells, {1: answer})

    assert result.score == 0.0, f"learner code ran in the judge: {result.score}/5 with no model"


# --- 8. (Correctness, found on the way) a file an answer cell wrote is not fetched -----------


def test_a_file_written_by_an_answer_cell_is_found_by_a_test_whatever_the_solution_imports():
    # The judge copies the learner's files only while it is "dirty", which only its own
    # requests to the learner process set. Importing pandas (or joblib) at the judge's start
    # lists directories, which syncs once and clears the flag; the answer cell then writes
    # out.txt through the grader, not the judge, so the test's open() never fetches it and a
    # right answer scores 0 (with `import os` instead it scores 2). The release check grades
    # the source the same way, so such an assignment fails its check with this error.
    cells = [
        new_code_cell("import pandas as pd\n### BEGIN SOLUTION\nwith open('out.txt', 'w') as f:\n"
                      "    f.write('hi')\n### END SOLUTION",
                      metadata=meta(solution=True, grade_id="a")),
        new_code_cell("with open('out.txt') as f:\n    assert f.read() == 'hi'",
                      metadata=meta(grade=True, grade_id="t1", points=2)),
    ]

    result = _grade(cells, {})  # the instructor's own solution

    assert result.score == 2.0, result.steps[1].error
