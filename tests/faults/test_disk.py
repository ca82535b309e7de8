"""Learner code that fills the sandbox's disk: one file beyond the file-size limit, or many
smaller files in the work directory or /tmp (tmpfs mounts of ``Limits.disk_bytes`` and
``Limits.tmp_bytes``, counted in the sandbox's memory).

The grade is stored with a message saying what happened (in every language of the site),
the worker's disk is never touched and nothing is left behind, and the worker goes on
grading. The engine cases use the real bubblewrap sandbox with small limits; the last case
goes through a real Celery worker and the learner's feedback page.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.urls import reverse

from grading.autograder.engine import DISK_FULL, FILE_TOO_LARGE
from grading.autograder.sandbox.local import (
    Limits,
    SandboxPair,
    SandboxUnavailable,
    reaper_drain,
    sweep_stale,
)
from grading.models import Grade
from grading.services.grades import grade_feedback_ensure
from grading.services.submissions import submission_create
from tests.grading.conftest import notebook_with
from tests.grading.test_engine import grade
from tests.grading.test_worker import RIGHT, start_worker, stop_worker, wait_for

MB = 1024 * 1024
BIG_FILE = ("with open('big.bin', 'wb') as f:\n    while True:\n        f.write(b'x' * 1_000_000)\n"
            "def square(x):\n    return x * x")
MANY_FILES = ("for i in range(100_000):\n"
              "    with open(f'{folder}/part{{i}}.bin', 'wb') as f:\n"
              "        f.write(b'x' * 1_000_000)\n"
              "def square(x):\n    return x * x")


def _graded_in(limits: Limits, answer: str, **kwargs):
    """Grade ``answer`` in a sandbox pair of our own, to look at it afterwards."""
    made: list[SandboxPair] = []

    def pair(preload=()) -> SandboxPair:
        made.append(SandboxPair(limits=limits, preload=preload))
        return made[-1]

    return grade(answer, sandbox_factory=pair, **kwargs), made[0]


def _answer_error(result) -> str:
    return next(s.error for s in result.steps if s.kind == "answer") or ""


def _gone(pair: SandboxPair) -> bool:
    """The pair's processes ended at once when grading returned; its directories are gone
    once the reaper has been (it does the removal off the grading path)."""
    for sandbox in (pair.learner, pair.judge):
        sandbox.process.wait(timeout=5)  # stopped by the grader, not by the reaper's kill
    assert reaper_drain(timeout=30)
    return all(s.process.poll() is not None and not s.workdir.parent.exists()
               for s in (pair.learner, pair.judge))


def test_a_file_beyond_the_size_limit_is_explained_and_leaves_nothing():
    result, sandbox = _graded_in(Limits(file_bytes=5 * MB), BIG_FILE)

    assert result.status == "graded"  # the notebook ran to its end: a grade, not a crash
    assert result.message == FILE_TOO_LARGE
    assert "File too large" in _answer_error(result)
    assert _gone(sandbox)


@pytest.mark.parametrize("folder", [".", "/tmp"])  # noqa: S108 - inside the sandbox
def test_many_files_fill_the_sandboxs_quota_not_the_workers_disk(folder):
    started = time.monotonic()
    result, sandbox = _graded_in(Limits(file_bytes=5 * MB, disk_bytes=20 * MB),
                                 MANY_FILES.format(folder=folder))

    assert result.status == "graded"
    assert result.message == DISK_FULL
    assert "No space left on device" in _answer_error(result)
    assert time.monotonic() - started < 20  # stopped by the quota, not by the time limit
    assert _gone(sandbox)


def test_each_sandbox_starts_with_its_whole_quota():
    fill = MANY_FILES.format(folder=".")
    _graded_in(Limits(disk_bytes=20 * MB), fill)
    result, _sandbox = _graded_in(Limits(disk_bytes=20 * MB), "import os\n"
                                  "s = os.statvfs('.')\nprint(s.f_bavail * s.f_frsize)\n"
                                  "def square(x):\n    return x * x")

    free = int(next(s.stdout for s in result.steps if s.kind == "answer"))
    assert free > 19 * MB
    assert result.score == 3.0


def test_data_files_larger_than_the_quota_are_the_sites_problem_not_a_grade(tmp_path):
    (tmp_path / "data.bin").write_bytes(b"x" * (3 * MB))

    with pytest.raises(SandboxUnavailable, match="GRADING_DISK_BYTES"):
        _graded_in(Limits(disk_bytes=2 * MB), "def square(x):\n    return x * x",
                   data_dir=tmp_path)


def test_data_files_are_read_only_outside_and_copied_in(tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    result, sandbox = _graded_in(
        Limits(), "import os\n"
        "print(open('data.csv').read().strip(), os.listdir('/run/aimd-inbox'))\n"
        "open('data.csv', 'a').write('3,4\\n')\n"
        "try:\n    open('/run/aimd-inbox/x', 'w')\nexcept OSError as e:\n    print(e.errno)\n"
        "def square(x):\n    return x * x", data_dir=tmp_path)

    out = next(s.stdout for s in result.steps if s.kind == "answer")
    assert "a,b\n1,2 ['data.csv']" in out
    assert "30" in out.split()[-1]  # EROFS: the handed-in files cannot be changed
    assert result.score == 3.0
    assert _gone(sandbox)
    assert (tmp_path / "data.csv").read_text() == "a,b\n1,2\n"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_stores_the_message_in_each_language_and_goes_on(
        client, private_broker, monkeypatch, released_assignment, enrolled_learner):
    monkeypatch.setenv("GRADING_DISK_BYTES", str(32 * MB))  # read by the worker's settings
    monkeypatch.setenv("GRADING_FILE_BYTES", str(8 * MB))
    worker = start_worker(private_broker.url)
    try:
        filler = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=notebook_with(MANY_FILES.format(folder="."))).submission
        filled = wait_for(lambda: Grade.objects.filter(submission=filler).first(),
                          timeout=120, what="the grade of the disk filler")
        after = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                  data=notebook_with(RIGHT)).submission
        next_grade = wait_for(lambda: Grade.objects.filter(submission=after).first(),
                              timeout=120, what="the next grade")
        survived = worker.poll() is None
    finally:
        stop_worker(worker)

    assert (filled.status, filled.auto_score) == ("graded", 0)
    assert set(filled.messages) == {"ko", "en"}
    assert filled.messages["en"] == DISK_FULL
    assert filled.messages["ko"] != DISK_FULL  # the Korean catalogue's text
    assert grade_feedback_ensure(filled)  # made on the first view, as the page does
    assert DISK_FULL in filled.feedback["en"]
    client.force_login(enrolled_learner)
    page = client.get(reverse("grading:feedback", args=[filler.pk]))
    assert "No space left on device" in page.content.decode()
    panel = client.get(reverse("grading:panel", args=[released_assignment.key]))
    assert "No space left on device" in panel.content.decode()  # beside the score
    assert survived
    assert (next_grade.status, next_grade.auto_score) == ("graded", 3)


def test_nothing_of_a_sandbox_is_left_in_the_workers_temp_dir(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    _graded_in(Limits(file_bytes=5 * MB), BIG_FILE)
    _graded_in(Limits(disk_bytes=20 * MB), MANY_FILES.format(folder="."))
    assert reaper_drain(timeout=30)

    assert list(Path(tmp_path).iterdir()) == []


def test_a_dead_workers_sandbox_directories_are_swept_when_a_pool_starts(tmp_path,
                                                                          monkeypatch):
    # A worker killed with SIGKILL cleans nothing up: its sandboxes' directories stay.
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    dead = tmp_path / "grade-999999999-learner-abc"
    live = tmp_path / f"grade-{os.getpid()}-judge-def"
    for folder in (dead, live):
        (folder / "work").mkdir(parents=True)

    sweep_stale()

    assert not dead.exists()
    assert live.exists()  # this process's own, maybe in use
