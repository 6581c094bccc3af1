"""The Training Operator's controller as a local process of the sandbox.

On a real cluster the Kubeflow Training Operator runs in a pod. The sandbox has no
kubelets that run containers, so the controller (built from the Go module proxy, pinned
1.9.2) runs here instead, against the sandbox API server, and does its real work: a
PyTorchJob gets its master and worker pods and Services, kwok plays those pods on the fake
nodes, and the operator reports the job's conditions from them.

It starts only when the kubeflow stage has installed what it needs (the pytorchjobs CRD,
its webhook certificate Secret and its ValidatingWebhookConfiguration, whose CA bundle its
certificate rotator fills); before that `sandbox up` reports it waiting, and
`ensure_training_operator` starts it later (post-install of the kubeflow stage). It acts as
the in-cluster operator's service account, with a client certificate from the sandbox CA,
so it has exactly the RBAC that the kubeflow stage grants the real one. Out of a pod, the
sandbox plays the kubelet's part for the one volume the operator needs: it writes the
files of the webhook Secret (filled by the operator's rotator) into CERT_DIR, the
directory 1.9.2 hard-codes, shared by every operator on this machine (harmless: no API
server here calls the webhook).

Everything lives under .platformctl/training-operator/ (or any `base` a caller chooses):
`state.json` (pid, ports, server), `kubeconfig` (0600), its client certificate and log.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from platformctl import proc
from platformctl.errors import OperationError, ToolNotFoundError
from platformctl.fsutil import write_atomic
from platformctl.paths import state_dir, tools_dir
from platformctl.report import Reporter

if TYPE_CHECKING:
    from platformctl.sandbox.component import ComponentStatus, SandboxOptions

NAME = "training-operator"
VERSION = "1.9.2"  # the default when .tool-versions does not pin it
BINARY_ENV = "PLATFORMCTL_TRAINING_OPERATOR"  # a directory holding the binary, or the binary
NAMESPACE = "kubeflow"
CRD = "pytorchjobs.kubeflow.org"
WEBHOOK_SECRET = "training-operator-webhook-cert"
WEBHOOK_CONFIGURATION = "validator.training-operator.kubeflow.org"
USER = f"system:serviceaccount:{NAMESPACE}:training-operator"
WAITING_CRD = "waiting for the PyTorchJob CRD (deploy kubeflow)"
START_TIMEOUT = 120.0
SETTLE_SECONDS = 30.0
# Where 1.9.2 reads its webhook certificates; a pod gets the Secret mounted there, and its
# rotator (pkg/cert) hard-codes the path, so a process has it at the same place.
CERT_DIR = Path("/tmp/k8s-webhook-server/serving-certs")
CERT_FILES = ("ca.crt", "tls.crt", "tls.key")

# Why the operator cannot start when the sandbox has no control plane of its own.
NO_CONTROL_PLANE = "not started: the control plane is not running"


@dataclass(frozen=True)
class OperatorState:
    """The running operator, as recorded in state.json."""

    pid: int
    exe: str
    server: str
    health_port: int
    metrics_port: int
    webhook_port: int
    started_at: str
    log: str


@dataclass(frozen=True)
class OperatorStatus:
    running: bool
    action: str  # started, reused, running, waiting, absent, stopped
    detail: str
    state: OperatorState | None = None


def default_base(root: Path) -> Path:
    return state_dir(root) / NAME


def locate_operator(root: Path) -> Path:
    """The controller binary: $PLATFORMCTL_TRAINING_OPERATOR, else the pinned build in the
    tools cache (through platformctl.toolchain when it knows the tool)."""
    from platformctl.toolchain import locate
    from platformctl.toolchain.catalog import CATALOG
    from platformctl.toolchain.versions import load_pins

    override = os.environ.get(BINARY_ENV)
    if override:
        path = Path(override).expanduser()
        exe = path / NAME if path.is_dir() else path
        if not (exe.is_file() and os.access(exe, os.X_OK)):
            raise ToolNotFoundError(
                f"{BINARY_ENV}={override} holds no executable {NAME}.",
                hint="point it at the bin directory of a `go build ./cmd/training-operator.v1`.",
            )
        return exe
    pin = load_pins(root).get(NAME)
    version = pin.version if pin else VERSION
    if NAME in CATALOG:
        try:
            return locate.tool_path(root, NAME)
        except ToolNotFoundError:
            pass
    cached = tools_dir() / NAME / version / "bin" / NAME
    if cached.is_file():
        return cached
    raise ToolNotFoundError(
        f"{NAME} {version} (the Training Operator's controller) is not built.",
        hint=f"run `platformctl tools install --only {NAME}` (it builds it from the Go "
        f"module proxy), or set {BINARY_ENV} to a directory holding one.",
    )


def missing_prerequisites(kubeconfig: Path) -> str | None:
    """What the operator still waits for on the cluster, or None when it can start."""
    from platformctl.cluster.kube import Kube

    with Kube(kubeconfig) as kube:
        crd = kube.crd(CRD)
        if crd is None:
            return WAITING_CRD
        if not crd.established:
            return f"waiting for the CRD {CRD} to be Established"
        missing = []
        if kube.get_raw(f"/api/v1/namespaces/{NAMESPACE}/secrets/{WEBHOOK_SECRET}") is None:
            missing.append(f"Secret {NAMESPACE}/{WEBHOOK_SECRET}")
        path = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
        if kube.get_raw(path + WEBHOOK_CONFIGURATION) is None:
            missing.append(f"ValidatingWebhookConfiguration {WEBHOOK_CONFIGURATION}")
    if missing:
        return f"waiting for the operator's {' and '.join(missing)} (deploy kubeflow)"
    return None


def mount_webhook_secret(kubeconfig: Path, directory: Path = CERT_DIR) -> bool:
    """Do what the kubelet does for the operator's pod: put the files of its webhook Secret
    into the directory it reads them from. False while its rotator has not filled it yet.

    The operator waits for these files before it starts any controller.
    """
    import base64

    from platformctl.cluster.kube import Kube

    with Kube(kubeconfig) as kube:
        secret = kube.get_raw(f"/api/v1/namespaces/{NAMESPACE}/secrets/{WEBHOOK_SECRET}")
    data: dict[str, str] = (secret or {}).get("data") or {}
    if not all(data.get(name) for name in CERT_FILES):
        return False
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in CERT_FILES:
        content = base64.b64decode(data[name])
        write_atomic(directory / name, content, mode=0o600 if name.endswith(".key") else 0o644)
    return True


def operator_args(exe: Path, kubeconfig: Path, state: OperatorState) -> list[str]:
    return [
        str(exe),
        f"--kubeconfig={kubeconfig}",
        "--enable-scheme=pytorchjob",
        f"--metrics-bind-address=127.0.0.1:{state.metrics_port}",
        f"--health-probe-bind-address=127.0.0.1:{state.health_port}",
        # Upstream has no flag for the webhook server's address: it listens on every
        # interface of this port. Nothing calls it (the API server's webhooks are off).
        f"--webhook-server-port={state.webhook_port}",
        "--zap-devel=false",
        "--zap-encoder=console",
    ]


# --- state ----------------------------------------------------------------------------------


def _state_path(base: Path) -> Path:
    return base / "state.json"


def read_state(base: Path) -> OperatorState | None:
    try:
        data = json.loads(_state_path(base).read_text(encoding="utf-8"))
        return OperatorState(**data)
    except (OSError, ValueError, TypeError):
        return None


def _alive(state: OperatorState | None) -> bool:
    """The recorded pid is alive and still runs the recorded executable (pids get reused)."""
    if state is None or not proc.pid_alive(state.pid):
        return False
    try:
        argv0 = Path(f"/proc/{state.pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return True
    return argv0.decode(errors="replace") == state.exe


def _ready(state: OperatorState, path: str = "readyz") -> bool:
    import urllib.error
    import urllib.request  # here: plan-all reads the sandbox's environment before it starts

    try:
        url = f"http://127.0.0.1:{state.health_port}/{path}"
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


# --- start / stop / status ------------------------------------------------------------------


def start(
    root: Path,
    reporter: Reporter,
    *,
    base: Path | None = None,
    controlplane_base: Path | None = None,
    binary: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> OperatorStatus:
    """Start the operator against the control plane, once the kubeflow stage's objects exist.

    Idempotent: a running operator connected to the current API server is reused. Raises
    ToolNotFoundError when the binary is not built and OperationError when it does not
    become ready.
    """
    from platformctl.sandbox import controlplane
    from platformctl.sandbox.cpconfig import Layout, free_port, write_kubeconfig
    from platformctl.sandbox.pki import Pki, issue_client

    base = base or default_base(root)
    cp = controlplane.status(root, base=controlplane_base)
    if not cp.running or cp.server is None or cp.kubeconfig is None:
        return OperatorStatus(False, "absent", NO_CONTROL_PLANE)
    current = read_state(base)
    if _alive(current) and current is not None:
        if current.server == cp.server and _ready(current, "healthz"):
            return OperatorStatus(True, "reused", _describe(current), current)
        reporter.step(f"{NAME}: restart (pid {current.pid}; the API server moved)")
        proc.stop(current.pid)
    _state_path(base).unlink(missing_ok=True)
    waiting = missing_prerequisites(Path(cp.kubeconfig))
    # Once the kubeflow stage has begun to install (the CRD exists), the rest follows within
    # moments: wait for it rather than report a half-installed stage.
    settle = time.monotonic() + SETTLE_SECONDS
    while waiting not in (None, WAITING_CRD) and time.monotonic() < settle:
        time.sleep(0.5)
        waiting = missing_prerequisites(Path(cp.kubeconfig))
    if waiting is not None:
        return OperatorStatus(False, "waiting", waiting)
    exe = binary or locate_operator(root)

    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)
    cp_layout = Layout(Path(cp.base))
    pair = issue_client(cp_layout.pki, Pki(base).pair("client"), USER)
    kubeconfig = base / "kubeconfig"
    write_kubeconfig(kubeconfig, cp.server, cp_layout.pki.ca.cert, pair, USER)
    ports = {free_port() for _ in range(3)}
    while len(ports) < 3:
        ports.add(free_port())
    health, metrics, webhook = sorted(ports)
    log = base / f"{NAME}.log"
    state = OperatorState(
        pid=0,
        exe=str(exe),
        server=cp.server,
        health_port=health,
        metrics_port=metrics,
        webhook_port=webhook,
        started_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        log=str(log),
    )
    reporter.step(f"{NAME}: start on 127.0.0.1 (health {health}) against {cp.server}")
    pid = proc.spawn(
        operator_args(exe, kubeconfig, state),
        cwd=base,
        # MY_POD_NAMESPACE is what 1.9.2 reads for the namespace of its webhook Secret;
        # TMPDIR puts its webhook server's certificate directory at CERT_DIR too.
        env={"MY_POD_NAMESPACE": NAMESPACE, "POD_NAMESPACE": NAMESPACE, "TMPDIR": "/tmp"},
        log_path=log,
    )
    state = OperatorState(**{**asdict(state), "pid": pid})
    write_atomic(_state_path(base), json.dumps(asdict(state), indent=2) + "\n", mode=0o600)
    deadline = time.monotonic() + timeout
    mounted = False
    # Ready means its certificates are in place and its controllers are registered.
    while not _ready(state):
        if not mounted:
            mounted = mount_webhook_secret(Path(cp.kubeconfig))
        if not proc.pid_alive(pid) or time.monotonic() > deadline:
            proc.stop(pid)
            _state_path(base).unlink(missing_ok=True)
            raise OperationError(
                f"The Training Operator did not become ready in {timeout:g} s; "
                f"last lines of {log}:\n{_tail(log)}"
            )
        time.sleep(0.25)
    return OperatorStatus(True, "started", _describe(state), state)


def _describe(state: OperatorState) -> str:
    return f"Training Operator {VERSION} (PyTorchJob), health 127.0.0.1:{state.health_port}"


def stop(root: Path, reporter: Reporter, *, base: Path | None = None) -> OperatorStatus:
    """Stop exactly the recorded operator process."""
    base = base or default_base(root)
    state = read_state(base)
    if state is None:
        return OperatorStatus(False, "stopped", "was not running")
    detail = "was not running (removed a stale record)"
    if _alive(state):
        reporter.step(f"{NAME}: stop (pid {state.pid})")
        proc.stop(state.pid)
        detail = f"stopped pid {state.pid}"
    _state_path(base).unlink(missing_ok=True)
    return OperatorStatus(False, "stopped", detail)


def status(
    root: Path, *, base: Path | None = None, controlplane_base: Path | None = None
) -> OperatorStatus:
    """Whether the operator runs; when it does not, what it waits for."""
    from platformctl.sandbox import controlplane

    state = read_state(base or default_base(root))
    if _alive(state) and state is not None:
        ready = "" if _ready(state) else " (not ready)"
        return OperatorStatus(True, "running", _describe(state) + ready, state)
    cp = controlplane.status(root, base=controlplane_base)
    if not cp.running or cp.kubeconfig is None:
        return OperatorStatus(False, "absent", "not running")
    try:
        waiting = missing_prerequisites(Path(cp.kubeconfig))
    except OperationError as exc:
        return OperatorStatus(False, "absent", f"not running ({exc.message})")
    return OperatorStatus(
        False, "waiting" if waiting else "absent", waiting or "not running (run `sandbox up`)"
    )


def purge(root: Path, reporter: Reporter, *, base: Path | None = None) -> None:
    base = base or default_base(root)
    stop(root, reporter, base=base)
    if base.exists():
        reporter.step(f"{NAME}: remove {base}")
        shutil.rmtree(base)


# --- the sandbox component ------------------------------------------------------------------


class TrainingOperator:
    """The operator as a sandbox component (platformctl.sandbox.component.Component); optional."""

    name = NAME
    required = False

    def _component(self, st: OperatorStatus) -> ComponentStatus:
        from platformctl.sandbox.component import ComponentStatus

        state = st.state
        return ComponentStatus(
            self.name,
            st.running,
            st.action,
            pid=state.pid if state else None,
            port=state.health_port if state else None,
            endpoint=f"http://127.0.0.1:{state.health_port}" if state else None,
            started_at=state.started_at if state else None,
            detail=st.detail,
            required=False,
        )

    def start(self, root: Path, options: SandboxOptions, reporter: Reporter) -> ComponentStatus:
        try:
            st = start(root, reporter, timeout=max(options.wait_seconds, START_TIMEOUT))
        except ToolNotFoundError as exc:
            reporter.warn(f"{NAME} not started: {exc.message} Hint: {exc.hint}")
            st = OperatorStatus(False, "absent", f"not installed: {exc.message}")
        if st.action == "waiting":
            reporter.info(f"{NAME}: {st.detail}")
        return self._component(st)

    def stop(self, root: Path, reporter: Reporter) -> ComponentStatus:
        return self._component(stop(root, reporter))

    def status(self, root: Path) -> ComponentStatus:
        return self._component(status(root))

    def env(self, root: Path) -> Mapping[str, str]:
        return {}

    def purge(self, root: Path, reporter: Reporter) -> None:
        """`sandbox down --purge`: also remove .platformctl/training-operator."""
        purge(root, reporter)


def ensure_training_operator(root: Path, reporter: Reporter) -> ComponentStatus:
    """Start the sandbox's Training Operator if it can run and does not yet (post-install of
    the kubeflow stage calls this once the stage has installed the operator's CRDs).

    Returns the component's status: started, reused, waiting (with what is missing), or
    absent (no control plane, or the binary is not built).
    """
    from platformctl.sandbox.component import SandboxOptions

    return TrainingOperator().start(root, SandboxOptions(), reporter)
