from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = _("Grading")

    def ready(self) -> None:
        from django.utils.translation import gettext

        from grading import receivers, workers  # noqa: F401 - connect signal receivers
        from grading.autograder.notebooks import set_translator

        set_translator(gettext)  # the engine's messages, in the language of each request
