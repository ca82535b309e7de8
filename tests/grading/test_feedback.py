"""What a grade records for feedback (``GradeResult.steps``) and the feedback page.

Security rules first: hidden tests never reach the record or the page (neither their source
nor their messages, not even when learner code reads them through frames), the page loads
nothing from the network and shows learner text only escaped. Grades run in the real sandbox
(bubblewrap) through ``grading.autograder.engine.notebook_grade``, except where a rule is
about one step
and a runner reply is enough.
"""

import json
import re
from dataclasses import replace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grading.autograder import feedback
from grading.autograder.engine import (
    HIDDEN_TEST_FAILED,
    TEST_ERROR_CAP,
    WITHHELD,
    GradeResult,
    StepOutcome,
    _Redactor,
    _step_outcome,
    _storable,
    notebook_grade,
)
from grading.autograder.feedback import DEFAULT_LABELS, feedback_html
from grading.autograder.notebooks import Plan, Step
from grading.autograder.notebooks import nbgrader_metadata as meta

MARKER = "SECRET_HIDDEN_MARKER_7f3a"

SOURCE = new_notebook(cells=[
    new_markdown_cell("# Squares\n\nWrite `square`. See [the docs](https://docs.python.org) "
                      "![logo](https://example.com/logo.png)",
                      metadata=meta(locked=True, grade_id="intro")),
    new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                  "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
    new_code_cell("assert square(2) == 4\n### BEGIN HIDDEN TESTS\n"
                  f"{MARKER.lower()}_value = 9\n"
                  f"assert square(3) == {MARKER.lower()}_value, 'hidden {MARKER} message'\n"
                  "### END HIDDEN TESTS", metadata=meta(grade=True, grade_id="t1", points=2)),
    new_code_cell("assert square(-1) == 1, 'square(-1) should be 1'",
                  metadata=meta(grade=True, grade_id="t2", points=1)),
    new_markdown_cell("Explain your approach.\n### BEGIN SOLUTION\nIt squares.\n"
                      "### END SOLUTION",
                      metadata=meta(solution=True, grade=True, grade_id="essay", points=2)),
])


def grade(answer: str, *, source=SOURCE, extra: list | None = None, **kwargs) -> GradeResult:
    submission = nbformat.reads(nbformat.writes(source), as_version=4)
    submission.cells[1].source = answer
    submission.cells.extend(extra or [])
    return notebook_grade(source=nbformat.writes(source).encode(),
                          submission=nbformat.writes(submission).encode(), **kwargs)


def no_marker(result: GradeResult, html: str) -> None:
    for text in (json.dumps(result.as_record()), html):
        assert MARKER not in text
        assert MARKER.lower() not in text


@pytest.fixture(scope="module")
def wrong():
    """A wrong answer that prints HTML, plus a learner cell after the tests."""
    return grade("def square(x):\n    print('<script>alert(1)</script>')\n    return x + x",
                 extra=[new_code_cell("print('after the tests')")])


# --- The record ------------------------------------------------------------------------------


def test_steps_follow_the_plan_with_what_feedback_needs(wrong):
    steps = wrong.steps

    assert [(s.kind, s.cell_type, s.grade_id) for s in steps] == [
        ("locked", "markdown", "intro"), ("answer", "code", "square"), ("test", "code", "t1"),
        ("test", "code", "t2"), ("answer", "markdown", "essay"), ("plain", "code", None)]
    intro, answer, t1, t2, essay, plain = steps
    assert not intro.ran
    assert not essay.ran
    assert intro.source_shown.startswith("# Squares")
    assert answer.ran
    assert answer.stdout == ""
    assert answer.error is None
    assert answer.source_shown.startswith("def square(x):\n    print(")
    assert (t1.passed, t1.score, t1.max_score, t1.hidden_tests) == (False, 0.0, 2.0, True)
    assert t1.source_shown == "assert square(2) == 4"
    assert t1.error == HIDDEN_TEST_FAILED
    assert t1.stdout == ""
    assert (t2.passed, t2.score, t2.max_score) == (False, 0.0, 1.0)
    assert t2.error == "AssertionError: square(-1) should be 1"
    assert (essay.score, essay.max_score, essay.passed) == (None, 2.0, None)
    assert plain.ran
    # A learner cell after a hidden test called the learner's code: its output could carry
    # the hidden test's inputs, so feedback does not show it.
    assert plain.stdout == WITHHELD


