"""The real Training Operator (built from the Go module proxy) as a local process against a
control plane of its own: a PyTorchJob gets its master and worker pods from it, kwok runs
them on the fake nodes (GPU pods on the GPU node) and ends them Succeeded, and the job
follows, as `platformctl train status` shows."""

from __future__ import annotations

import json
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from platformctl import proc
from platformctl.cluster import training
from platformctl.errors import ToolNotFoundError
from platformctl.model.config import load_platform
from platformctl.report import SilentReporter
from platformctl.sandbox import controlplane, cpconfig, trainingop
from platformctl.toolchain import offline
from platformctl.toolchain.locate import tool_path
from tests.cluster.test_training_unit import EXAMPLE
from tests.conftest import REPO

pytestmark = pytest.mark.real

TRAINING_SECONDS = 3.0
KUSTOMIZE_TREE = "manifests/training-operator-v1.9.2.tar.gz"


@dataclass(frozen=True)
class Cluster:
    base: Path
    kubeconfig: Path
    operator_base: Path


def _until(what: str, check: Callable[[], Any], timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def operator_binary() -> Path:
    try:
        return trainingop.locate_operator(REPO)
    except ToolNotFoundError as exc:
        pytest.skip(f"SKIPPED: the Training Operator is not built ({exc.message} {exc.hint})")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, operator_binary: Path) -> Iterator[Cluster]:
    """A control plane with fake nodes, apart from the session's (the operator acts on every
    PyTorchJob it sees, which the other tests expect to stay untouched)."""
    try:
        binaries = cpconfig.locate_binaries(REPO)
    except ToolNotFoundError as exc:
        pytest.skip(f"SKIPPED: no control-plane binaries ({exc.message})")
    if binaries.kwok is None or binaries.scheduler is None:
        pytest.skip("SKIPPED: kwok or kube-scheduler is not installed")
    base = tmp_path_factory.mktemp("cp-operator")
    operator_base = tmp_path_factory.mktemp("operator")
    reporter = SilentReporter()
    try:
        st = controlplane.start(
            REPO, reporter, base=base, binaries=binaries, training_seconds=TRAINING_SECONDS
        )
        assert st.kubeconfig is not None
        yield Cluster(base, Path(st.kubeconfig), operator_base)
    finally:
        trainingop.stop(REPO, reporter, base=operator_base)
        controlplane.stop(REPO, reporter, base=base)


