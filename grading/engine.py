"""Grading one submission against its source, in a fresh sandbox, by nbgrader's rules.

``notebook_grade`` is what the pipeline and ``manage.py grade_notebook`` call. It never
trusts the submission beyond its answer cells (see ``grading.notebooks``), runs the cells in a
sandbox (``grading.sandbox``) and scores each test as nbgrader does: 0 with an error or any
output on stderr, the value of a trailing number as partial credit, otherwise full points.
A test counts only when the runner answered for it with this run's nonce.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grading.notebooks import Plan, grading_plan, notebook_load, source_validate
from grading.sandbox.local import Limits, LocalSandbox, SandboxPool

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
START_TIMEOUT = 30.0


@dataclass
class CellResult:
    grade_id: str
    score: float
    max_score: float
    passed: bool


@dataclass
class GradeResult:
    status: str  # "graded", "timed_out", "kernel_died", "error"
    score: float
    max_score: float
    needs_manual_grade: bool
    cells: list[CellResult] = field(default_factory=list)
    message: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _test_score(reply: dict, points: float) -> float:
    if reply.get("status") != "ok" or reply.get("stderr"):
        return 0.0
    value = reply.get("value")
    if value is not None:
        try:
            partial = float(value)
        except ValueError:
            return points
        if 0 <= partial <= points:
            return partial
    return points


def notebook_grade(*, source: bytes, submission: bytes, data_dir: Path | None = None,
                   timeout: float = 60.0, cell_timeout: float = 30.0,
                   max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits | None = None,
                   pool: SandboxPool | None = None) -> GradeResult:
    """Grade ``submission`` against ``source``. Raises NotebookInvalid for unusable input.

    With a ``pool`` the sandbox comes ready from it; otherwise one is started (and its
    start-up counts against ``timeout``).
    """
    source_nb = notebook_load(source, max_bytes=max_bytes)
    source_validate(source_nb)
    plan = grading_plan(source=source_nb, submission=notebook_load(submission,
                                                                   max_bytes=max_bytes))
    sandbox = pool.take() if pool else LocalSandbox(limits=limits)
    try:
        if data_dir:
            shutil.copytree(data_dir, sandbox.workdir, dirs_exist_ok=True)
        return _run_plan(plan, sandbox=sandbox, timeout=timeout, cell_timeout=cell_timeout)
    finally:
        sandbox.kill()


def _run_plan(plan: Plan, *, sandbox: LocalSandbox, timeout: float,
              cell_timeout: float) -> GradeResult:
    deadline = time.monotonic() + timeout
    replies: dict[int, dict] = {}
    status, message = "graded", ""
    if not sandbox.wait_ready(timeout=min(START_TIMEOUT, timeout)):
        status, message = "kernel_died", "The grading environment did not start."
    else:
        for index, step in enumerate(plan.steps):
            if not step.runs:
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                status, message = "timed_out", "The notebook took too long to run."
                break
            nonce = secrets.token_hex(16)
            sandbox.send({"op": "cell", "kind": "test" if step.kind == "test" else "cell",
                          "code": step.source, "nonce": nonce,
                          "timeout": min(cell_timeout, left)})
            reply = sandbox.receive(timeout=min(cell_timeout, left) + 5)
            if reply is None or reply.get("nonce") != nonce:
                status = "kernel_died"
                message = ("The notebook stopped the Python process (for example by "
                           "exiting or using too much memory); later cells did not run.")
                break
            if reply["status"] == "timeout":
                status, message = "timed_out", "A cell ran longer than its time limit."
                break
            replies[index] = reply

    cells = []
    for index, step in enumerate(plan.steps):
        if step.kind != "test" or step.manual:
            continue
        reply = replies.get(index)
        score = _test_score(reply, step.points) if reply else 0.0
        cells.append(CellResult(grade_id=step.grade_id, score=score, max_score=step.points,
                                passed=reply is not None and reply.get("status") == "ok"
                                and not reply.get("stderr")))
    for step in plan.steps:
        if step.manual:
            cells.append(CellResult(grade_id=step.grade_id, score=0.0, max_score=step.points,
                                    passed=False))
    return GradeResult(status=status, score=sum(c.score for c in cells),
                       max_score=plan.max_score, needs_manual_grade=plan.needs_manual_grade,
                       cells=cells, message=message)
