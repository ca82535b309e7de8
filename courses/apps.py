from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self):
        # deferred: ready(), once the models are loaded (checks: registered by the import)
        from courses import checks, receivers  # noqa: F401

        receivers.connect()
