"""Settings for the AI micro-degree LMS, read from the environment.

Every value a deployment changes comes from an environment variable (listed with comments in
`.env.example`). The defaults run the demo on one machine with no server: SQLite and an
embedded Celery broker under `var/`. Production refuses to start without a secret key.
"""

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from lms.core.keys import rsa_private_key_file

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Env files, read when present (as django-environ projects do): the variables set in the
# environment win over `.env` in the project, which wins over the demo's `var/demo.env`
# (written by `make demo`: DJANGO_DEBUG=1 and the demo hub's secrets), so the README's
# `manage.py` commands work as written after `make demo`. DJANGO_READ_DOT_ENV_FILE=0 reads
# neither (the tests do that). The demo's file belongs to the demo's embedded database: when
# DATABASE_URL is set (a real deployment always sets it), a var/demo.env left over from an
# earlier `make demo` in the same checkout is not read, so it cannot turn DEBUG on there.
_READ_ENV_FILES = env.bool("DJANGO_READ_DOT_ENV_FILE", default=True)
if _READ_ENV_FILES and (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

VAR_DIR = Path(env.str("LMS_VAR_DIR", default=str(BASE_DIR / "var")))
if _READ_ENV_FILES and "DATABASE_URL" not in os.environ and (VAR_DIR / "demo.env").is_file():
    env.read_env(str(VAR_DIR / "demo.env"))

# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)

_DEMO_SECRET_KEY = "django-insecure-demo-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production mode (DJANGO_DEBUG off) refuses to start "
            "without a secret key; set DJANGO_SECRET_KEY, or DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = _DEMO_SECRET_KEY
elif SECRET_KEY == _DEMO_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("The demo secret key cannot be used with DJANGO_DEBUG off.")

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Our apps first so that their templates override the libraries'.
    "lms.accounts",
    "lms.core",
    "lms.reports",
    "courses",
    "grading",
    "lms.certificates",
    "lms.outcomes",
    "lms.lti",
    "lti_tool",  # django-lti: LTI 1.3 registrations, deployments, keys (lms.lti uses them)
    # Wagtail
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "oauth2_provider",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # The reports API (/api/) and its OpenAPI schema.
    "rest_framework",
    "drf_spectacular",
    # Prometheus metrics (/metrics, lms.core.metrics): request and database figures.
    "django_prometheus",
]

MIDDLEWARE = [
    # First and last: the whole request's latency, and the latency by view (lms.core.metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "lms.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session middleware, plus the cookie and framing of sessions started by an LTI
    # launch (lms.lti.middleware); other requests are served exactly as by Django's.
    "lms.lti.middleware.LtiSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "lms.core.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "lms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lms.core.context_processors.site",
            ],
        },
    },
]

# --- Database and cache ---------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web process and worker share one SQLite file: WAL lets readers and the
    # writer proceed together, and IMMEDIATE transactions avoid "database is locked" upgrades.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# The same database through django-prometheus's wrappers, which count queries and time them
# (django_db_execute_total, django_db_query_duration_seconds) for /metrics.
_COUNTED_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
DATABASES["default"]["ENGINE"] = _COUNTED_ENGINES.get(DATABASES["default"]["ENGINE"],
                                                      DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "profile"
LOGOUT_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "lms.accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "lms.accounts.forms.SignupForm"
ACCOUNT_FORMS = {"login": "lms.accounts.login_form.LoginForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = env.str("ACCOUNT_EMAIL_SUBJECT_PREFIX", default="[AI MD] ")
# Login throttling: allauth counts failures per client address and per account in the cache
# (shared by every web process: CACHE_URL). The site's form is the only one that takes a
# password: the Django and Wagtail admins' login pages, Wagtail's private-page login and the
# OpenID Connect provider send people to it (lms.accounts.views), so the one count holds there.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LMS_LOGIN_FAILED_RATE", default="10/m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# A password reset asked for an unknown address sends nothing (the page answers the same), so
# that the form cannot be used to send mail to anyone.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
# The project's catalogue, then the Korean it adds to the Wagtail/Django admin (tools/admin_ko.py).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "lms" / "admin_ko" / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "lms_language"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and media files -----------------------------------------------------------------
STATIC_URL = env.str("DJANGO_STATIC_URL", default="/static/")
STATICFILES_DIRS = [BASE_DIR / "lms" / "static"]
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_URL = env.str("DJANGO_MEDIA_URL", default="/media/")
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
    # Submissions, sources and released notebooks: never under MEDIA_URL, only served by
    # views that check who is asking.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.str("LMS_PRIVATE_ROOT", default=str(VAR_DIR / "private")),
                    "base_url": None},
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=10_485_760)

