"""``manage.py rotate_keys``: a new signing key for the LTI tool, and the keys replaced more
than ``--deactivate-after`` days ago retired. It replaces django-lti's command of the same name
(``lms.lti`` comes first in INSTALLED_APPS), which retired keys by their age and so took the
key that signed until now out of the JWKS at once."""

from django.core.management.base import BaseCommand

from lms.lti.services import key_rotate


class Command(BaseCommand):
    help = "Create a new LTI signing key; retire keys replaced more than N days ago."

    def add_arguments(self, parser):
        parser.add_argument("--deactivate-after", type=int, default=7,
                            help="Days a replaced key stays published in the JWKS.")

    def handle(self, *args, **options):
        key, retired = key_rotate(retire_after_days=options["deactivate_after"])
        self.stdout.write(f"New key {key}; {retired} retired.")
