import logging

from django.core.management.base import BaseCommand

from lms.core.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo programme, pages, accounts and assignments (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-release", action="store_true",
            help="Upload the demo assignments without running their release check in the "
                 "grading sandbox (faster; they stay unreleased).")
        parser.add_argument(
            "--release-on-worker", action="store_true",
            help="Send the demo assignments' release checks to the grading queue instead of "
                 "running them here (make demo: the worker runs them once it starts).")
        parser.add_argument(
            "--without-history", action="store_true",
            help="Leave out the 2023-2025 runs' synthetic learners, enrolments and "
                 "certificates (the ministry dashboard's history).")

    def handle(self, *args, **options):
        # Wagtail logs every page created and published at INFO: hundreds of lines here.
        quiet = [logging.getLogger(name) for name in ("wagtail", "courses.permissions")]
        levels = [logger.level for logger in quiet]
        for logger in quiet:
            logger.setLevel(logging.WARNING)
        try:
            results = demo_seed(release_assignments=not options["without_release"],
                                release_on_worker=options["release_on_worker"],
                                history=not options["without_history"])
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        if options["release_on_worker"] and not options["without_release"]:
            self.stdout.write("The assignments' release checks run on the worker when it starts "
                              "(a few seconds after the site is up).")
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for account, created in results:
            roles = ", ".join(str(r.label) for r in account.roles) or "superuser"
            note = "created" if created else "exists"
            self.stdout.write(f"  {account.email:<28} {roles:<20} ({note})")