# --- Email ----------------------------------------------------------------------------------
# Messages are queued for the Celery worker so that a slow or down mail server never holds up
# a request; the worker delivers them with LMS_EMAIL_DELIVERY (from EMAIL_URL).
_email = env.email_url("EMAIL_URL", default="consolemail://")
LMS_EMAIL_DELIVERY_BACKEND = _email.pop("EMAIL_BACKEND")
globals().update({k: v for k, v in _email.items() if v not in (None, "")})  # EMAIL_HOST, ...
EMAIL_BACKEND = (
    "lms.core.mail.CeleryEmailBackend"
    if env.bool("LMS_EMAIL_VIA_CELERY", default=True)
    else LMS_EMAIL_DELIVERY_BACKEND
)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="AI MD <noreply@localhost>")
SERVER_EMAIL = env.str("DJANGO_SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = 10

# --- Security -------------------------------------------------------------------------------
# Sessions are read from the cache (CACHE_URL) and written through to the database: a signed-in
# page view reads no session row.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Wagtail marks its own preview views SAMEORIGIN; everything else may not be framed.
X_FRAME_OPTIONS = "DENY"
# A session started by an LTI launch travels in this cookie (SameSite=None; Secure;
# Partitioned), so that it works in the platform's iframe; the site's own session and CSRF
# cookies keep their SameSite=Lax (lms.lti.middleware says why).
LTI_SESSION_COOKIE_NAME = "lms_lti_session"
# The platforms' addresses the tool calls (keysets, tokens, line items, scores, rosters): https
# only, and never an address of a private network, loopback or link-local, so that a registered
# platform cannot make the site call its neighbours. The demo (DEBUG) and the tests' platform
# on loopback allow both.
LTI_ALLOW_HTTP = env.bool("LTI_ALLOW_HTTP", default=DEBUG)
LTI_ALLOW_PRIVATE_ADDRESSES = env.bool("LTI_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
SILENCED_SYSTEM_CHECKS = env.list("DJANGO_SILENCED_SYSTEM_CHECKS", default=[])

# --- Wagtail --------------------------------------------------------------------------------
# Empty: the translated default name ("AI 마이크로디그리" / "AI Micro-degree") is shown.
LMS_SITE_NAME = env.str("LMS_SITE_NAME", default="")
WAGTAIL_SITE_NAME = LMS_SITE_NAME or "AI Micro-degree"
WAGTAILADMIN_BASE_URL = env.str("LMS_BASE_URL", default="http://localhost:8000")
# Anonymous people go on to the site's sign-in page; signed-in accounts without admin access get
# a 403 page (not the sign-in page, which would send them back to the admin, and so on).
WAGTAILADMIN_LOGIN_URL = "admin_login"
# Passwords are reset on the site's form only (rate-limited, see ACCOUNT_RATE_LIMITS).
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "ipynb", "zip", "txt", "json", "xlsx", "png", "jpg"]

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = (
    # Redis re-delivers an unacknowledged task after this; it must outlast the longest task.
    # (The SQLAlchemy transport hands its options to create_engine, so it gets none.)
    {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
    if CELERY_BROKER_URL.startswith(("redis", "rediss", "sentinel"))
    else {}
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"grading.tasks.*": {"queue": "grading"}}
# A task whose worker dies is put back on the queue (only idempotent tasks use acks_late).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery closes the database connection around every task unless told to keep it: a grading
# task then paid for a new PostgreSQL connection (a server process forked, authentication,
# Django's session set-up) each time. Kept for this many tasks; Django's CONN_MAX_AGE and
# health checks still apply to it.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=100)
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sessions-clear-expired": {
        "task": "lms.core.tasks.sessions_clear_expired_task",
        "schedule": crontab(hour=4, minute=0),
    },
    "grading-sweep": {
        "task": "grading.tasks.submissions_sweep_task",
        "schedule": env.float("GRADING_SWEEP_EVERY_SECONDS", default=60.0),
    },
    # The statistics: count what writers outside the services changed, and check the
    # aggregates against the live query (drift is logged and repaired).
    "statistics-catch-up": {
        "task": "lms.reports.tasks.statistics_catch_up_task",
        "schedule": 60.0,
    },
    "statistics-verify": {
        "task": "lms.reports.tasks.statistics_verify_task",
        "schedule": crontab(hour=4, minute=30),
    },
    # Learners' revisits of modules, noted in the cache, written in one batch
    # (courses.services.progress): "continue where you left off" follows within this time.
    "courses-visits-flush": {
        "task": "courses.tasks.module_visits_flush_task",
        "schedule": env.float("COURSES_VISITS_FLUSH_SECONDS", default=60.0),
    },
    # Employment follow-up (lms/outcomes): rows that came due, invitations, one reminder, no
    # answer after the window. Idempotent; each email is claimed before it is sent.
    "outcomes-follow-up": {
        "task": "lms.outcomes.tasks.outcomes_follow_up_task",
        "schedule": crontab(minute=17),
    },
}

