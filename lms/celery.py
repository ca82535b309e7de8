"""The Celery application shared by the web process, the workers and beat.

Configuration lives in Django settings under the ``CELERY_`` prefix (JSON only, time limits,
a ``grading`` queue separate from ``default``, the beat schedule).

Every task message carries the time it was published (``SENT_AT_HEADER``, seconds since the
epoch), so that the metrics can tell how long the oldest message of a queue has waited
(``lms.core.metrics``): neither Celery nor the broker records it.
"""

import os
import time

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

SENT_AT_HEADER = "aimd_sent_at"


@before_task_publish.connect
def _stamp_sent_at(headers=None, **_kwargs) -> None:
    # Each publish, retries included, is a new message: its own time, not the first one's.
    if headers is not None:
        headers[SENT_AT_HEADER] = time.time()


@task_prerun.connect
@task_postrun.connect
def _database_connections_checked(sender=None, task=None, **_kwargs) -> None:
    """Around each task, what Django does around each request: a connection that failed or is
    older than CONN_MAX_AGE is closed (and a kept one is health-checked on its next use).
    Celery's own clean-up closes the connection only every CELERY_DB_REUSE_MAX tasks, so
    that a grade does not pay for a new PostgreSQL connection; a database that restarted
    meanwhile must not fail the tasks until then. A task run in the caller's process
    (``apply``, eager mode) is left alone: its connection is the caller's, perhaps in the
    middle of a transaction."""
    task = task or sender
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
