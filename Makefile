# TalkingCat — the two commands of the README, and their parts.
#   make run    venv + dependencies + UI build (when Node is present), then `timao up --demo`
#   make test   everything the tests need, then the cheapest steps first: lint, types and the unit tests (make check),
#               the UI tests, every other test (end-to-end, fuzz), a 3-minute soak under faults, and last the
#               PyInstaller build and the built backend's tests
#   make check  the fast loop while working (about a minute on two quiet cores): lint, types and every unit test
#   make soak   the full soak under faults: an hour (bench/soak.py --minutes 60)
#   make package       the desktop backend: dist/TimaoBackend/ (PyInstaller, one folder) + dist/variants/onefile/
#   make package-test  make package (when a source changed), then the built-executable tests (tests/e2e/package)

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev
EXTRAS_RUN := postgres
EXTRAS_DEV := dev,postgres,bench

.PHONY: run test check venv dev lint typecheck unit pytest pytest-e2e ui-build ui-test system-deps bench clean package \
	package-test package-bench soak soak-short

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11+ required, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS_RUN)]'
	@touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS_DEV)]'
	@touch $@ $(STAMP_RUN)

venv: $(STAMP_RUN)
dev: $(STAMP_DEV)

ui-build:
	@bash scripts/build-ui.sh

run: $(STAMP_RUN) ui-build
	$(BIN)/timao up --demo

system-deps:
	@bash scripts/install-test-deps.sh

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_DEV)
	$(BIN)/mypy shared launcher services

ui-test: system-deps $(STAMP_DEV)
	@bash scripts/test-ui.sh

pytest: $(STAMP_DEV) system-deps
	$(BIN)/pytest -m "not package"

# The unit tests: real Redis, SQLite, PostgreSQL, ffmpeg and headless Chromium as needed, but no suite started and no
# build. (tests/conftest.py marks everything under tests/e2e as e2e: `-m "not e2e"` selects the same fast set.)
# In UNIT_WORKERS processes (pytest-xdist): each has its own Redis, temporary homes and free ports, and a file's tests
# stay on one worker (--dist loadfile), so a module's fixtures are built once. Two per core, at most 4: many unit tests
# wait on real time (leases, sockets, a browser) rather than compute, and overlap. On two cores with little else
# running, 867 tests: 1:27 in two workers, 0:58 in four (2:45 in one process before; each worker imports the test
# modules, 7-10 CPU-s more).
# The schemathesis and flet pytest plugins only cost import time here (the fuzz and UI tests are not unit tests).
UNIT_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( 2 * n < 4 ? 2 * n : 4 )))
unit: $(STAMP_DEV) system-deps
	$(BIN)/pytest -q -n $(UNIT_WORKERS) --dist loadfile -p no:schemathesis -p no:flet tests/unit

check: lint typecheck unit

# What make check does not run: the end-to-end and fuzz tests (the package tests are package-test's).
pytest-e2e: $(STAMP_DEV) system-deps
	$(BIN)/pytest -m "not package" --ignore=tests/unit

# The 200-room failover run alone (it is part of pytest-e2e too).
test-scale: $(STAMP_DEV) system-deps
	$(BIN)/pytest -m scale tests/e2e/suite/test_workers_failover.py

# The suite at 1,000 events/s over 20 rooms, recording and transcribing, while each service, Redis, the Douyin
# connections and the recordings disk are broken in turn (bench/soak.py). Fails on an event lost or doubled, a fault not
# recovered, an unplayable recording, memory growth or a process left behind. About 4-5 minutes in all.
soak-short: $(STAMP_DEV) system-deps
	$(BIN)/python bench/soak.py --minutes 3

soak: $(STAMP_DEV) system-deps
	$(BIN)/python bench/soak.py --minutes 60

# Cheapest first, the PyInstaller build last. Order matters: pytest's summary line must close the run (package-test's).
test: system-deps $(STAMP_DEV) check ui-test pytest-e2e soak-short package-test

bench: $(STAMP_DEV)
	$(BIN)/python bench/spine_bench.py

# The backend build is rebuilt only when something it bundles changed (5-6 min on 2 shared cores). FFmpeg first: on
# Linux the build bundles the minimal FFmpeg of scripts/build-ffmpeg.sh (compiled once, cached in build/ffmpeg/).
PACKAGE_REPORT := dist/TimaoBackend.build.json
PACKAGE_INPUTS := build_backend.py scripts/build-ffmpeg.sh pyproject.toml $(shell find launcher services shared -type f -not -path '*/__pycache__/*' 2>/dev/null) $(wildcard frontend/dist/index.html)

$(PACKAGE_REPORT): $(PACKAGE_INPUTS) | $(STAMP_DEV) system-deps
	bash scripts/build-ffmpeg.sh
	$(BIN)/python build_backend.py --extra onefile

package: $(PACKAGE_REPORT)

package-test: $(PACKAGE_REPORT) system-deps
	TIMAO_PACKAGE_DIST=dist $(BIN)/pytest -m package tests/e2e/package

package-bench: $(STAMP_DEV)
	$(BIN)/python bench/package_bench.py --build

clean:
	rm -rf dist build
	rm -rf $(VENV) frontend/dist frontend/node_modules electron/node_modules .pytest_cache .mypy_cache .ruff_cache
