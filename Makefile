# platformctl entry points. `make demo` runs the main job on the sandbox; `make test` runs
# every check. Both install what they need (a .venv here, pinned tools in ~/.cache/platformctl).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ORG    ?= ExampleOrg

# Helm charts and manifests for a machine without chart repositories (data only): used
# when the folder exists.
OFFLINE_DIR ?= $(firstword $(wildcard ../shared/offline))
ifneq ($(OFFLINE_DIR),)
export PLATFORMCTL_OFFLINE_DIR := $(abspath $(OFFLINE_DIR))
endif
# Nothing started from here may probe instance metadata (169.254.169.254).
export AWS_EC2_METADATA_DISABLED := true
# Offline mode: nothing but the package registries the tools are built from is tried (no
# release downloads, provider registry or chart repositories); providers come from a
# mirror (PLATFORMCTL_PROVIDER_MIRROR, or ~/.cache/platformctl/providers/mirror). The tests
# always run so; on a machine with the internet, `make demo OFFLINE=0` uses the registry.
OFFLINE ?= 1
export PLATFORMCTL_OFFLINE := $(OFFLINE)
test: export PLATFORMCTL_OFFLINE := 1

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
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

test: venv tools lint typecheck
	$(BIN)/pytest

# The main job on the sandbox, for real: the real modules applied stage by stage to the
# local AWS emulator and control plane, then a distributed training job. Everything runs
# on 127.0.0.1; `make demo` again reuses what is already up.
SANDBOX := --org $(ORG) --env sandbox

# Where the providers do not resolve (no mirror, no registry), the demo runs every step
# that needs none, then says which stages could not be applied and how to supply the
# providers, and fails: it never presents a dry run as the main job.
demo: venv tools
	$(BIN)/platformctl doctor --offline
	$(BIN)/platformctl render --org $(ORG)
	$(BIN)/platformctl graph $(SANDBOX)
	$(BIN)/platformctl sandbox up
	$(BIN)/platformctl bootstrap $(SANDBOX)
	$(BIN)/platformctl tools providers
	$(BIN)/platformctl plan-all $(SANDBOX)
	$(BIN)/platformctl deploy vpc $(SANDBOX) --yes
	$(BIN)/platformctl deploy eks $(SANDBOX) --yes
	$(BIN)/platformctl deploy mesh $(SANDBOX) --yes
	$(BIN)/platformctl deploy kubeflow $(SANDBOX) --yes
	$(BIN)/platformctl train submit examples/pytorch-ddp $(SANDBOX) --namespace kubeflow --workers 2 --epochs 1 --wait --timeout 300
	$(BIN)/platformctl status $(SANDBOX)
	@echo
	@echo "The platform runs on the sandbox (all on 127.0.0.1):"
	@echo "  kubeconfig   export KUBECONFIG=$$PWD/.platformctl/controlplane/kubeconfig   (kubectl get pods -A)"
	@echo "  training     .venv/bin/platformctl train list $(SANDBOX) --namespace kubeflow"
	@echo "  AWS side     .venv/bin/platformctl status $(SANDBOX)"
	@echo "On a real environment, after add-cluster (here kwok only simulates the pods, so nothing listens):"
	@echo "  Kiali        kubectl -n istio-system port-forward svc/kiali 20001:20001   → http://127.0.0.1:20001/kiali"
	@echo "  Prometheus   kubectl -n istio-system port-forward svc/prometheus-server 9090:80"
	@echo "Tear it down:  .venv/bin/platformctl destroy all $(SANDBOX) --yes && .venv/bin/platformctl sandbox down --purge"

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .platformctl .pytest_cache .mypy_cache .ruff_cache