# --- Certificates ---------------------------------------------------------------------------
# TrueType fonts with Hangul glyphs for the certificate PDF (subset and embedded in each file).
# The defaults are Debian's fonts-nanum, installed in the image and in CI.
CERTIFICATE_FONT_FILES = {
    "regular": env.str("LMS_CERTIFICATE_FONT_REGULAR",
                       default="/usr/share/fonts/truetype/nanum/NanumGothic.ttf"),
    "bold": env.str("LMS_CERTIFICATE_FONT_BOLD",
                    default="/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"),
}

# How long a learner's own rendered page is kept (courses.page_cache): what changes with time
# alone (a deadline passing) shows within this; every change of data shows at once. 0: off.
COURSES_PAGE_CACHE_SECONDS = env.int("COURSES_PAGE_CACHE_SECONDS", default=60)

# --- Ministry reporting ---------------------------------------------------------------------
# Counts from 1 to this minus one are shown as "<N" (and a second cell is hidden with them
# where a total would give them away).
REPORTS_SUPPRESSION_THRESHOLD = env.int("REPORTS_SUPPRESSION_THRESHOLD", default=5)

# Employment outcomes (lms/outcomes, docs/employment-outcomes.md): the follow-up points in months
# after completion, the days before one reminder, the days after which a point with no answer
# is recorded as "no answer" (also the wait before a cohort enters the rate: month 7), and how
# long an emailed link works.
OUTCOMES_FOLLOW_UP_MONTHS = env.list("OUTCOMES_FOLLOW_UP_MONTHS", cast=int, default=[3, 6])
OUTCOMES_REMINDER_DAYS = env.int("OUTCOMES_REMINDER_DAYS", default=10)
OUTCOMES_ANSWER_WINDOW_DAYS = env.int("OUTCOMES_ANSWER_WINDOW_DAYS", default=30)
OUTCOMES_LINK_MAX_AGE_DAYS = env.int("OUTCOMES_LINK_MAX_AGE_DAYS", default=30)
# The key of the learner pseudonyms in the enrolment-level export (manage.py export_enrolments):
# the same key gives the same pseudonyms in every export. Without it, one derived from the
# secret key (so rotating DJANGO_SECRET_KEY then changes every pseudonym).
REPORTS_PSEUDONYM_KEY = env.str("REPORTS_PSEUDONYM_KEY", default="") or hashlib.sha256(
    f"aimd-reports-pseudonym:{SECRET_KEY}".encode()).hexdigest()

# The reports API for ministry systems: bearer tokens (manage.py api_token), JSON only, a
# request budget per token. The reports views name their permission class themselves
# (lms.reports.api_auth.MaySeeReports): as a default it would also shut out of the Wagtail
# admin's own page API everyone who is not ministry or programme staff.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["lms.reports.api_auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        "reports_api": env.str("REPORTS_API_RATE", default="120/minute")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AIMD LMS reports API",
    "DESCRIPTION": "Read-only aggregates of the industrial-AI micro-degree programme for "
                   "ministry systems: certified people against yearly targets, breakdowns and "
                   "run funnels. Counts only; small counts are protected (docs/statistics.md).",
    "VERSION": "1.0.0",
    # The schema itself is public: it describes the endpoints and holds no data.
    "SERVE_PUBLIC": True,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "PREPROCESSING_HOOKS": ["lms.reports.api.schema_reports_only"],
}

