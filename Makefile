# appealsite: `make run` to try it, `make test` to check it.
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

# Development defaults for `make run`; anything already in the environment wins.
export DJANGO_DEBUG ?= 1
export SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: help run test lint venv clean messages css bench bench-edge bench-mail bench-updates bench-log serve mirror

help:
	@echo "make run    set everything up and serve http://127.0.0.1:$(PORT)/ (SQLite)"
	@echo "make test   install the dev tools, then lint and run the whole test suite"
	@echo "make mirror  write the static copy of the site to mirror/ (and mirror/mirror.tar.gz)"
	@echo "make css    rebuild static/appeals/css/site.css from css/ (needs Node.js and npm)"
	@echo "make bench  load test a production-like run (PostgreSQL, Redis, gunicorn, wrk)"
	@echo "make bench-edge  only nginx in front of the app, at a million signatures (about 5 minutes)"
	@echo "make bench-mail  only the mailer part of it, on a small site (about 5 minutes)"
	@echo "make bench-updates  only an update's fan-out to a million signers (about 5 minutes)"
	@echo "make bench-log  the signature log's proofs at a million entries (PostgreSQL)"

# The virtualenv, built with a Python 3.12+ that scripts/find-python locates.
$(BIN)/python:
	@python=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: $(BIN)/python requirements.txt
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

venv: $(VENV)/.runtime-installed

run: $(VENV)/.runtime-installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# An in-memory database: the check needs none, and the test database does not exist yet.
	DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	$(BIN)/python -m pytest

# The static copy of every published appeal, for readers behind censorship
# (docs/deploy.md, "A static mirror"): MIRROR=<folder> to write it elsewhere.
MIRROR ?= mirror
mirror: $(VENV)/.runtime-installed
	$(BIN)/python manage.py export_mirror $(MIRROR)

# Re-extract the interface texts, fill in the translations
# (locale/<language>_translations.py) and compile the catalogues. Needs GNU gettext.
# One catalogue per table: adding locale/<language>_translations.py adds a language.
TRANSLATED := $(patsubst locale/%_translations.py,-l %,$(wildcard locale/*_translations.py))

messages: $(VENV)/.dev-installed
	$(BIN)/python manage.py makemessages $(TRANSLATED) --no-location --no-obsolete \
		--ignore=.venv --ignore=tests --ignore=staticfiles
	$(BIN)/python scripts/translate.py
	$(BIN)/python manage.py compilemessages $(TRANSLATED) --ignore=.venv

# The stylesheet: static/appeals/css/site.css from css/site.scss (the parts of
# Bootstrap the pages use, then our own). Its output is committed, so nothing
# else needs Node.js; run this after changing css/ or using a new Bootstrap class.
css/node_modules/.package-lock.json: css/package-lock.json
	cd css && npm ci --no-audit --no-fund

css: css/node_modules/.package-lock.json
	cd css && npm run --silent build

# A production-like run: DJANGO_DEBUG=0, gunicorn, WhiteNoise, the task worker, the mailer.
# Needs the production environment (at least DJANGO_SECRET_KEY; see README).
serve: $(VENV)/.runtime-installed
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make serve needs DJANGO_SECRET_KEY and the rest of the production environment: see README, 'Running it in production'."; exit 1; }
	env -u DJANGO_DEBUG scripts/serve

# A production-like load test; prints a table and writes bench/results/*.json.
bench: $(VENV)/.dev-installed
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v redis-cli >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-tools)
	env -u DJANGO_DEBUG $(BIN)/python bench/run.py

# Only the nginx part of `make bench` (bench/edge.py): the shipped site file in
# front of the app, on a fresh site with BENCH_SIGNATURES (1,000,000) signatures.
bench-edge: $(VENV)/.dev-installed
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v redis-cli >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-tools)
	env -u DJANGO_DEBUG $(BIN)/python bench/edge.py

# Only the mailer part of `make bench` (bench/mail.py), on a fresh site with
# BENCH_SIGNATURES (10,000) signatures; writes bench/results/*-mail.json.
bench-mail: $(VENV)/.dev-installed
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v redis-cli >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-tools)
	env -u DJANGO_DEBUG $(BIN)/python bench/mail.py

# An update to BENCH_SIGNATURES (1,000,000) signers: the fan-out and signing during
# it; writes bench/results/*-updates.json.
bench-updates: $(VENV)/.dev-installed
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v redis-cli >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-tools)
	env -u DJANGO_DEBUG $(BIN)/python bench/updates.py

# The signature log (bench/log.py): BENCH_LOG_ENTRIES (1,000,000) entries appended,
# then inclusion and consistency proofs timed; writes bench/results/*-log.json.
bench-log: $(VENV)/.dev-installed
	env -u DJANGO_DEBUG $(BIN)/python bench/log.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles css/node_modules
