"""Grading one submission against its source, in fresh sandboxes, by nbgrader's rules.

``notebook_grade`` is what the pipeline, the release check and ``manage.py grade_notebook``
call. It never trusts the submission beyond its answer cells (see
``grading.autograder.notebooks``), runs the learner's cells in one sandbox and every test in
another, the judge (``inside/judge.py``), and scores each test as nbgrader does: 0 with an
error or any output on stderr, the value of a trailing number as partial credit, otherwise
full points. Only the judge's answers count; nothing the learner's process says is trusted.

Besides the scores (``GradeResult.as_dict``, what ``manage.py grade_notebook --json`` prints),
a result carries one ``StepOutcome`` per step of the plan: what the feedback page
(``grading.autograder.feedback``) shows and what the site stores (``GradeResult.as_record``).
Hidden tests never reach them: a test's source is shown as released (hidden region removed),
a hidden test's failure is recorded as the fixed string ``"failed"``, every error or printed
line that contains a line or a string literal of a hidden region is dropped, and once a hidden
test has called the learner's code, the learner's later output is withheld (it could carry
the hidden test's inputs, in any encoding).
"""

from __future__ import annotations

import base64
import binascii
import builtins
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from grading.autograder.notebooks import (
    Plan,
    Step,
    _replace_regions,
    answer_names,
    grading_plan,
    instructor_names,
    judge_setup,
    notebook_load,
    preload_for,
    source_validate,
)
from grading.autograder.sandbox.clock import NotebookClock
from grading.autograder.sandbox.local import (
    DEFAULT_PRELOAD,
    Limits,
    SandboxPair,
    SandboxPairBase,
    SandboxPool,
    SandboxUnavailable,
    pair_dispose,
)
from grading.autograder.seccomp import runner_program

