"""The broker (Redis) stopped in the middle of a stream of submissions, then restarted empty.

Real parts only: the learner submits through the site (the JSON answer of the submit view),
a real Celery worker grades in the real sandbox, and a private redis-server is stopped with
SIGTERM and started again on the same port without its data. Every submission is accepted
and stored while the broker is down, the learner is told it is queued, the panel says
"waiting", and once the broker is back the sweep sends what is missing: each submission ends
with exactly one grade, none is lost.
"""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading.models import Grade, Submission, SubmissionState
from grading.services.submissions import submissions_sweep
from tests.grading.conftest import notebook_with
from tests.grading.test_worker import start_worker, stop_worker, wait_for

# serialized_rollback: see tests/grading/test_worker.py (the flush would remove the
# migrations' data that later tests need).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Slow enough that a grade is still running when the broker stops.
ANSWER = "import time\ntime.sleep(1.5)\ndef square(x):\n    return x * x  # attempt {n}"


def _submit(client, key: str, n: int):
    """Submit attempt ``n`` (each a different notebook) as the module page's script does."""
    upload = SimpleUploadedFile("squares.ipynb", notebook_with(ANSWER.format(n=n)))
    started = time.monotonic()
    response = client.post(reverse("grading:submit", args=[key]), {"notebook": upload},
                           HTTP_ACCEPT="application/json")
    return response, time.monotonic() - started


def test_a_broker_restart_during_submissions_loses_none(client, private_broker, settings,
                                                       released_assignment, enrolled_learner):
    key = released_assignment.key
    client.force_login(enrolled_learner)
    worker = start_worker(private_broker.url)
    try:
        # Given a worker grading the first submissions,
        for n in (1, 2):
            response, _elapsed = _submit(client, key, n)
            assert response.status_code == 200
            assert "Grading has started" in response.json()["message"]
        wait_for(lambda: Submission.objects.filter(attempt=1, state=SubmissionState.GRADING)
                 .exists(), timeout=90, what="the worker to start grading")

        # when the broker stops in the middle of the stream,
        private_broker.stop()

        # then each further submission is still accepted, stored and said to be queued,
        for n in (3, 4, 5):
            response, elapsed = _submit(client, key, n)
            body = response.json()
            assert response.status_code == 200
            assert body["ok"] is True
            assert "queued" in body["message"]
            assert elapsed < 10  # the learner is not kept waiting on the broker
            stored = Submission.objects.get(learner=enrolled_learner, attempt=n)
            assert stored.sha256[:12] in body["message"]
            assert stored.notebook.open("rb").read() == notebook_with(ANSWER.format(n=n))
            assert stored.enqueued_at is None

        # and the learner's panel says they are waiting, not that anything failed.
        panel = client.get(reverse("grading:panel", args=[key]))
        html = panel.content.decode()
        assert panel["X-Grading-Pending"] == "1"
        assert "Waiting to be graded" in html
        assert "tag--failed" not in html

        # When the broker comes back empty (what was queued in it is gone) and the sweep
        # runs (beat runs it every minute; a lost message is resent after
        # GRADING_QUEUED_RESEND_SECONDS, shortened here),
        private_broker.start()
        settings.GRADING_QUEUED_RESEND_SECONDS = 5

        resent = []

        def all_graded() -> bool:
            resent.append(submissions_sweep()["requeued"])
            return Grade.objects.filter(submission__learner=enrolled_learner).count() == 5

        wait_for(all_graded, timeout=240, what="all five grades after the broker came back")
        assert sum(resent) >= 3  # at least the three that were never sent
        time.sleep(2)  # a duplicate message would now store (or fail to store) a second grade
        survived = worker.poll() is None
    finally:
        stop_worker(worker)

    # then every submission has exactly one grade, and the worker lived through it all.
    assert survived
    submissions = Submission.objects.filter(learner=enrolled_learner).order_by("attempt")
    assert [s.attempt for s in submissions] == [1, 2, 3, 4, 5]
    for submission in submissions:
        assert Grade.objects.filter(submission=submission).count() == 1
        assert (submission.grade.status, submission.grade.auto_score) == ("graded", 3)
        assert submission.state == SubmissionState.DONE
    panel = client.get(reverse("grading:panel", args=[key]))
    assert panel["X-Grading-Pending"] == "0"
