"""The Celery tasks of the grading app (the ``grading`` queue), for Celery's autodiscovery.

Each task is defined beside the service it runs, under its historical name, so that routes,
the beat schedule and messages already queued keep working:

- ``submission_autograde_task``: ``grading.services.grades`` (acks late, retries only
  infrastructure errors; a notebook that fails is a grade, not a retry);
- ``assignment_release_task``: ``grading.services.assignments``;
- ``submissions_sweep_task``: ``grading.services.submissions`` (every minute from beat).
"""

from grading.services.assignments import assignment_release_task
from grading.services.grades import submission_autograde_task
from grading.services.sandboxes import INFRASTRUCTURE_ERRORS
from grading.services.submissions import submissions_sweep_task

__all__ = ["INFRASTRUCTURE_ERRORS", "assignment_release_task", "submission_autograde_task",
           "submissions_sweep_task"]