logger = logging.getLogger(__name__)


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogues (makemessages finds this name). Messages are
    stored in English and translated where they are shown; Django's own ``gettext_noop``
    would need settings, which ``manage.py grade_notebook`` runs without."""
    return message


DEFAULT_MAX_BYTES = 5 * 1024 * 1024
START_TIMEOUT = 30.0
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
HIDDEN_TEST_FAILED = "failed"  # the only error a test with hidden tests ever records
TEST_ERROR_CAP = 500  # characters of a visible test's error description
ERROR_CAP = 2000  # characters of a learner cell's error description (the runner's cap)
OUTPUT_CAP = 20_000  # characters of a cell's printed output (the runner's cap)
IMAGES_PER_CELL = 4  # figures of one cell shown in feedback
IMAGE_CAP = 200_000  # bytes of one figure (PNG)
IMAGES_TOTAL_CAP = 600_000  # bytes of all figures of a notebook (kept in the grade)
TEXT_TOTAL_CAP = 200_000  # characters of all cells' output and errors (kept in the grade)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RECORD_VERSION = 1
TIMEOUT_ERROR = "TimeoutError: the cell ran longer than its time limit"
DIED_ERROR = "KernelDied: the Python process stopped during this cell"
# A notebook that ran to its end but hit the sandbox's file-size or disk limit on the way:
# the cell's own error ("OSError: [Errno 27] File too large") is easy to miss, so say it.
FILE_TOO_LARGE = gettext_noop(
    "Your notebook tried to write a file larger than grading allows, so that cell stopped "
    "with an error (File too large). Write smaller files, or keep the data in memory.")
DISK_FULL = gettext_noop(
    "Your notebook filled the disk space grading allows, so that cell stopped with an error "
    "(No space left on device). Write fewer or smaller files.")


@dataclass
class CellResult:
    grade_id: str
    score: float
    max_score: float
    passed: bool


@dataclass
class StepOutcome:
    """What feedback shows for one step of the plan, in the plan's order.

    ``source_shown`` is the learner's text for answer and plain cells and the released text
    (hidden tests removed) for the source's cells. ``stdout`` is a learner or locked cell's
    captured output (tests: always empty). ``error`` is the runner's one-line description,
    except for tests with hidden tests (``HIDDEN_TEST_FAILED`` or None). ``passed`` is set for
    automatically graded tests only; ``score`` for those tests too (None while a cell waits
    for an instructor); ``max_score`` for every graded cell. ``ran`` is False for markdown
    cells and for code cells that did not run (the notebook died or timed out before).
    """

    kind: str  # "answer", "locked", "test", "task" or "plain"
    cell_type: str  # "code" or "markdown"
    grade_id: str | None
    source_shown: str
    stdout: str = ""
    error: str | None = None
    passed: bool | None = None
    score: float | None = None
    max_score: float | None = None
    ran: bool = False
    hidden_tests: bool = False  # a test whose source has hidden tests (not shown)
    images: list[str] = field(default_factory=list)  # base64 PNG figures (checked, capped)


@dataclass
class GradeResult:
    status: str  # "graded", "timed_out", "kernel_died", "error"
    score: float
    max_score: float
    needs_manual_grade: bool
    cells: list[CellResult] = field(default_factory=list)
    message: str = ""
    steps: list[StepOutcome] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The scores, as ``manage.py grade_notebook --json`` prints them (no steps)."""
        return {"status": self.status, "score": self.score, "max_score": self.max_score,
                "needs_manual_grade": self.needs_manual_grade,
                "cells": [asdict(c) for c in self.cells], "message": self.message}

    def as_record(self) -> dict:
        """Everything, steps included, as JSON-serialisable data for the site to store."""
        return {**self.as_dict(), "steps": [asdict(s) for s in self.steps],
                "version": RECORD_VERSION}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> GradeResult:
        """The result ``as_record`` stored (unknown keys ignored, missing steps empty)."""
        step_fields = {f.name for f in fields(StepOutcome)}
        return cls(
            status=record["status"], score=float(record["score"]),
            max_score=float(record["max_score"]),
            needs_manual_grade=bool(record["needs_manual_grade"]),
            cells=[CellResult(grade_id=c["grade_id"], score=float(c["score"]),
                              max_score=float(c["max_score"]), passed=bool(c["passed"]))
                   for c in record.get("cells", [])],
            message=record.get("message", ""),
            steps=[StepOutcome(**{k: v for k, v in s.items() if k in step_fields})
                   for s in record.get("steps", [])],
        )


def _test_score(reply: dict, points: float) -> float:
    """nbgrader's score of a test: 0 with an error or stderr output; a trailing number is
    partial credit. A number outside [0, points] (NaN, negative, too large: a learner's value
    can be the trailing one) scores 0, where nbgrader would give full points or fail."""
    if reply.get("status") != "ok" or reply.get("stderr"):
        return 0.0
    value = reply.get("value")
    if value is not None:
        try:
            partial = float(value)
        except ValueError:
            return points
        return partial if 0 <= partial <= points else 0.0
    return points


