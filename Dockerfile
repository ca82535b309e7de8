# One image for every process of the LMS: web (the default), migrate, worker, beat and hub.
#
#   docker build -t aimd-lms .
#   docker run --env-file .env -p 8000:8000 aimd-lms
#
# Other processes are the same image with another command (see docker-compose.yml), e.g.
#   celery -A lms worker -Q default,grading --loglevel INFO --concurrency 2
FROM python:3.11-slim-bookworm

# bubblewrap: the grading sandbox (learner code runs in its own namespaces, never in the
# worker itself). tini: PID 1 that forwards signals and reaps the kernels' children.
# fonts-nanum: Hangul TrueType fonts, embedded in the certificate PDFs.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends bubblewrap libseccomp2 tini fonts-nanum \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 1000 app \
    && useradd --uid 1000 --gid app --create-home --shell /usr/sbin/nologin app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LMS_VAR_DIR=/app/var \
    DJANGO_STATIC_ROOT=/app/static \
    DJANGO_MEDIA_ROOT=/app/var/media

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml or the lock
# changes. With no source present yet, this installs the dependencies and an empty project.
COPY pyproject.toml README.md ./
COPY requirements/ requirements/
RUN pip install --no-cache-dir -c requirements/constraints.txt .

# Extra packages for the hub in some deployments (e.g. "dockerspawner jupyterhub-idle-culler"
# for docker compose), held to the versions in the lock where it lists them.
ARG HUB_EXTRA_PACKAGES=""
RUN if [ -n "$HUB_EXTRA_PACKAGES" ]; then \
        pip install --no-cache-dir -c requirements/constraints.txt $HUB_EXTRA_PACKAGES; \
    fi

# Then the source, and the project itself over the empty one (its dependencies are in place).
COPY . .
RUN pip install --no-cache-dir --no-deps -c requirements/constraints.txt . \
    && DJANGO_SECRET_KEY=collectstatic-at-build-time-only DJANGO_DEBUG=0 \
       python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media /app/var/hub \
    && chown -R app:app /app/var

# The code and static files stay root-owned and read-only to the processes; only var/
# (media, the hub's state, beat's schedule) is theirs.
USER app

EXPOSE 8000

# /healthz checks the database, the broker and the hub. The Host header is one the site
# answers to, and X-Forwarded-Proto keeps an HTTPS redirect (behind a TLS proxy) out of the way.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = h if h not in ('', '*') else 'localhost'; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=8)"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["gunicorn", "lms.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
