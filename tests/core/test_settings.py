"""Settings come from the environment; production refuses unsafe configurations."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "lms.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "lms.example.kr",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/lms",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    # One cache for every process (courses.W001: the learners' page cache needs it).
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.kr:587",
}


def _run(*args: str, env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "EMAIL_"))}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}

    result = _run("manage.py", "check", env=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_refuses_the_demo_secret_key():
    env = {**PRODUCTION_ENV,
           "DJANGO_SECRET_KEY": "django-insecure-demo-only-never-use-in-production"}

    result = _run("manage.py", "check", env=env)

    assert result.returncode != 0
    assert "demo secret key" in result.stderr


def test_debug_mode_runs_without_a_secret_key():
    result = _run("manage.py", "check", env={"DJANGO_SETTINGS_MODULE": "lms.settings",
                                            "DJANGO_DEBUG": "1"})

    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING",
                  env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_settings_read_the_environment():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.TIME_ZONE, s.USE_TZ,"
        " s.LANGUAGE_CODE, s.LMS_EMAIL_DELIVERY_BACKEND, s.EMAIL_HOST, s.SECURE_SSL_REDIRECT)"
    )
    result = _run("-c", "import django; django.setup();" + code, env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        # PostgreSQL through django-prometheus's wrapper (queries counted for /metrics).
        "django_prometheus.db.backends.postgresql", "redis://127.0.0.1:6379/0", "Asia/Seoul",
        "True", "ko",
        "django.core.mail.backends.smtp.EmailBackend", "mail.example.kr", "True",
    ]


def test_demo_defaults_need_no_server(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL.split(':')[0])"
    )
    result = _run("-c", "import django; django.setup();" + code,
                  env={"DJANGO_SETTINGS_MODULE": "lms.settings", "DJANGO_DEBUG": "1",
                       "LMS_VAR_DIR": str(tmp_path)})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django_prometheus.db.backends.sqlite3", "sqla+sqlite"]


def test_env_example_lists_every_variable_the_settings_read():
    import re

    settings_src = (ROOT / "lms" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_src))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.MULTILINE))

    assert read - listed == set()
