# The two commands of the README: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON311 := $(shell command -v python3.11 || command -v python3)

.PHONY: run test setup system bench lint clean

run: setup
	$(PY) -m devtools.run

test: setup
	@scripts/ensure-system.sh docker-compose chromium promtool
	$(PY) -m devtools.testrun

setup: system $(VENV)/.installed node_modules/.installed

system:
	@scripts/ensure-system.sh

# Pinned Python dependencies; the repository root goes on the venv's path (.pth).
$(VENV)/.installed: requirements.lock
	@test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@echo "$(CURDIR)" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/espace_partenaires.pth
	@touch $@

# Front-end packages from the npm registry (served by the web; never committed).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: setup
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) node_modules var test-output

bench: setup
	$(PY) -W ignore -m bench $(BENCH_ARGS)
