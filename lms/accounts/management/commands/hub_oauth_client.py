"""``manage.py hub_oauth_client``: register (or update) JupyterHub as this site's trusted
OAuth client, from LMS_OAUTH_CLIENT_ID, LMS_OAUTH_CLIENT_SECRET and the hub's callback URL."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lms.accounts.services import hub_oauth_client_ensure


class Command(BaseCommand):
    help = "Register JupyterHub as the site's trusted OAuth/OIDC client (idempotent)."

    def handle(self, *args, **options):
        try:
            application = hub_oauth_client_ensure(
                client_id=settings.HUB_OAUTH_CLIENT_ID,
                client_secret=settings.HUB_OAUTH_CLIENT_SECRET,
                redirect_uri=settings.HUB_OAUTH_REDIRECT_URI)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"JupyterHub client {application.client_id!r} -> "
                          f"{application.redirect_uris}")
