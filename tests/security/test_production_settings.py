"""Production settings pass Django's deployment checklist and keep cookies out of scripts and
off plain HTTP. (tests/core/test_settings.py checks start-up refusals and the environment.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _production_env() -> dict:
    """A production-like environment: DJANGO_DEBUG unset, a long key, the test database."""
    db = settings.DATABASES["default"]
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "EMAIL_", "LMS_", "GRADING_"))}
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "lms.settings",
        "DJANGO_SECRET_KEY": "production-" + "k3y-" * 20,
        "DJANGO_ALLOWED_HOSTS": "lms.example.kr",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://lms.example.kr",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{db['NAME']}",
        "CACHE_URL": "redis://127.0.0.1:6379/14",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
        "DJANGO_SECURE_COOKIES": "1",
        "JUPYTERHUB_PUBLIC_URL": "https://hub.lms.example.kr",
    }


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=_production_env(),
                          capture_output=True, text=True, timeout=120)


def test_deploy_check_reports_nothing(db):
    result = _run("manage.py", "check", "--deploy", "--database", "default",
                  "--fail-level", "DEBUG")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_cookies_are_secure_http_only_and_same_site():
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps({n: getattr(s, n) for n in ("
            "'DEBUG', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
            "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_SAMESITE', "
            "'LANGUAGE_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
            "'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', 'LMS_CSP', "
            "'MIDDLEWARE')}))")

    result = _run("-c", code)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert "lms.core.middleware.ContentSecurityPolicyMiddleware" in values["MIDDLEWARE"]
    assert values["LMS_CSP"]["form-action"] == ["'self'", "https://hub.lms.example.kr"]
