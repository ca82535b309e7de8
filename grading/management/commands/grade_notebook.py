"""The same grader as ``grading.autograder.cli``, for callers inside Django (call_command)."""

from django.core.management.base import BaseCommand, CommandError

from grading.autograder import cli


class Command(BaseCommand):
    help = "Grade a submission against an nbgrader source notebook in the sandbox."

    def run_from_argv(self, argv):
        raise SystemExit(cli.main(argv[2:]))

    def handle(self, *args, **options):
        raise CommandError("Run it as `python manage.py grade_notebook --source S "
                           "--submission T --json`.")