def install_kubeflow_training(kubeconfig: Path, workdir: Path) -> None:
    """What the kubeflow stage installs: `kubectl kustomize overlays/standalone` of the
    offline tree, applied server-side (its CRDs are too large for client-side apply)."""
    directory = offline.offline_dir(root=REPO)
    if directory is None or not (directory / KUSTOMIZE_TREE).is_file():
        pytest.skip("SKIPPED: no ../shared/offline with the Training Operator's kustomize tree")
    try:
        kubectl = tool_path(REPO, "kubectl")
    except ToolNotFoundError as exc:
        pytest.skip(f"SKIPPED: kubectl is not installed ({exc.message})")
    offline.verified(directory, KUSTOMIZE_TREE)
    with tarfile.open(directory / KUSTOMIZE_TREE) as tar:
        tar.extractall(workdir, filter="data")
    [overlay] = workdir.glob("*/manifests/overlays/standalone")
    rendered = proc.run([kubectl, "kustomize", overlay]).stdout
    proc.run(
        [kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side", "-f", "-"],
        input_text=rendered,
        timeout=180,
    )


def test_the_operator_waits_for_the_kubeflow_stage_then_runs_a_pytorchjob_to_succeeded(
    cluster: Cluster, operator_binary: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kubernetes import client, config

    reporter = SilentReporter()

    def start() -> trainingop.OperatorStatus:
        return trainingop.start(
            REPO,
            reporter,
            base=cluster.operator_base,
            controlplane_base=cluster.base,
            binary=operator_binary,
        )

    waiting = start()
    assert (waiting.running, waiting.action, waiting.detail) == (
        False,
        "waiting",
        "waiting for the PyTorchJob CRD (deploy kubeflow)",
    )

    install_kubeflow_training(cluster.kubeconfig, tmp_path)
    began = time.monotonic()
    started = start()
    assert started.running and started.action == "started", started.detail
    ready_in = time.monotonic() - began
    assert start().action == "reused"
    state = started.state
    assert state is not None
    args = " ".join(trainingop.operator_args(Path(state.exe), Path("k"), state))
    assert f"--health-probe-bind-address=127.0.0.1:{state.health_port}" in args
    assert f"--metrics-bind-address=127.0.0.1:{state.metrics_port}" in args

    configuration = client.Configuration()
    config.load_kube_config(config_file=str(cluster.kubeconfig), client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        core = client.CoreV1Api(api)
        # Its certificate rotator (acting as the operator's service account) filled the
        # webhook Secret and the ValidatingWebhookConfiguration's CA bundle.
        secret = core.read_namespaced_secret(trainingop.WEBHOOK_SECRET, trainingop.NAMESPACE)
        assert {"ca.crt", "tls.crt", "tls.key"} <= set(secret.data or {})
        webhooks = client.AdmissionregistrationV1Api(api).read_validating_webhook_configuration(
            trainingop.WEBHOOK_CONFIGURATION
        )
        assert all(w.client_config.ca_bundle for w in webhooks.webhooks)

        env = load_platform(REPO).get("sandbox")
        spec = training.job_spec_for(
            env, "ddp", workers=1, gpus=1, code_configmap="ddp-code", namespace="default"
        )
        submitted = time.monotonic()
        training.submit(cluster.kubeconfig, spec, training.read_code(EXAMPLE), reporter)

        def pods() -> list[Any]:
            found = core.list_namespaced_pod(
                "default", label_selector="training.kubeflow.org/job-name=ddp"
            ).items
            return found if len(found) == 2 else []

        made = _until("the operator to create the master and worker pods", pods)
        roles = sorted(p.metadata.labels["training.kubeflow.org/replica-type"] for p in made)
        assert roles == ["master", "worker"]
        assert all(p.metadata.owner_references[0].kind == "PyTorchJob" for p in made)

        done = training.wait(cluster.kubeconfig, "ddp", "default", timeout=120)
        elapsed = time.monotonic() - submitted
        assert done.phase == "Succeeded"
        assert done.replicas["Master"]["succeeded"] == 1

        def all_succeeded() -> list[Any]:
            found = pods()
            return found if all(p.status.phase == "Succeeded" for p in found) else []

        finished = _until("both pods to succeed", all_succeeded)
        # One GPU each, and only the GPU node has GPUs (one: the pods took turns).
        assert {p.spec.node_name for p in finished} == {"sandbox-gpu-0"}
        for pod in finished:
            [state_] = pod.status.container_statuses
            assert state_.state.terminated.exit_code == 0

    from platformctl.cli import app
    from platformctl.cli.errors import run_app

    capsys.readouterr()
    code = run_app(
        app,
        ["train", "status", "ddp", "--org", "ExampleOrg", "--kubeconfig",
         str(cluster.kubeconfig), "--json"],
    )  # fmt: skip
    shown = json.loads(capsys.readouterr().out)
    assert code == 0
    assert shown["phase"] == "Succeeded"
    assert [c["type"] for c in shown["conditions"]][-1] == "Succeeded"
    assert {"Created", "Running"} <= {c["type"] for c in shown["conditions"]}

    with capsys.disabled():
        print(
            f"\noperator ready in {ready_in:.1f} s; PyTorchJob Succeeded {elapsed:.1f} s after submit"
        )

    # The operator, its Services and the pods made the API server dial nothing.
    assert controlplane.egress_findings(REPO, base=cluster.base) == []

    stopped = trainingop.stop(REPO, reporter, base=cluster.operator_base)
    assert stopped.detail == f"stopped pid {state.pid}"
    assert not proc.pid_alive(state.pid)


def test_sandbox_up_reports_the_operator_waiting_and_post_install_starts_it(
    tmp_path: Path, operator_binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The component as `sandbox up`/`status`/`down` and the kubeflow post-install see it."""
    import shutil

    from platformctl.sandbox import registry as sandbox
    from platformctl.sandbox.component import SandboxOptions
    from tests.fixtures.servers import free_port

    root = tmp_path / "repo"
    root.mkdir()
    for name in ("platform.toml", ".tool-versions"):
        shutil.copy(REPO / name, root / name)
    monkeypatch.setenv(trainingop.BINARY_ENV, str(operator_binary))
    monkeypatch.delenv(offline.ENV_VAR, raising=False)
    reporter = SilentReporter()
    options = SandboxOptions(port=free_port(), charts_port=free_port(), training_seconds=1)
    try:
        up = {c.name: c for c in sandbox.up(root, reporter, options).components}
        if not up["controlplane"].running:
            pytest.skip(f"SKIPPED: no control plane ({up['controlplane'].detail})")
        operator = up["training-operator"]
        assert (operator.running, operator.action, operator.required) == (False, "waiting", False)
        assert operator.detail == trainingop.WAITING_CRD
        status = {c.name: c for c in sandbox.status(root).components}
        assert status["training-operator"].detail == trainingop.WAITING_CRD

        install_kubeflow_training(cpconfig.kubeconfig_path(root), tmp_path / "tree")
        started = trainingop.ensure_training_operator(root, reporter)
        assert (started.running, started.action) == (True, "started"), started.detail
        assert trainingop.ensure_training_operator(root, reporter).action == "reused"
        status = {c.name: c for c in sandbox.status(root).components}
        assert status["training-operator"].running
        assert status["training-operator"].endpoint == f"http://127.0.0.1:{started.port}"
    finally:
        down = sandbox.down(root, reporter, purge=True)
    names = [c.name for c in down.components if c.detail.startswith("stopped")]
    assert names[-1] == "training-operator"
    assert started.pid is not None and not proc.pid_alive(started.pid)
    assert not (root / ".platformctl" / "training-operator").exists()