def test_a_right_answer_records_passes_and_the_printed_output():
    result = grade("def square(x):\n    return x * x\nprint('defined')")

    answer, t1, t2 = result.steps[1:4]
    assert answer.stdout == "defined\n"
    assert (t1.passed, t1.score, t1.error) == (True, 2.0, None)
    assert (t2.passed, t2.score, t2.error) == (True, 1.0, None)


def test_hidden_tests_are_neither_recorded_nor_shown(wrong):
    html = feedback_html(wrong, title="Squares")

    no_marker(wrong, html)
    assert "assert square(2) == 4" in json.dumps(wrong.as_record())
    assert wrong.cells[0].passed is False
    assert "verdict-failed" in html
    assert DEFAULT_LABELS["hidden_tests"] in html


def test_learner_code_reading_hidden_tests_through_frames_does_not_reach_feedback():
    # The answer collects the calling test's constants; a later cell prints them.
    answer = ("import sys\nseen = []\ndef square(x):\n"
              "    seen.append(sys._getframe(1).f_code.co_consts)\n    return x + x")
    result = grade(answer, extra=[new_code_cell("for c in seen:\n    print(c)")])

    no_marker(result, feedback_html(result, title="Squares"))


def test_a_hidden_test_records_failed_never_its_message():
    step = Step(kind="test", cell_type="code", grade_id="t", points=1.0,
                source="x = 1\n### BEGIN HIDDEN TESTS\nassert x == 2\n### END HIDDEN TESTS",
                has_hidden_tests=True)
    reply = {"status": "error", "error": "AssertionError: anything at all",
             "stdout": "printed", "stderr": False}

    outcome = _step_outcome(step, reply, _Redactor(Plan(steps=[step])))

    assert outcome.error == HIDDEN_TEST_FAILED
    assert (outcome.stdout, outcome.source_shown, outcome.passed) == ("", "x = 1", False)


def test_a_visible_tests_error_is_truncated_and_loses_hidden_lines():
    hidden = Step(kind="test", cell_type="code", grade_id="h", points=1.0,
                  source="### BEGIN HIDDEN TESTS\nexpected = compute_expected(3)\n"
                         "assert ok, 'the hidden words'\n### END HIDDEN TESTS",
                  has_hidden_tests=True)
    visible = Step(kind="test", cell_type="code", grade_id="v", points=1.0,
                   source="assert ok")
    redact = _Redactor(Plan(steps=[hidden, visible]))
    leaky = ("AssertionError: got 4\nexpected = compute_expected(3)\nsee 'the hidden words'\n"
             "end")

    assert _step_outcome(visible, {"status": "error", "error": leaky, "stdout": "printed"},
                         redact).error == "AssertionError: got 4\nend"
    long = _step_outcome(visible, {"status": "error", "error": "E: " + "x" * 5000}, redact)
    assert len(long.error) == TEST_ERROR_CAP
    assert long.stdout == ""


def test_a_failure_by_stderr_has_no_error_and_does_not_pass():
    step = Step(kind="test", cell_type="code", grade_id="t", points=1.0, source="pass")
    outcome = _step_outcome(step, {"status": "ok", "error": None, "stderr": True},
                            _Redactor(Plan(steps=[step])))

    assert (outcome.passed, outcome.score, outcome.error, outcome.ran) == (False, 0.0, None, True)


def test_record_round_trips_through_json_and_as_dict_stays_as_it_was(wrong):
    record = json.loads(json.dumps(wrong.as_record()))

    assert GradeResult.from_record(record) == wrong
    assert list(wrong.as_dict()) == ["status", "score", "max_score", "needs_manual_grade",
                                     "cells", "message"]
    assert list(wrong.as_dict()["cells"][0]) == ["grade_id", "score", "max_score", "passed"]
    assert record["steps"][2]["error"] == HIDDEN_TEST_FAILED
    assert GradeResult.from_record(wrong.as_dict()).steps == []