def notebook_grade(*, source: bytes, submission: bytes, data_dir: Path | None = None,
                   hidden_dir: Path | None = None, timeout: float = 60.0,
                   cell_timeout: float = 30.0, max_bytes: int = DEFAULT_MAX_BYTES,
                   limits: Limits | None = None, pool: SandboxPool | None = None,
                   sandbox_factory: Callable[..., SandboxPairBase] | None = None,
                   reveal: bool = False) -> GradeResult:
    """Grade ``submission`` against ``source``. Raises NotebookInvalid for unusable input.

    The learner's cells run in one sandbox, every test in another (the judge; see
    docs/grading-engine.md). ``data_dir`` holds the data files both see, ``hidden_dir`` those
    only the judge sees. The pair comes ready from ``pool`` when one is given, else from
    ``sandbox_factory`` (another backend), else a local pair is started; start-up then
    counts against ``timeout``. ``reveal`` keeps every test's own error in the steps, hidden
    tests' too: for the instructor's release check, never for a learner's feedback.
    """
    source_nb = notebook_load(source, max_bytes=max_bytes)
    source_validate(source_nb)
    plan = grading_plan(source=source_nb, submission=notebook_load(submission,
                                                                   max_bytes=max_bytes))
    if pool is not None:
        pair = pool.take(preload=preload_for(source_nb, pool.allowed))
        limits = pool.limits or Limits()
    elif sandbox_factory is not None:
        pair = sandbox_factory(preload=preload_for(source_nb, DEFAULT_PRELOAD))
        limits = limits or Limits()
    else:
        limits = limits or Limits()
        pair = SandboxPair(limits=limits, preload=preload_for(source_nb, DEFAULT_PRELOAD))
    try:
        quota = getattr(pair.learner, "disk_bytes", None)
        if data_dir:
            _data_fits([data_dir], quota=quota)
            for sandbox in (pair.learner, pair.judge):
                shutil.copytree(data_dir, sandbox.workdir, dirs_exist_ok=True)
        if hidden_dir:
            _data_fits([d for d in (data_dir, hidden_dir) if d], quota=quota)
            shutil.copytree(hidden_dir, pair.judge.workdir, dirs_exist_ok=True)
        if not pair.wait_ready(timeout=START_TIMEOUT):
            # Nothing of the learner's has run yet: the machine's fault, never a grade.
            raise SandboxUnavailable("the grading sandbox did not start")
        for sandbox, extra in ((pair.learner, {}),
                               (pair.judge, {"answer_names": sorted(answer_names(source_nb)),
                                             "instructor_names":
                                                 sorted(instructor_names(source_nb)),
                                             "imports": list(judge_setup(source_nb).code)})):
            sandbox.start(seccomp=runner_program(), threads=limits.threads,
                          timeout=START_TIMEOUT, **extra)
        return _run_plan(plan, pair=pair, timeout=timeout, cell_timeout=cell_timeout,
                         reveal=reveal)
    finally:
        pair_dispose(pair)  # stopped now; reaped and removed off the grading path


def _data_fits(folders: list[Path], *, quota: int | None) -> None:
    """Refuse data files larger than the sandbox's disk (the local backend copies them into
    it): the assignment's or the settings' fault, never a learner's grade."""
    size = sum(f.stat().st_size for d in folders for f in d.rglob("*") if f.is_file())
    if quota is not None and size > quota:
        raise SandboxUnavailable(
            f"the assignment's data files ({size} bytes) do not fit the sandbox's disk "
            f"({quota} bytes): raise GRADING_DISK_BYTES")


def _limit_message(replies: dict[int, dict]) -> str:
    """The message for a notebook that hit the file-size or disk limit (else "")."""
    errors = [r.get("error") or "" for r in replies.values() if r.get("status") == "error"]
    if any("[Errno 28]" in e for e in errors):  # ENOSPC
        return DISK_FULL
    if any("[Errno 27]" in e for e in errors):  # EFBIG
        return FILE_TOO_LARGE
    return ""


TIMED_OUT = gettext_noop("A cell ran longer than its time limit.")
NOTEBOOK_TIMED_OUT = gettext_noop("The notebook took too long to run.")
DIED = gettext_noop("The notebook stopped the Python process (for example by exiting or using "
                    "too much memory); later cells did not run.")


