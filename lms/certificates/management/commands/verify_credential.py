"""``python manage.py verify_credential FILE``: check an Open Badges credential.

One line per check (OK or FAIL), then VALID, or INVALID with the reasons. Exit status 0
when valid, 1 when invalid, 2 when the input is not a usable credential.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.certificates.credentials.verify import (
    CredentialUnusable,
    credential_parse,
    credential_verify,
)

MAX_FILE_BYTES = 5 * 1024 * 1024


class Command(BaseCommand):
    help = ("Verify an Open Badges 3.0 credential (JSON file, or - for standard input): "
            "contexts, eddsa-rdfc-2022 proof, validity period and revocation status.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the credential (.json), or - to read standard input")
        parser.add_argument("--fetch", action="store_true",
                            help="resolve other sites' keys and status lists over HTTP")
        parser.add_argument("--status-list", action="store_true",
                            help="check revocation against the published status list instead "
                                 "of this site's database")

    def handle(self, *args, **options):
        data = self._read(options["file"])
        try:
            document = credential_parse(data)
            result = credential_verify(document, fetch=options["fetch"],
                                       use_status_list=options["status_list"])
        except CredentialUnusable as exc:
            raise CommandError(str(exc), returncode=2) from exc
        for check in result.checks:
            mark = "OK  " if check.ok else "FAIL"
            self.stdout.write(f"{mark} {check.name}: {check.message}")
        if result.valid:
            self.stdout.write("VALID")
            return
        self.stdout.write("INVALID: " + " ".join(result.problems))
        raise SystemExit(1)

    def _read(self, name: str) -> bytes:
        try:
            if name == "-":
                data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
            else:
                with Path(name).open("rb") as stream:
                    data = stream.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s")
                               % {"file": name, "error": exc.strerror or exc},
                               returncode=2) from exc
        if len(data) > MAX_FILE_BYTES:
            raise CommandError(_("%(file)s is too large to be a credential.") % {"file": name},
                               returncode=2)
        return data
