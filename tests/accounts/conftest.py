"""The course fixtures, for the accounts tests that need a run (the hub's groups)."""

from tests.courses.conftest import catalogue, locales, programme, run  # noqa: F401
