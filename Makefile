# platformctl entry points. `make demo` runs the main job on the sandbox; `make test` runs
# every check. Both install what they need (a .venv here, pinned tools in ~/.cache/platformctl).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ORG    ?= ExampleOrg

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
	$(BIN)/platformctl tools install

lint: venv
	$(BIN)/ruff check platformctl tests bench
	$(BIN)/ruff format --check platformctl tests bench

typecheck: venv
	$(BIN)/mypy

test: venv tools lint typecheck
	$(BIN)/pytest

demo: venv tools
	$(BIN)/platformctl doctor --offline
	$(BIN)/platformctl render --org $(ORG)
	$(BIN)/platformctl graph --org $(ORG) --env sandbox

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .platformctl .pytest_cache .mypy_cache .ruff_cache
