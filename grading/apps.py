from django.apps import AppConfig
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grading import workers  # noqa: F401 - the worker's sandbox pool follows Celery's signals
from grading.autograder.notebooks import set_translator


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = _("Grading")

    def ready(self) -> None:
        set_translator(gettext)  # the engine's messages, in the language of each request
        from grading import receivers  # deferred: ready(), once the models are loaded

        receivers.connect()
