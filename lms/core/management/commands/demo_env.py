"""``manage.py demo_env FILE``: the demo's hub settings, made once with fresh secrets.

``make demo`` runs the site, the worker and a JupyterHub on this machine. They share a
client id/secret (the hub signs learners in at the site) and the site's service token on
the hub. Those are random per machine, written to FILE (mode 0600) the first time and
reused after; nothing secret is in the repository. The settings read the file when it is
present (``lms/settings.py``), so ``manage.py`` commands need nothing else after ``make demo``;
a file from an older run gets the lines it lacks."""

import os
import secrets
from pathlib import Path

from django.core.management.base import BaseCommand

TEMPLATE = """\
# Made by `make demo` on its first run (random secrets for this machine; delete to renew).
# The settings read this file when present; variables set in the environment win.
# Development mode: the demo's secret key, local hosts, mails printed by the worker.
DJANGO_DEBUG=1
# The hub of the demo, as the site reaches it and as browsers do.
JUPYTERHUB_URL=http://127.0.0.1:8001
JUPYTERHUB_PUBLIC_URL=http://localhost:8001
JUPYTERHUB_BIND_URL=http://127.0.0.1:8001
JUPYTERHUB_API_TOKEN={token}
# The hub's OAuth client at the site (single sign-on), and where the hub finds the site.
LMS_OAUTH_CLIENT_ID=aimd-demo-hub
LMS_OAUTH_CLIENT_SECRET={secret}
LMS_BASE_URL=http://localhost:8000
LMS_INTERNAL_URL=http://127.0.0.1:8000
JUPYTERHUB_OAUTH_CALLBACK_URL=http://localhost:8001/hub/oauth_callback
JUPYTERHUB_CULL_TIMEOUT=3600
# One cache for the demo's processes (web, worker, beat): sessions, the course pages, and the
# module visits that beat writes.
CACHE_URL=filecache://{cache}
# Operators' token: /healthz's parts and /metrics (header "Authorization: Bearer <token>").
HEALTH_CHECK_TOKEN={monitor}
"""


class Command(BaseCommand):
    help = "Write the demo's hub settings with fresh secrets to FILE (once)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        text = TEMPLATE.format(token=secrets.token_hex(32), secret=secrets.token_hex(32),
                               monitor=secrets.token_hex(32),
                               cache=file.parent.resolve() / "cache")
        if file.exists():
            have = {line.split("=", 1)[0].strip() for line in
                    file.read_text(encoding="utf-8").splitlines() if "=" in line}
            missing = [line for line in text.splitlines()
                       if "=" in line and not line.startswith("#")
                       and line.split("=", 1)[0] not in have]
            if missing:
                with file.open("a", encoding="utf-8") as stream:
                    stream.write("".join(f"{line}\n" for line in missing))
            added = f"; added {', '.join(m.split('=', 1)[0] for m in missing)}" if missing else ""
            self.stdout.write(f"{file} exists; kept{added}.")
            return
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as stream:
            stream.write(text)
        self.stdout.write(f"{file} written (the demo hub's secrets for this machine).")
