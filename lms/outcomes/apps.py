from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms.outcomes"
    label = "outcomes"
    verbose_name = _("Employment outcomes")

    def ready(self) -> None:
        from lms.outcomes import receivers  # deferred: ready(), once the models are loaded

        receivers.connect()
