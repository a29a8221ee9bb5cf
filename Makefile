# tonearm: `make run` serves the player and API; `make test` runs every test.
# Both install what they need first, from lock files (uv.lock, frontend/package-lock.json).

SHELL := /bin/bash
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8000
UV_VERSION := 0.13.9
UV := $(CURDIR)/.uv/bin/uv
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
FRONTEND_SOURCES := $(shell find frontend/src frontend/static -type f 2>/dev/null) \
	$(wildcard frontend/*.js frontend/*.ts frontend/*.json)

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help run test install install-dev system-deps test-system-deps frontend \
	test-python test-frontend test-e2e lint bench clean

help:
	@echo "make run    install everything, build the player, serve on http://$(HOST):$(PORT)"
	@echo "make test   install what tests need, then run lint, Python, frontend and e2e tests"
	@echo "make lint   ruff, mypy, the import rules of docs/ARCHITECTURE.md, svelte-check, eslint, prettier"
	@echo "make bench  run the benchmarks in benchmarks/"

run: install frontend
	$(VENV)/bin/tonearm serve --demo --scan --host $(HOST) --port $(PORT)

test: install-dev test-system-deps frontend lint test-python test-frontend test-e2e

# --- Python -----------------------------------------------------------------------------
$(UV):
	python3 -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

system-deps:
	@scripts/apt-ensure libmagic1:/usr/lib/x86_64-linux-gnu/libmagic.so.1 ffmpeg:/usr/bin/ffmpeg

install: $(UV) system-deps
	$(UV) sync --frozen --no-dev

install-dev: $(UV) system-deps
	$(UV) sync --frozen

test-system-deps:
	@scripts/apt-ensure postgresql:/usr/lib/postgresql chromium:/usr/bin/chromium ffmpeg:/usr/bin/ffmpeg redis-server:/usr/bin/redis-server \
		nginx-light:/usr/sbin/nginx

# --- Frontend ---------------------------------------------------------------------------
frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend/build/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SOURCES)
	cd frontend && npm run build

frontend: frontend/build/index.html

# --- Checks -----------------------------------------------------------------------------
lint: install-dev frontend/node_modules/.package-lock.json
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check tonearm tests benchmarks alembic scripts
	$(VENV)/bin/mypy tonearm
	$(PY) scripts/check_architecture.py
	cd frontend && npm run check && npm run lint && npm run format:check

# Two xdist workers, whole files each (their module-scoped servers stay in one process);
# one PostgreSQL cluster and one redis-server for the run (tests/support/run_services.py).
PYTEST_WORKERS ?= 2

test-python: install-dev test-system-deps
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadfile

test-frontend: frontend/node_modules/.package-lock.json
	cd frontend && npm run test:unit

test-e2e: install-dev test-system-deps frontend
	cd frontend && TONEARM_BIN=$(VENV)/bin/tonearm TONEARM_E2E_SKIP_BUILD=1 npm run test:e2e

bench: install-dev frontend
	@scripts/apt-ensure nginx-light:/usr/sbin/nginx wrk:/usr/bin/wrk ffmpeg:/usr/bin/ffmpeg
	$(PY) benchmarks/scan.py
	$(PY) benchmarks/probe.py
	$(PY) benchmarks/artwork.py
	$(PY) benchmarks/graphql_api.py
	$(PY) benchmarks/playlists.py
	$(PY) benchmarks/social.py
	$(PY) benchmarks/stream.py
	$(PY) benchmarks/memory.py
	$(PY) benchmarks/player.py
	$(PY) benchmarks/variants.py
	$(PY) benchmarks/uploads.py

clean:
	rm -rf .venv .uv frontend/node_modules frontend/build frontend/.svelte-kit
