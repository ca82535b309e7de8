"""A learner's progress through modules."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ModuleProgress(models.Model):
    """When a learner first and last opened a module, and when they completed it.

    Keyed by the module's ``translation_key`` rather than a page id, so that progress made on
    the Korean page shows on the English one and survives page moves.
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="module_progress", verbose_name=_("learner"))
    module_key = models.UUIDField(_("module"), db_index=True)
    first_viewed_at = models.DateTimeField(_("first viewed at"), default=timezone.now)
    last_viewed_at = models.DateTimeField(_("last viewed at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("module progress")
        verbose_name_plural = _("module progress")
        constraints = [
            models.UniqueConstraint(fields=["learner", "module_key"],
                                    name="progress_once_per_module"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.module_key}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None
