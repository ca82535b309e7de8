"""Celery tasks of the grading app (the ``grading`` queue): thin wrappers over services.

``submission_autograde_task`` acknowledges only after it has run (``acks_late``), so a
worker that dies mid-grade (SIGKILL, out of memory) leaves the message to be delivered again;
the service is idempotent, so that yields exactly one grade. It retries only for
infrastructure errors (the sandbox could not start, the database went away); a notebook that
fails is a grade, not a retry.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from grading.autograder.sandbox.local import SandboxUnavailable

logger = logging.getLogger(__name__)

INFRASTRUCTURE_ERRORS = (SandboxUnavailable, OperationalError, InterfaceError, ConnectionError)


# The hard limit must outlast the longest notebook (Assignment.time_limit_seconds ≤ 600).
@shared_task(acks_late=True, autoretry_for=INFRASTRUCTURE_ERRORS, retry_backoff=2,
             retry_backoff_max=60, max_retries=5, soft_time_limit=840, time_limit=900)
def submission_autograde_task(submission_id: int, force: bool = False) -> str:
    from grading.services import submission_autograde

    grade = submission_autograde(submission_id=submission_id, force=force)
    return grade.status


@shared_task(bind=True, acks_late=True, autoretry_for=INFRASTRUCTURE_ERRORS, retry_backoff=2,
             max_retries=5, soft_time_limit=1740, time_limit=1800)
def assignment_release_task(self, assignment_id: int) -> str:
    from grading.services import assignment_release, assignment_release_failed

    try:
        return assignment_release(assignment_id=assignment_id).release_state
    except Exception as exc:
        if not isinstance(exc, INFRASTRUCTURE_ERRORS) or self.request.retries >= \
                self.max_retries:
            # The last try: say so on the release page instead of "checking" for ever.
            assignment_release_failed(assignment_id=assignment_id, error=exc)
        raise


@shared_task
def submissions_sweep_task() -> dict:
    from grading.services import submissions_sweep

    return submissions_sweep()
