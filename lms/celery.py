"""The Celery application shared by the web process, the workers and beat.

Configuration lives in Django settings under the ``CELERY_`` prefix (JSON only, time limits,
a ``grading`` queue separate from ``default``, the beat schedule).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
