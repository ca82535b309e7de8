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
from celery.signals import before_task_publish

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
