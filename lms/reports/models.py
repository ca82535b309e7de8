"""Yearly targets of certified people (the programme's funding commitment)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class YearlyTarget(models.Model):
    """How many people the programme must certify in a year (2023: 100, then 400 a year)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True,
                                            validators=[MinValueValidator(2000)])
    target = models.PositiveIntegerField(_("target (certified people)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("yearly target")
        verbose_name_plural = _("yearly targets")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.target}"
