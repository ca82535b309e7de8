from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _statistics_triggers_ensure(sender, using="default", **kwargs) -> None:
    """Install the statistics triggers again after every migrate: SQLite drops a table's
    triggers when a later migration rebuilds the table (PostgreSQL keeps them; reinstalling
    is idempotent), and then everything is counted again by the next read. Schema upkeep,
    not business flow."""
    # Django's ready(): the models can be imported only once the apps are loaded.
    from lms.reports.models import StatisticsChange
    from lms.reports.triggers import (  # Django's ready(): models loaded
        triggers_install,
        triggers_missing,
    )

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    if StatisticsChange._meta.db_table not in connection.introspection.table_names():
        return
    missing = triggers_missing(connection)
    triggers_install(connection)
    if missing:  # writes made while they were missing were not recorded: count everything
        StatisticsChange.objects.using(using).create()


class ReportsConfig(AppConfig):
    name = "lms.reports"
    label = "reports"
    verbose_name = _("Ministry reporting")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_statistics_triggers_ensure, sender=self,
                             dispatch_uid="reports-statistics-triggers")