def test_recorded_text_is_storable_in_postgresql():
    result = grade("def square(x):\n    return x * x\nprint('a\\x00b')")

    assert result.steps[1].stdout == "a\ufffdb\n"
    assert _storable("lone \ud800 surrogate") == "lone ? surrogate"
    json.dumps(result.as_record()).encode("utf-8")


def test_the_cell_that_stopped_the_notebook_says_so():
    result = grade("def square(x):\n    return x * x",
                   extra=[new_code_cell("import os\nos._exit(1)"), new_code_cell("print(1)")])

    assert result.status == "kernel_died"
    assert result.steps[-2].ran
    assert result.steps[-2].error.startswith("KernelDied")
    assert not result.steps[-1].ran


# --- The page --------------------------------------------------------------------------------


def test_the_page_loads_nothing_from_the_network(wrong):
    html = feedback_html(wrong, title="Squares")

    assert "http://" not in html
    assert "https://" not in html
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.IGNORECASE)
    links = re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"' >]*)""", html, re.IGNORECASE)
    assert links
    assert all(link.startswith("#") for link in links)
    assert "url(" not in html


def test_learner_text_is_escaped(wrong):
    essay = replace(wrong.steps[4], source_shown="<img src=x onerror=alert(2)> *hi*")
    result = replace(wrong, steps=[*wrong.steps[:4], essay, *wrong.steps[5:]])
    result.steps[1] = replace(result.steps[1], stdout="<script>alert(1)</script>\n")

    html = feedback_html(result, title="<b>Squares</b>")

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<b>Squares" not in html
    assert "&lt;b&gt;Squares" in html


def test_printed_html_from_a_real_grade_is_escaped():
    result = grade("def square(x):\n    return x * x\nprint('<script>alert(1)</script>')")

    html = feedback_html(result, title="Squares")

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_tests_show_pass_fail_and_points(wrong):
    right = grade("def square(x):\n    return x * x")

    html = feedback_html(right, title="Squares")

    assert html.count("verdict-passed") == 4  # two tests, each in the contents and the cell
    assert "Score: 2 / 2" in html
    assert "Score: 3 / 5" in html
    assert "Score: – / 2" in html
    assert DEFAULT_LABELS["manual"] in html
    assert "square(-1) should be 1" in feedback_html(wrong, title="Squares")


def test_labels_come_translated():
    result = grade("def square(x):\n    return x * x")
    labels = {"score": "점수", "passed": "통과", "failed": "실패",
              "hidden_tests": "숨겨진 테스트"}

    html = feedback_html(result, title="제곱", labels=labels)

    assert "점수: 2 / 2" in html
    assert "통과" in html
    assert "숨겨진 테스트" in html
    assert "Score" not in html
    assert "Passed" not in html
    with pytest.raises(ValueError, match="Scroe"):
        feedback_html(result, title="x", labels={"Scroe": "점수"})


@pytest.mark.parametrize("status", ["timed_out", "kernel_died"])
def test_a_notebook_that_did_not_finish_shows_why_at_the_top(wrong, status):
    result = replace(wrong, status=status, message="The <notebook> stopped early.")

    html = feedback_html(result, title="Squares")

    assert f"status-{status}" in html
    assert "The &lt;notebook&gt; stopped early." in html
    assert html.index("stopped early") < html.index('id="notebook"')


def test_a_graded_notebook_shows_no_status_message(wrong):
    assert 'role="alert"' not in feedback_html(wrong, title="Squares")


def test_the_exporter_is_built_once():
    assert feedback._get_exporter() is feedback._get_exporter()


def test_the_instructors_markdown_is_rendered_and_sanitised(wrong):
    html = feedback_html(wrong, title="Squares")

    assert '<h1 id="Squares">' in html
    assert "<code>square</code>" in html
    step = StepOutcome(kind="locked", cell_type="markdown", grade_id="m",
                       source_shown="<script>bad()</script>\n\n<style>x{}</style>\n\n"
                                    "[a](#top) [b](https://example.com)")
    page = feedback_html(replace(wrong, steps=[step]), title="x")
    assert "<script>bad" not in page
    assert "<style>x{}" not in page
    assert "example.com" not in page
    assert '<a href="#top">a</a>' in page


