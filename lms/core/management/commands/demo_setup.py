"""``manage.py demo_setup``: what ``make demo`` does before it starts the processes, in one
process (one Django start-up, 3-4 s, instead of three): ``migrate``, ``seed_demo
--release-on-worker`` (the assignments' release checks wait for the worker) and
``hub_oauth_client``. Each step prints how long it took."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, seed the demo (release checks on the worker), register the hub's client."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        steps = (
            ("migrate", ("migrate",), {"interactive": False, "verbosity": min(verbosity, 1)}),
            ("seed_demo", ("seed_demo", "--release-on-worker"), {}),
            ("hub_oauth_client", ("hub_oauth_client",), {}),
        )
        started = time.monotonic()
        for name, arguments, extra in steps:
            step = time.monotonic()
            call_command(*arguments, stdout=self.stdout, stderr=self.stderr, **extra)
            self.stdout.write(f"  ({name}: {time.monotonic() - step:.1f} s)")
        self.stdout.write(self.style.SUCCESS(
            f"The demo is ready to start ({time.monotonic() - started:.1f} s)."))
