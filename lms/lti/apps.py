from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "lms.lti"
    label = "lti"
    verbose_name = _("LTI 1.3 tool")

    def ready(self) -> None:
        from lms.lti import receivers  # noqa: F401 - connects the signal receivers
