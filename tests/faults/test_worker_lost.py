"""The whole grading worker (its main process and its pool children) killed with SIGKILL in
the middle of a grade, as when the machine or its container is killed, then a new worker.

tests/grading/test_worker.py covers a pool child killed alone (Celery sees it and the
message is delivered again at once). Here nobody is left to see it: the message stays
unacknowledged in Redis until the broker's visibility timeout (an hour), so the sweep
restarts the grading once it has run longer than the assignment's time limit plus
GRADING_STUCK_AFTER_SECONDS. Meanwhile the learner's panel says "Grading…", not an error;
in the end there is exactly one grade.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from django.urls import reverse

from grading.models import Assignment, Grade, SubmissionState
from grading.services.submissions import submissions_sweep
from tests.grading.test_worker import (
    start_worker,
    stop_worker,
    submission_being_graded,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True,
                         check=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        child, parent = (int(x) for x in line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_killed_whole_mid_grade_is_graded_once_by_the_next(
        client, private_broker, settings, released_assignment, enrolled_learner):
    # A short time limit, so that the sweep may call the grading stuck within the test.
    Assignment.objects.filter(pk=released_assignment.pk).update(time_limit_seconds=8)
    settings.GRADING_STUCK_AFTER_SECONDS = 1
    client.force_login(enrolled_learner)
    panel_url = reverse("grading:panel", args=[released_assignment.key])
    first = start_worker(private_broker.url)
    second = None
    try:
        # Given a submission being graded,
        submission = submission_being_graded(released_assignment, enrolled_learner)
        tree = _descendants(first.pid)  # pool children, their sandboxes and runners
        assert tree, "the worker has no child process"

        # when the whole worker is killed,
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)

        # then nothing of it keeps running,
        wait_for(lambda: not any(_running(pid) for pid in tree), timeout=15,
                 what="the killed worker's sandboxes to end")
        # the learner is told the notebook is being graded (not an error),
        panel = client.get(panel_url)
        html = panel.content.decode()
        assert panel["X-Grading-Pending"] == "1"
        assert "Grading…" in html
        assert "tag--failed" not in html
        # and the sweep leaves it alone while it may still be running.
        assert submissions_sweep() == {"requeued": 0, "given_up": 0}

        # When a new worker starts and the sweep finds the grading stuck,
        second = start_worker(private_broker.url)
        wait_for(lambda: submissions_sweep()["requeued"], timeout=60,
                 what="the sweep to restart the stuck grading")
        grade = wait_for(lambda: Grade.objects.filter(submission=submission).first(),
                         timeout=120, what="the grade from the new worker")
        time.sleep(2)  # a duplicate delivery would store (or fail to store) a second grade
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        stop_worker(first)
        if second is not None:
            stop_worker(second)

    # then the submission has exactly one grade, from the second try.
    submission.refresh_from_db()
    assert Grade.objects.filter(submission=submission).count() == 1
    assert (grade.status, grade.auto_score) == ("graded", 3)
    assert submission.state == SubmissionState.DONE
    assert submission.grading_attempts == 2
    panel = client.get(panel_url)
    assert panel["X-Grading-Pending"] == "0"
    assert reverse("grading:feedback", args=[submission.pk]) in panel.content.decode()