# --- Grading --------------------------------------------------------------------------------
# The sandbox backend ("local": bubblewrap + rlimits; "docker"; "kubernetes") and its limits.
GRADING_SANDBOX_BACKEND = env.str("GRADING_SANDBOX_BACKEND", default="local")
if GRADING_SANDBOX_BACKEND not in ("local", "docker", "kubernetes"):
    raise ImproperlyConfigured(
        f"GRADING_SANDBOX_BACKEND={GRADING_SANDBOX_BACKEND!r}: use local, docker or kubernetes")
GRADING_SANDBOX_IMAGE = env.str("GRADING_SANDBOX_IMAGE", default="aimd-lms:latest")
GRADING_KUBERNETES_NAMESPACE = env.str("GRADING_KUBERNETES_NAMESPACE", default="aimd-grading")
# Sandboxes started ahead in each worker process (local backend); 0 starts one per grade.
GRADING_POOL_SIZE = env.int("GRADING_POOL_SIZE", default=2)
# Imported in each pooled sandbox before learner code (start-up paid ahead, not by learners).
GRADING_PRELOAD = env.list("GRADING_PRELOAD", default=[
    "numpy", "pandas", "matplotlib", "matplotlib.pyplot", "sklearn"])
GRADING_CELL_TIMEOUT = env.float("GRADING_CELL_TIMEOUT", default=30.0)
GRADING_CPU_SECONDS = env.int("GRADING_CPU_SECONDS", default=120)
GRADING_MEMORY_BYTES = env.int("GRADING_MEMORY_BYTES", default=2 * 1024**3)
GRADING_FILE_BYTES = env.int("GRADING_FILE_BYTES", default=64 * 1024**2)
GRADING_OPEN_FILES = env.int("GRADING_OPEN_FILES", default=256)
# The local sandboxes' CPU priority (nice, 0-19): under load, pages go before learner code.
GRADING_NICE = env.int("GRADING_NICE", default=10)
# Local sandbox: the work directory and /tmp are tmpfs (memory) of this size each; the
# assignment's data files must fit in it.
GRADING_DISK_BYTES = env.int("GRADING_DISK_BYTES", default=512 * 1024**2)
# Notebooks larger than this are refused (submissions and sources).
GRADING_MAX_NOTEBOOK_BYTES = env.int("GRADING_MAX_NOTEBOOK_BYTES", default=5 * 1024**2)
GRADING_MAX_DATA_FILE_BYTES = env.int("GRADING_MAX_DATA_FILE_BYTES", default=50 * 1024**2)
# A submission queued or grading for longer than this is handed to the queue again by the
# sweep; after GRADING_MAX_ENQUEUES tries it is graded "error" and staff see it.
GRADING_STUCK_AFTER_SECONDS = env.int("GRADING_STUCK_AFTER_SECONDS", default=300)
# A queued submission whose message was sent this long ago is sent again (a lost message).
GRADING_QUEUED_RESEND_SECONDS = env.int("GRADING_QUEUED_RESEND_SECONDS", default=1800)
GRADING_MAX_ENQUEUES = env.int("GRADING_MAX_ENQUEUES", default=5)
# Submissions a learner may make (upload and lab together) per period, e.g. "10/m", "30/h";
# each starts a sandboxed grade. Empty: no limit. Counted in the shared cache (CACHE_URL).
GRADING_SUBMIT_RATE = env.str("GRADING_SUBMIT_RATE", default="10/m")

# --- Open Badges credentials ---------------------------------------------------------------
# The Ed25519 key that signs the certificates' Open Badges 3.0 credentials and status lists:
# CREDENTIALS_SIGNING_KEY (PEM, or a Multikey secretKeyMultibase "z3u2...") or
# CREDENTIALS_SIGNING_KEY_FILE. In development one is made once under var/; in production,
# without a key, credentials are not offered.
CREDENTIALS_SIGNING_KEY = env.str("CREDENTIALS_SIGNING_KEY", default="", multiline=True)
CREDENTIALS_SIGNING_KEY_FILE = env.str("CREDENTIALS_SIGNING_KEY_FILE", default="")
# publicKeyMultibase (z6Mk...) of earlier signing keys, still published so that the
# credentials they signed keep verifying after a key rotation.
CREDENTIALS_RETIRED_PUBLIC_KEYS = env.list("CREDENTIALS_RETIRED_PUBLIC_KEYS", default=[])
# Days a credential is valid after the certificate's issue (validUntil); 0: no expiry.
CREDENTIALS_VALIDITY_DAYS = env.int("CREDENTIALS_VALIDITY_DAYS", default=0)

