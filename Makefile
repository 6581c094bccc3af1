# platformctl entry points. `make demo` runs the main job on the sandbox; `make test` runs
# every check. Both install what they need (a .venv here, pinned tools in ~/.cache/platformctl).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ORG    ?= ExampleOrg

# Upstream sources and charts that no reachable registry serves (provider sources, the
# tflint AWS ruleset, Helm charts, the Training Operator): used when the folder exists.
OFFLINE_DIR ?= $(firstword $(wildcard ../shared/offline))
ifneq ($(OFFLINE_DIR),)
export PLATFORMCTL_OFFLINE_DIR := $(abspath $(OFFLINE_DIR))
endif
# Nothing started from here may probe instance metadata (169.254.169.254).
export AWS_EC2_METADATA_DISABLED := true

.PHONY: help venv tools test lint typecheck unit demo bench clean

help:
	@echo "make demo   - set up, then run platformctl on the sandbox environment for $(ORG)"
	@echo "make test   - set up, then lint, type-check and run the whole test suite"
	@echo "make tools  - build or fetch the tools pinned in .tool-versions (cached)"
	@echo "make bench  - print the benchmark ratios"

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip check
	touch $@

venv: $(BIN)/.installed

tools: venv
	$(BIN)/platformctl tools install --providers

lint: venv
	$(BIN)/ruff check platformctl tests bench
	$(BIN)/ruff format --check platformctl tests bench

typecheck: venv
	$(BIN)/mypy

test: venv tools lint typecheck
	$(BIN)/pytest

# The main job on the sandbox. The plan needs the providers of modules/ (from the local
# mirror or the registry); where neither is reachable it is shown as a dry run instead.
demo: venv tools
	$(BIN)/platformctl doctor --offline
	$(BIN)/platformctl render --org $(ORG)
	$(BIN)/platformctl graph --org $(ORG) --env sandbox
	$(BIN)/platformctl sandbox up
	$(BIN)/platformctl bootstrap --org $(ORG) --env sandbox
	@if $(BIN)/platformctl tools providers; then \
	  $(BIN)/platformctl plan-all --org $(ORG) --env sandbox; \
	else \
	  echo; \
	  echo "*** The plan cannot run here: the providers above are neither in the local mirror"; \
	  echo "*** nor reachable in the registry. These are the exact steps it would take:"; \
	  echo; \
	  $(BIN)/platformctl plan-all --org $(ORG) --env sandbox --dry-run; \
	fi
	$(BIN)/platformctl status --org $(ORG) --env sandbox
	@echo
	@echo "The sandbox is still running (platformctl sandbox status); stop it with: .venv/bin/platformctl sandbox down"

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .platformctl .pytest_cache .mypy_cache .ruff_cache