def _run_plan(plan: Plan, *, pair: SandboxPairBase, timeout: float, cell_timeout: float,
              reveal: bool = False) -> GradeResult:
    """Run the plan's steps in order: learner cells in the learner process, tests in the
    judge, locked cells in both (the judge keeps its own copy of what they define). Only the
    judge's replies score; the learner's give feedback text."""
    # The limits count the time the notebook had, not the time the machine spent on others
    # (sandbox/clock.py); the wall clock alone may not pass their ``wall_cap``.
    clock = NotebookClock(getattr(pair, "usage", None) or (lambda: None), timeout=timeout,
                          cell_timeout=cell_timeout)

    def ask(sandbox, command: dict) -> dict | None:
        return _ask(sandbox, command, wait=clock.step(), more=clock.more)

    replies: dict[int, dict] = {}
    stopped: dict[int, dict] = {}  # the cell that timed out or died: for feedback, not scores
    withheld: set[int] = set()  # learner text after hidden tests reached the learner process
    status, message = "graded", ""
    tainted = False
    count = 0  # the cell's number ("In [n]"), as the feedback page numbers the cells that ran
    for index, step in enumerate(plan.steps):
        if not step.runs:
            continue
        count += 1
        if clock.over():
            stopped[index] = {"status": "timeout", "error": TIMEOUT_ERROR}
            status, message = "timed_out", NOTEBOOK_TIMED_OUT
            break
        if step.kind == "test":
            reply = ask(pair.judge, {"op": "test", "code": step.source})
        else:
            reply = ask(pair.learner, {"op": "cell", "code": step.source, "count": count})
            if reply is not None and step.kind == "locked":
                judged = ask(pair.judge, {"op": "locked", "code": step.source})
                if judged is None:
                    reply = None
                elif reveal and judged["status"] == "error" and reply["status"] == "ok":
                    # The instructor's check: the judge's own copy failed (e.g. a refused
                    # comparison of a learner object), which the tests will miss.
                    reply = dict(reply, status="error", error=f"{JUDGE_PREFIX}{judged['error']}")
        if reply is None:
            notebook_over = clock.over()
            if notebook_over or pair.alive():
                stopped[index] = {"status": "timeout", "error": TIMEOUT_ERROR}
                status = "timed_out"
                message = NOTEBOOK_TIMED_OUT if notebook_over else TIMED_OUT
            else:
                stopped[index] = {"status": "error", "error": DIED_ERROR}
                status, message = "kernel_died", DIED
            break
        if tainted:
            withheld.add(index)
        replies[index] = reply
        if step.kind == "test" and reply.get("touched") and step.has_hidden_tests:
            tainted = True
        if step.kind == "test" and reply.get("learner_gone"):
            status, message = "kernel_died", DIED
            break
    if status == "graded":
        # (not from withheld cells: which limit one hit would be a bit of a hidden input)
        message = _limit_message({i: r for i, r in replies.items() if i not in withheld})

    cells = []
    for index, step in enumerate(plan.steps):
        if step.kind != "test" or step.manual:
            continue
        reply = replies.get(index)
        cells.append(CellResult(grade_id=step.grade_id, score=_reply_score(reply, step),
                                max_score=step.points, passed=_reply_passed(reply)))
    for step in plan.steps:
        if step.manual:
            cells.append(CellResult(grade_id=step.grade_id, score=0.0, max_score=step.points,
                                    passed=False))
    redact = _Redactor(plan)
    steps = [_step_outcome(step, replies.get(index, stopped.get(index)), redact,
                           withheld=index in withheld and not reveal, reveal=reveal)
             for index, step in enumerate(plan.steps)]
    _cap_images(steps)
    _cap_text(steps)
    return GradeResult(status=status, score=sum(c.score for c in cells),
                       max_score=plan.max_score, needs_manual_grade=plan.needs_manual_grade,
                       cells=cells, message=message, steps=steps)


REPLY_STATUSES = ("ok", "error")
JUDGE_PREFIX = "(in the judge) "


def _ask(sandbox, command: dict, *, wait: float, more: Callable[[], float]
         ) -> dict | None:
    """One command and its "done" answer; None when the runner ended, took too long (``wait``
    seconds, then as long as ``more`` grants) or answered with something else. A learner
    process can write anything on its channel, so the answer's shape is checked and only
    known fields of known types are kept."""
    try:
        sandbox.send(command)
    except OSError:
        return None
    reply = sandbox.receive(timeout=wait, extend=more)
    if not isinstance(reply, dict) or reply.get("op") != "done" \
            or reply.get("status") not in REPLY_STATUSES:
        return None
    return {
        "status": reply["status"],
        "error": _text(reply.get("error"), ERROR_CAP),
        "stdout": _text(reply.get("stdout"), OUTPUT_CAP) or "",
        "images": _png_images(reply.get("images")),
        "value": _text(reply.get("value"), 200),
        "stderr": reply.get("stderr") is True,
        "touched": reply.get("touched") is True,
        "learner_gone": reply.get("learner_gone") is True,
        "refused": reply.get("refused") is True,  # the judge's own (only it says so)
    }