# --- OpenID Connect provider (for JupyterHub) ------------------------------------------------
# The key that signs ID tokens: LMS_OIDC_PRIVATE_KEY (PEM) or LMS_OIDC_PRIVATE_KEY_FILE. In
# development one is made once under var/. Without a key the provider is off.
def _oidc_private_key() -> str:
    if env.str("LMS_OIDC_PRIVATE_KEY", default=""):
        return env.str("LMS_OIDC_PRIVATE_KEY", multiline=True)
    path = env.str("LMS_OIDC_PRIVATE_KEY_FILE", default="")
    if path:
        return Path(path).read_text()
    if DEBUG:
        return rsa_private_key_file(VAR_DIR / "oidc-private-key.pem").read_text()
    return ""


OIDC_PRIVATE_KEY = _oidc_private_key()
# Plain-http redirect URIs (a hub on loopback: the demo and the tests); https otherwise.
OAUTH_ALLOW_HTTP_REDIRECTS = env.bool("DJANGO_OAUTH_ALLOW_HTTP_REDIRECTS", default=DEBUG)
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": bool(OIDC_PRIVATE_KEY),
    "OIDC_RSA_PRIVATE_KEY": OIDC_PRIVATE_KEY,
    "OAUTH2_VALIDATOR_CLASS": "lms.core.oidc.LmsOAuth2Validator",
    "SCOPES": {"openid": "OpenID Connect", "profile": "Name and groups",
               "email": "Email address"},
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # The OAuth 2.0 Security Best Current Practice (RFC 9700) in full: no implicit or
    # password grants, S256 PKCE only, exact redirect URIs, tokens only in headers...
    **{f"COMPLIANT_BCP_RFC9700_{rule}": True for rule in (
        "ACCESS_TOKEN_TRANSPORT", "AUTHZ_RESPONSE_ISS", "IMPLICIT_GRANT", "PASSWORD_GRANT",
        "PKCE_METHOD", "PKCE_REQUIRED", "REDIRECT_URI_MATCHING", "REFRESH_TOKEN",
        "TOKEN_STORAGE")},
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if OAUTH_ALLOW_HTTP_REDIRECTS
    else ["https"],
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": not OAUTH_ALLOW_HTTP_REDIRECTS,
}
# The hub's client at this provider (the same values the hub is given).
HUB_OAUTH_CLIENT_ID = env.str("LMS_OAUTH_CLIENT_ID", default="")
HUB_OAUTH_CLIENT_SECRET = env.str("LMS_OAUTH_CLIENT_SECRET", default="")
HUB_OAUTH_REDIRECT_URI = env.str("JUPYTERHUB_OAUTH_CALLBACK_URL", default="") or (
    env.str("JUPYTERHUB_PUBLIC_URL", default="http://127.0.0.1:8001").rstrip("/")
    + "/hub/oauth_callback")

# --- JupyterHub -----------------------------------------------------------------------------
# Empty until a hub is configured; /healthz then reports the hub as "not configured".
JUPYTERHUB_URL = env.str("JUPYTERHUB_URL", default="")
JUPYTERHUB_API_TOKEN = env.str("JUPYTERHUB_API_TOKEN", default="")
# The hub as browsers reach it (links to learners' labs); defaults to JUPYTERHUB_URL.
JUPYTERHUB_PUBLIC_URL = env.str("JUPYTERHUB_PUBLIC_URL", default="") or JUPYTERHUB_URL
# Seconds for each request to the hub, and for a learner's server to start.
JUPYTERHUB_TIMEOUT = env.float("JUPYTERHUB_TIMEOUT", default=10.0)

# --- Content-Security-Policy ------------------------------------------------------------------
# Sent on every response by lms.core.middleware (a view's own policy wins: the feedback page's
# sandbox). The public site runs no inline script or style. "Open in JupyterLab" (and an OAuth
# consent, should a client ask for one) ends in a redirect to the hub: form-action allows it.
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


