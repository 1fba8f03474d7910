# The two commands of README.md: `make dev` starts everything, `make test` runs the suite.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: install dev test lint lock

# The locks pin every transitive dependency with its hashes; pip refuses anything else.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Keystroke needs Python 3.11+: set PYTHON=python3.12 or similar")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(STAMP)

dev: install
	bash scripts/ensure_packages.sh --runtime
	$(BIN)/keystroke dev --port $(PORT)

# Recompile the locks after editing requirements.in or requirements-dev.in.
lock: install
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file requirements.txt requirements.in
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file requirements-dev.txt requirements-dev.in

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL=sqlite:///:memory: $(BIN)/mypy history workflows keystroke_site
	DJANGO_SETTINGS_MODULE=tests.settings DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run

# Most tests wait on workers, servers and browsers rather than on the CPU: three run at a time
# on two cores (a module to each xdist worker), then the ones marked alone run by themselves.
test: install
	bash scripts/ensure_services.sh
	bash scripts/ensure_packages.sh
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest -n 3 --dist loadfile -m "not alone"
	$(BIN)/pytest -m alone
