#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["grade_notebook"]:
        # Grading a notebook needs no database, settings or secrets: run it before Django.
        from grading.autograder.cli import main as grade_notebook

        sys.exit(grade_notebook(sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