_HUB_ORIGINS = sorted({o for o in map(_origin, (JUPYTERHUB_PUBLIC_URL, HUB_OAUTH_REDIRECT_URI))
                       if o})
# Static and media files from another origin (a CDN), when their URLs are absolute.
_FILE_ORIGINS = sorted({o for o in map(_origin, (STATIC_URL, MEDIA_URL)) if o})
# Players that video blocks (Wagtail embeds) may frame.
LMS_CSP_FRAME_SRC = env.list("LMS_CSP_FRAME_SRC", default=[
    "https://www.youtube.com", "https://www.youtube-nocookie.com", "https://player.vimeo.com"])
LMS_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'", *_FILE_ORIGINS],
    "style-src": ["'self'", *_FILE_ORIGINS],
    "img-src": ["'self'", "data:", *_FILE_ORIGINS],
    "font-src": ["'self'", *_FILE_ORIGINS],
    "connect-src": ["'self'"],
    "frame-src": LMS_CSP_FRAME_SRC or ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'", *_HUB_ORIGINS],
    "frame-ancestors": ["'none'"],
}
# The Wagtail and Django admins still use inline scripts (date pickers, inline panels) and
# style attributes, and frame their own previews; Wagtail's dashboard asks
# releases.wagtail.io for a newer version (superusers only).
LMS_CSP_ADMIN_PATHS = ["/admin/", "/django-admin/"]
LMS_CSP_ADMIN = {
    **LMS_CSP,
    "script-src": ["'self'", "'unsafe-inline'", *_FILE_ORIGINS],
    "style-src": ["'self'", "'unsafe-inline'", *_FILE_ORIGINS],
    "img-src": ["'self'", "data:", "blob:", *_FILE_ORIGINS],
    "connect-src": ["'self'", "https://releases.wagtail.io"],
    "frame-src": ["'self'", *LMS_CSP_FRAME_SRC],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
# Wagtail's admin shows Gravatar pictures by default, which sends a hash of each staff member's
# email address to a third party: Wagtail's default avatar instead (and no outside images).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# --- Health ---------------------------------------------------------------------------------
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
# A monitor sending "Authorization: Bearer <token>" sees each part of /healthz (empty: none).
HEALTH_CHECK_TOKEN = env.str("HEALTH_CHECK_TOKEN", default="")
# Seconds a web process reuses the anonymous answer of /healthz and /status/ (the footer links
# the page from everywhere: its checks must not run for every visitor). Operators get fresh ones.
HEALTH_PUBLIC_CACHE_SECONDS = env.float("HEALTH_PUBLIC_CACHE_SECONDS", default=10.0)

# --- Metrics (Prometheus) ----------------------------------------------------------------
# /metrics answers a monitor presenting HEALTH_CHECK_TOKEN ("Authorization: Bearer <token>"),
# or a client whose address (the TCP peer, never X-Forwarded-For) is in one of these networks,
# e.g. "10.0.0.0/8,192.168.0.0/16". Empty by default, not loopback: behind a proxy on the same
# host every visitor arrives from 127.0.0.1. No token and no network: /metrics is off (403).
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# Prometheus scrapes the site over the private network in plain HTTP: no redirect to https
# there (a token sent in clear has been sent before any redirect anyway).
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
# A Celery worker serves its own processes' metrics (grading phases, sandbox pools) on this
# port (0: off); its processes share PROMETHEUS_MULTIPROC_DIR (docs/monitoring.md).
GRADING_METRICS_PORT = env.int("GRADING_METRICS_PORT", default=0)
GRADING_METRICS_ADDRESS = env.str("GRADING_METRICS_ADDRESS", default="127.0.0.1")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    # The secrets of mailed links (answer, account link, reset keys) never reach a log line
    "filters": {"secrets": {"()": "lms.core.accesslog.SecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["secrets"]}},
    "root": {"handlers": ["console"], "level": env.str("LMS_LOG_LEVEL", default="INFO")},
    "loggers": {
        # runserver's request lines (the demo) go through the same handler
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "django.security": {"level": "INFO"},
        # Wagtail's search-index and reference-index tasks log every run at INFO.
        "django_tasks": {"level": "WARNING"},
    },
}
