from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lms.outcomes"
    label = "outcomes"
    verbose_name = _("Employment outcomes")
