# Two commands for a newcomer: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run test install migrate demo lint format check-deploy worker beat test-postgres browsers clean \
	audit bandit audit-dependencies lock api-check

$(PY):
	$(PYTHON) -m venv $(VENV)

# requirements.lock pins every package (as pip constraints), so each machine installs the same.
$(STAMP): pyproject.toml requirements.lock | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --constraint requirements.lock -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP) $(NODE_STAMP)

migrate: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_regions
	$(PY) manage.py load_postcodes

demo: migrate
	$(PY) manage.py demo_data

## run: the service on http://$(HOST) with SQLite, eager Celery and demo data
run: demo
	DEBUG=true $(PY) manage.py runserver $(HOST)

## test: the whole suite on SQLite (integration tests that need Redis run in CI: see .ci/run)
test: install
	$(BIN)/pytest -m "not integration and not browser and not api_check" $(PYTEST_ARGS)

## browser tests: Debian's Chromium driven by Playwright (installs chromium with apt if missing)
browsers:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)

test-browser: install browsers
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

## the suite against PostgreSQL + Redis with a real Celery worker (what CI runs)
test-postgres: install browsers
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/prevent} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/15} \
	$(BIN)/pytest -m "not api_check" $(PYTEST_ARGS)

## api-check: schemathesis against a live server as a school's system, a police officer, a
## compliance officer and someone not signed in (API_CHECK_SECONDS each, 45 by default)
api-check: install
	$(BIN)/pytest -m api_check -rA $(PYTEST_ARGS) tests/api/test_schemathesis.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## audit: bandit on the product code, then pip-audit on requirements.lock
audit: bandit audit-dependencies

bandit: install
	$(BIN)/bandit --quiet --configfile pyproject.toml --recursive .

## fails (exit 3, saying so) when PyPI's vulnerability feed cannot be reached
audit-dependencies: install
	BIN=$(BIN) .ci/audit-dependencies

## lock: re-pin requirements.lock to the newest versions pyproject.toml allows
LOCK_VENV := var/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e ".[dev]"
	sed -n '/^#/p' requirements.lock > requirements.lock.new
	$(LOCK_VENV)/bin/pip freeze --exclude-editable >> requirements.lock.new
	mv requirements.lock.new requirements.lock
	rm -rf $(LOCK_VENV)

format: install
	$(BIN)/ruff format .

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(50))') \
	AUDIT_CHAIN_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(48))') \
	WEBHOOK_SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(48))') \
	ALLOWED_HOSTS=prevent.example.gov.uk DATABASE_URL=postgres://postgres@127.0.0.1:5432/prevent \
	CACHE_URL=redis://127.0.0.1:6379/1 \
	$(PY) manage.py check --deploy --fail-level WARNING

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

clean:
	rm -rf $(VENV) node_modules var staticfiles
