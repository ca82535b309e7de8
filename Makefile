# Two commands on a fresh machine:  `make demo`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)

.PHONY: demo test install lint migrations-check messages admin-ko clean-demo lock bench

# The venv is rebuilt when the dependencies or the lock change.
$(VENV)/.installed: pyproject.toml requirements/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[test]'
	@touch $@

install: $(VENV)/.installed

# --- The demo: SQLite, an embedded Celery broker, everything under var/ --------------------
demo: export DJANGO_DEBUG := 1
demo: install
	@mkdir -p var
	$(BIN)/python manage.py demo_env var/demo.env
	@# The settings read var/demo.env from here on (and every manage.py command after make demo).
	$(BIN)/python manage.py demo_setup
	@echo
	@echo "  Site:   http://localhost:8000/   (Korean; English at http://localhost:8000/en/)"
	@echo "  Admin:  http://localhost:8000/admin/"
	@echo "  Labs:   http://localhost:8001/   (JupyterHub; sign in through the site)"
	@echo "  Health: http://localhost:8000/healthz"
	@echo "  Metrics: curl -H \"Authorization: Bearer \$$(grep ^HEALTH_CHECK_TOKEN= var/demo.env | cut -d= -f2)\" http://localhost:8000/metrics"
	@echo "  Emails (sign-up verification, password reset) are printed by the worker below."
	@echo "  The assignments' release checks run on the worker as it starts (a few seconds)."
	@echo "  Press Ctrl-C to stop everything."
	@echo
	@# Our own runner (lms/core/procfile.py): Ctrl-C stops every process cleanly, exit 0.
	$(BIN)/python -m lms.core.procfile --env var/demo.env Procfile

# --- The whole test suite against this machine's PostgreSQL and Redis -----------------------
test: install lint migrations-check
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

migrations-check: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

# Extract and compile translations (needs gettext's msgfmt).
messages: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l ko -l en --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'test-artifacts/*' --ignore 'bench/*' --ignore 'tools/*'
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore '.venv/*'

# The Korean the project adds to Wagtail's admin (lms/admin_ko, which `messages` never
# touches): after upgrading Wagtail, list what is left in English, then follow tools/admin_ko.py
# (`--add`, translate, `--prune`, compilemessages).
admin-ko: install
	DJANGO_DEBUG=1 $(BIN)/python tools/admin_ko.py

clean-demo:
	rm -rf var/db.sqlite3* var/celery-broker.sqlite3* var/celerybeat-schedule* var/media var/private var/hub

# Regenerate the constraints file from the current venv (after changing dependencies).
lock: install
	$(BIN)/python -m pip install --quiet -e '.[test,hub-docker,hub-kubernetes]'
	{ echo '# Reproducible install: `make lock` regenerates this from a working venv (pip freeze, Python 3.11).'; \
	  echo '# Installed with: pip install -c requirements/constraints.txt -e ".[test]"'; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e'; } > requirements/constraints.txt

# Benchmarks print their figures and the baseline measured in the same run.
bench: install
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/deadline_rush.py
