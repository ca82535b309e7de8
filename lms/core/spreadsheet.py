"""Cells that are safe to open in a spreadsheet (CSV/formula injection, OWASP)."""

import re

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula (=, +, -, @) gets a leading
    apostrophe (OWASP's advice for CSV injection); numbers stay numbers. One room low, so
    that every export (the reports, the outcomes' matching list) uses the same rule."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS) \
            and not _NUMBER.match(value):
        return "'" + value
    return value
