"""Running the grading engine for an assignment: the worker's copies of its data files and
the sandboxes of the configured backend (the local pool, or Docker / Kubernetes pairs)."""

from __future__ import annotations

import functools
import hashlib
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError

from grading.autograder.engine import GradeResult, notebook_grade
from grading.autograder.sandbox.base import create_pair
from grading.autograder.sandbox.local import SandboxUnavailable
from grading.models import Assignment, AssignmentDataFile
from grading.workers import sandbox_limits, sandbox_pool

# What the grading tasks retry: the infrastructure failed, not the notebook (a notebook that
# fails is a grade, not a retry).
INFRASTRUCTURE_ERRORS = (SandboxUnavailable, OperationalError, InterfaceError, ConnectionError)

def files_digest(files) -> str:
    return hashlib.sha256("".join(f"{f.name}:{f.sha256}:{f.hidden:d};"
                                  for f in files).encode()).hexdigest()


def data_digest(assignment: Assignment) -> str:
    """One hash for the assignment's data files (names, contents, hidden or not)."""
    return files_digest(assignment.data_files.order_by("name"))


def data_dirs(assignment: Assignment) -> tuple[Path | None, Path | None]:
    """Worker-local copies of the assignment's visible and hidden data files."""
    files = list(assignment.data_files.order_by("name"))
    return (_files_dir([f for f in files if not f.hidden]),
            _files_dir([f for f in files if f.hidden]))


def _files_dir(files: list[AssignmentDataFile]) -> Path | None:
    """A worker-local copy of ``files`` (reused while unchanged)."""
    if not files:
        return None
    target = Path(tempfile.gettempdir()) / "aimd-grading-data" / files_digest(files)[:32]
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="data-", dir=target.parent))
        for data_file in files:
            with data_file.file.open("rb") as stream, open(staging / data_file.name, "wb") as out:
                shutil.copyfileobj(stream, out)
        try:
            staging.rename(target)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _sandbox_factory():
    """Sandbox pairs of the configured backend other than local (which the pool serves)."""
    backend = settings.GRADING_SANDBOX_BACKEND
    if backend == "local":
        return None
    options = {"docker": {"image": settings.GRADING_SANDBOX_IMAGE},
               "kubernetes": {"image": settings.GRADING_SANDBOX_IMAGE,
                              "namespace": settings.GRADING_KUBERNETES_NAMESPACE}}
    return functools.partial(create_pair, backend, limits=sandbox_limits(),
                             **options.get(backend, {}))


def grade_bytes(*, assignment: Assignment, source: bytes, submission: bytes,
                reveal: bool = False) -> GradeResult:
    """Grade through the worker's sandbox pool (see ``grading.workers``) or backend
    (``reveal``: every test's own error, for the release check)."""
    data_dir, hidden_dir = data_dirs(assignment)
    return notebook_grade(source=source, submission=submission,
                          sandbox_factory=_sandbox_factory(),
                          data_dir=data_dir, hidden_dir=hidden_dir, reveal=reveal,
                          timeout=float(assignment.time_limit_seconds),
                          cell_timeout=min(settings.GRADING_CELL_TIMEOUT,
                                           float(assignment.time_limit_seconds)),
                          max_bytes=settings.GRADING_MAX_NOTEBOOK_BYTES, limits=sandbox_limits(),
                          pool=sandbox_pool())