PLOT_SOURCE = new_notebook(cells=[
    new_code_cell("import matplotlib.pyplot as plt\n1 + 1"),
    new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                  "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
    new_code_cell("plt.plot([1, 4, 9])\nplt.show()\n'shown'"),
    new_code_cell("assert square(2) == 4", metadata=meta(grade=True, grade_id="t1", points=1)),
])


def test_figures_show_as_png_images_and_outputs_carry_their_cell_numbers():
    result = grade("def square(x):\n    return x * x", source=PLOT_SOURCE)

    assert [len(s.images) for s in result.steps] == [0, 0, 1, 0]
    assert result.steps[0].stdout == "Out[1]: 2\n"
    assert result.steps[2].stdout == "Out[3]: 'shown'\n"
    page = feedback_html(result, title="Plots")
    assert page.count('src="data:image/png;base64,iVBORw0KGgo') == 1
    assert "In\xa0[3]:" in page
    assert "Out[0]" not in page


def test_only_png_figures_within_the_caps_reach_the_record():
    import base64

    from grading.autograder.engine import IMAGE_CAP, PNG_SIGNATURE, _png_images

    png = base64.b64encode(PNG_SIGNATURE + b"\0" * 10).decode()
    svg = base64.b64encode(b"<svg onload='alert(1)'/>").decode()
    large = base64.b64encode(PNG_SIGNATURE + b"\0" * IMAGE_CAP).decode()
    assert _png_images([png, svg, large, "not base64!", 7, {"x": 1}]) == [png]
    assert _png_images("nope") == []
    assert _png_images([png] * 10) == [png] * 4


def test_a_figure_that_is_not_base64_is_not_put_on_the_page():
    step = StepOutcome(kind="plain", cell_type="code", grade_id=None, source_shown="x",
                       ran=True, images=['"><script>alert(1)</script>'])
    page = feedback_html(GradeResult(status="graded", score=0, max_score=0,
                                     needs_manual_grade=False, steps=[step]), title="x")
    assert "<script>alert" not in page
    assert "data:image/png" not in page


def test_figures_are_withheld_once_hidden_tests_have_called_the_learners_code():
    plan_step = Step(kind="plain", cell_type="code", source="plt.plot([1])")
    reply = {"status": "ok", "stdout": "", "error": None, "images": ["iVBORw0KGgo="]}
    shown = _step_outcome(plan_step, reply, _Redactor(Plan(steps=[plan_step])))
    withheld = _step_outcome(plan_step, reply, _Redactor(Plan(steps=[plan_step])),
                             withheld=True)
    assert shown.images == ["iVBORw0KGgo="]
    assert withheld.images == []


BIG_FIGURES_SOURCE = new_notebook(cells=[
    new_code_cell("import matplotlib.pyplot as plt\nimport numpy as np"),
    new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                  "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
    # Noise does not compress: four of these would make a reply of many megabytes, over what
    # the sandbox carries, and the cell would pass for timed out.
    new_code_cell("for _ in range(4):\n"
                  "    plt.figure(figsize=(12, 12)); plt.imshow(np.random.rand(900, 900))\n"
                  "plt.figure(figsize=(400, 400)); plt.plot([1, 2])"),
    new_code_cell("assert square(3) == 9", metadata=meta(grade=True, grade_id="t1", points=1)),
])


def test_large_figures_are_left_out_and_the_notebook_is_graded_whole():
    from grading.autograder.engine import IMAGE_CAP, IMAGES_TOTAL_CAP

    result = grade("def square(x):\n    return x * x", source=BIG_FIGURES_SOURCE)

    assert result.status == "graded"
    assert result.score == 1
    assert all(step.error is None for step in result.steps if step.ran)
    images = [image for step in result.steps for image in step.images]
    assert sum(len(image) * 3 // 4 for image in images) <= IMAGES_TOTAL_CAP
    assert all(len(image) * 3 // 4 <= IMAGE_CAP for image in images)
