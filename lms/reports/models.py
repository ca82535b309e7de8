"""Yearly targets of certified people (the programme's funding commitment) and the tokens of
the ministry systems that read the reports API."""

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
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


class ApiToken(models.Model):
    """A bearer token with which a ministry system reads the reports API.

    Only the SHA-256 hash of the token is stored: the token itself is shown once, when it is
    made (``manage.py api_token create``), and cannot be read back from the database. The
    prefix (the token's first characters) identifies it in lists and when revoking. A token
    works only while its owner may see reports, it is not revoked and has not expired.
    """

    name = models.CharField(_("name"), max_length=100,
                            help_text=_("Who uses the token and what for."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="reports_api_tokens", verbose_name=_("owner"))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    token_hash = models.CharField(_("SHA-256 hash"), max_length=64, unique=True,
                                  editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, *, at: datetime.datetime) -> bool:
        """Not revoked and not expired at the given time."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)