def _png_images(value) -> list[str]:
    """The figures of a learner's reply that are PNG images within the caps, base64-encoded
    again here (the learner's process can send anything)."""
    if not isinstance(value, list):
        return []
    images = []
    for item in value[:IMAGES_PER_CELL]:
        if not isinstance(item, str) or len(item) > IMAGE_CAP * 4 // 3 + 4:
            continue
        try:
            data = base64.b64decode(item, validate=True)
        except (binascii.Error, ValueError):
            continue
        if data.startswith(PNG_SIGNATURE) and len(data) <= IMAGE_CAP:
            images.append(base64.b64encode(data).decode("ascii"))
    return images


OUTPUT_CUT = gettext_noop("(Not shown: the notebook printed more than its feedback can keep.)")


def _cap_text(steps: list[StepOutcome]) -> None:
    """Keep the notebook's printed output and errors within TEXT_TOTAL_CAP, the first ones
    first: each cell's are capped, but a small notebook of many cells printing at their cap
    would make a grade record of hundreds of megabytes (that the database refuses)."""
    left = TEXT_TOTAL_CAP
    for step in steps:
        if step.stdout:
            if len(step.stdout) > left:
                step.stdout = step.stdout[:left] if left >= 1000 else OUTPUT_CUT
            left = max(left - len(step.stdout), 0)
        if step.error:
            if len(step.error) > left:
                step.error = step.error.partition(":")[0][:100]  # the exception's name
            left = max(left - len(step.error), 0)


def _cap_images(steps: list[StepOutcome]) -> None:
    """Keep the notebook's figures within IMAGES_TOTAL_CAP, the first ones first."""
    left = IMAGES_TOTAL_CAP
    for step in steps:
        kept = []
        for image in step.images:
            size = len(image) * 3 // 4
            if size <= left:
                kept.append(image)
                left -= size
        step.images = kept


def _text(value, cap: int) -> str | None:
    return value[:cap] if isinstance(value, str) else None


def _reply_passed(reply: dict | None) -> bool:
    return reply is not None and reply.get("status") == "ok" and not reply.get("stderr")


def _reply_score(reply: dict | None, step: Step) -> float:
    return _test_score(reply, step.points) if reply else 0.0


# --- What feedback may show ------------------------------------------------------------------


def _without_hidden(text: str) -> str:
    """The text as released: hidden-test regions removed (nbgrader's ClearHiddenTests)."""
    if HIDDEN_BEGIN not in text:
        return text
    return _replace_regions(text, HIDDEN_BEGIN, HIDDEN_END, None)


def _hidden_lines(text: str) -> list[str]:
    lines, inside = [], False
    for line in text.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


_LITERAL = re.compile(r"'([^'\\\n]{6,})'|\"([^\"\\\n]{6,})\"")
FRAGMENT_MIN = 6  # shorter hidden lines are only removed where a whole line equals them


