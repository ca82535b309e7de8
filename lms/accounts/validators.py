"""Validators for learner profile fields."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

OLDEST_BIRTH_YEAR = 1930
YOUNGEST_AGE = 14


def birth_year_bounds() -> tuple[int, int]:
    """The accepted birth years, as of today in Seoul."""
    this_year = timezone.localdate().year
    return OLDEST_BIRTH_YEAR, this_year - YOUNGEST_AGE


def validate_birth_year(value: int | None) -> None:
    if value is None:
        return
    low, high = birth_year_bounds()
    if not low <= value <= high:
        raise ValidationError(
            _("Enter a birth year between %(low)s and %(high)s.")
            % {"low": low, "high": high},
            code="birth_year_range",
        )
