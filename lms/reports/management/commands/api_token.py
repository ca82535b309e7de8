"""Make, revoke and list the API tokens of ministry systems (the full token is shown once)."""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.reports.api_tokens import ApiTokenError, api_token_create, api_token_revoke
from lms.reports.models import ApiToken


class Command(BaseCommand):
    help = "Reports API tokens: create --user EMAIL --name NAME, revoke PREFIX, list."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Make a token and print it once.")
        create.add_argument("--user", required=True, help="The owner's email address.")
        create.add_argument("--name", required=True, help="Who uses it and what for.")
        create.add_argument("--expires-days", type=int,
                            help="Expire after this many days (default: never).")
        revoke = actions.add_parser("revoke", help="Revoke the token with this prefix.")
        revoke.add_argument("prefix")
        actions.add_parser("list", help="List tokens (prefixes, never the tokens).")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ApiTokenError as error:
            raise CommandError(str(error)) from None

    def _create(self, *, user, name, expires_days, **options):
        owner = get_user_model().objects.filter(email__iexact=user.strip()).first()
        if owner is None:
            raise CommandError(_("No user has the email address %(email)s.") % {"email": user})
        if expires_days is not None and expires_days < 1:
            raise CommandError(_("--expires-days must be at least 1."))
        expires_at = (timezone.now() + datetime.timedelta(days=expires_days)
                      if expires_days else None)
        token, raw = api_token_create(user=owner, name=name, expires_at=expires_at)
        self.stderr.write(_("Token %(prefix)s… for %(email)s (%(name)s). It is shown this once "
                            "and cannot be read back: store it now.") % {
            "prefix": token.prefix, "email": owner.email, "name": token.name})
        self.stdout.write(raw)

    def _revoke(self, *, prefix, **options):
        token = api_token_revoke(prefix=prefix)
        self.stdout.write(_("Revoked %(prefix)s… (%(name)s) at %(time)s.") % {
            "prefix": token.prefix, "name": token.name,
            "time": f"{timezone.localtime(token.revoked_at):%Y-%m-%d %H:%M}"})

    def _list(self, **options):
        for token in ApiToken.objects.select_related("user"):
            state = (_("revoked") if token.revoked_at else _("expired")
                     if not token.is_usable(at=timezone.now()) else _("active"))
            used = (f"{timezone.localtime(token.last_used_at):%Y-%m-%d %H:%M}"
                    if token.last_used_at else _("never used"))
            self.stdout.write("\t".join([f"{token.prefix}…", str(state), token.user.email,
                                         token.name, str(used)]))