class _Redactor:
    """Drops every line that shows a hidden test's text (defence in depth).

    A line is dropped when it contains a line of a hidden region or one of its string
    literals (six characters or more), or equals a shorter hidden line. The runner already
    keeps test output and hidden tests' messages away; this catches what still carries them,
    e.g. a visible test's message built from a hidden test's value, or learner code that prints
    a hidden test's constants read through frames. It cannot stop learner code from leaking
    hidden tests in another encoding (reversed, base64, ...): that is the runner's to refuse.
    """

    def __init__(self, plan: Plan) -> None:
        hidden: list[str] = []
        for step in plan.steps:
            if step.kind in ("test", "locked", "task"):  # the source's cells, not the learner's
                hidden.extend(_hidden_lines(step.source))
        literals = {m.group(1) or m.group(2) for line in hidden for m in _LITERAL.finditer(line)}
        self.contained = {h for h in hidden if len(h) >= FRAGMENT_MIN} | literals
        self.whole = {h for h in hidden if len(h) < FRAGMENT_MIN}

    def __call__(self, text: str | None) -> str | None:
        if not text or not (self.contained or self.whole):
            return text
        return "\n".join(
            line for line in text.split("\n")
            if line.strip() not in self.whole
            and not any(fragment in line for fragment in self.contained))


def _error_shown(error: str | None, step: Step, *, refused: bool = False) -> str | None:
    """An error text once the learner process may carry hidden tests' inputs: whole when it
    is the judge's own refusal (as the judge reports it, never by its text) or a message the
    test's visible source spells out, else only a built-in exception's name."""
    if not error:
        return error
    name, _, message = error.partition(": ")
    visible = _without_hidden(step.source)
    if refused or (step.kind == "test" and message and (
            repr(message) in visible or f'"{message}"' in visible)):
        return error
    # A learner can name its exception classes as it likes: only built-in names are shown.
    builtin = getattr(builtins, name, None)
    if isinstance(builtin, type) and issubclass(builtin, BaseException):
        return name
    return "Error"


def _storable(text: str | None) -> str | None:
    """Text PostgreSQL's jsonb accepts: no NUL characters, no lone surrogates."""
    if text is None:
        return None
    text = text.replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")


WITHHELD = gettext_noop("(Not shown: this ran after hidden tests had called your code, so its "
                        "output could carry them.)")


def _step_outcome(step: Step, reply: dict | None, redact: _Redactor, *,
                  withheld: bool = False, reveal: bool = False) -> StepOutcome:
    ran = reply is not None
    if withheld and reply is not None:
        if step.kind == "test":
            reply = dict(reply, stdout="", error=_error_shown(
                reply.get("error"), step, refused=reply.get("refused")))
        else:
            # A cell of the learner's process: nothing of it, not even whether it failed or
            # printed. A learner may add as many cells as it likes, and each would carry a
            # few bits of the hidden tests' inputs out (its exception's name, its status).
            reply = dict(reply, status="ok", stdout=WITHHELD, error=None)
    outcome = StepOutcome(kind=step.kind, cell_type=step.cell_type, grade_id=step.grade_id,
                          source_shown=step.source, ran=ran)
    if step.kind in ("test", "locked", "task"):
        outcome.source_shown = _without_hidden(step.source)
    if step.points or step.kind in ("test", "task") or step.manual:
        outcome.max_score = step.points
    failed = ran and reply.get("status") != "ok"
    if step.kind == "test":
        if not step.manual:
            outcome.passed = _reply_passed(reply)
            outcome.score = _reply_score(reply, step)
        outcome.hidden_tests = step.has_hidden_tests or HIDDEN_BEGIN in step.source
        if failed:
            if reveal:  # the instructor's own check: every test's real error
                outcome.error = (reply.get("error") or "")[:ERROR_CAP] or None
            elif outcome.hidden_tests:
                outcome.error = HIDDEN_TEST_FAILED
            else:
                outcome.error = (redact(reply.get("error")) or "")[:TEST_ERROR_CAP] or None
    elif ran:
        outcome.stdout = redact(reply.get("stdout") or "") or ""
        if not withheld:  # a figure could carry hidden tests' inputs as well as text can
            outcome.images = list(reply.get("images") or [])
        if failed:
            outcome.error = (redact(reply.get("error")) or "")[:ERROR_CAP] or None
    outcome.source_shown = _storable(outcome.source_shown) or ""
    outcome.stdout = _storable(outcome.stdout) or ""
    outcome.error = _storable(outcome.error)
    return outcome
