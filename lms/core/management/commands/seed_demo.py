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

    def handle(self, *args, **options):
        # Wagtail logs every page created and published at INFO: hundreds of lines here.
        quiet = [logging.getLogger(name) for name in ("wagtail", "courses.permissions")]
        levels = [logger.level for logger in quiet]
        for logger in quiet:
            logger.setLevel(logging.WARNING)
        try:
            results = demo_seed(release_assignments=not options["without_release"])
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for account, created in results:
            roles = ", ".join(str(r.label) for r in account.roles) or "superuser"
            note = "created" if created else "exists"
            self.stdout.write(f"  {account.email:<28} {roles:<20} ({note})")
