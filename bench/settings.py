"""Settings of bench/export.py: the production settings, except that static files are served
from the apps' folders (a benchmark has no collectstatic run; the pages it times are not
about static files)."""

from lms.settings import *  # noqa: F403
from lms.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
