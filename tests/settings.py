"""Test settings: production settings, pointed at this machine's real PostgreSQL and Redis.

Only what a test run needs differs from production: a fixed secret, no HTTPS redirect for the
test client, plain static storage (no collectstatic), a fast password hasher.
"""

import os
import tempfile
from pathlib import Path

# Never the developer's .env or the demo's var/demo.env (DJANGO_DEBUG=1, the demo hub).
os.environ.setdefault("DJANGO_READ_DOT_ENV_FILE", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lms")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Submissions and sources of the tests never land in the demo's var/private.
os.environ.setdefault("LMS_PRIVATE_ROOT", tempfile.mkdtemp(prefix="lms-test-private-"))
# The OpenID Connect signing key (production reads it from the environment too).
if not os.environ.get("LMS_OIDC_PRIVATE_KEY_FILE"):
    from lms.core.keys import rsa_private_key_file

    os.environ["LMS_OIDC_PRIVATE_KEY_FILE"] = str(rsa_private_key_file(
        Path(tempfile.gettempdir()) / f"lms-test-oidc-{os.getuid()}.pem"))
os.environ.setdefault("LMS_OAUTH_CLIENT_ID", "jupyterhub-tests")
os.environ.setdefault("DJANGO_OAUTH_ALLOW_HTTP_REDIRECTS", "1")  # the hub on loopback
os.environ.setdefault("LMS_OAUTH_CLIENT_SECRET", "tests-only-hub-client-secret")
# A grade starts its own sandbox (no pool thread in the test process); pool tests make one.
os.environ.setdefault("GRADING_POOL_SIZE", "0")

from lms.settings import *  # noqa: E402, F403
from lms.settings import STORAGES  # noqa: E402

STORAGES = {**STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303 - speed
WHITENOISE_AUTOREFRESH = True
# Every health test sees the checks' answer of the moment (the public answer's reuse is tested
# on its own in tests/core/test_status_page.py).
HEALTH_PUBLIC_CACHE_SECONDS = 0
# The tests' LTI platform (tests/lti/platform.py) is plain http on loopback;
# tests/lti/test_red_outbound.py checks the production rule.
LTI_ALLOW_HTTP = True
LTI_ALLOW_PRIVATE_ADDRESSES = True
