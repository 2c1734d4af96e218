# Dialogue Café Call: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := app

.PHONY: run test lint bench install lock translations migrate seed worker beat clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Every dependency at the version pinned in requirements.lock, then the app itself.
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Pin the dependencies again after changing them in pyproject.toml (or to take upgrades).
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --upgrade --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock pyproject.toml

translations: $(STAMP)
	$(BIN)/flask translations compile

migrate: $(STAMP)
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed-demo

## Serve the demo call at http://127.0.0.1:5000 (SQLite file, tasks in-process, mail to the console).
run: translations seed
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## The whole suite: PostgreSQL and Redis when they answer (DATABASE_URL / REDIS_URL to override).
## First the floors of the house (docs/ARCHITECTURE.md) and the types.
test: translations
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: translations
	$(BIN)/python -m bench run $(BENCH_ARGS)

worker: $(STAMP)
	$(BIN)/celery -A workers worker --loglevel INFO

beat: $(STAMP)
	$(BIN)/celery -A workers beat --loglevel INFO

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
