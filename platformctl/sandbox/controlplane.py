"""The sandbox's local Kubernetes control plane: etcd + kube-apiserver (+ controller manager
and scheduler when built), on 127.0.0.1 with generated certificates.

Everything lives under .platformctl/controlplane/ (or any `base` directory a caller
chooses): `pki/` certificates, `etcd/` data, `logs/`, `state.json` with the pids and ports,
and `kubeconfig` (mode 0600) for the cluster admin. Binaries come from the tools cache via
platformctl.toolchain.locate. There are no kubelets. When kwok (sigs.k8s.io/kwok) is
installed, it runs as one more process and plays the kubelets of fake nodes made from the
sandbox environment's node groups (GPU nodes advertise nvidia.com/gpu): Pods scheduled onto
them become Running and Ready, so Deployments roll out. Without kwok there are no nodes:
Pods are created and scheduled (when the controller manager and scheduler run) but stay
Pending.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformctl import proc
from platformctl.errors import OperationError
from platformctl.fsutil import write_atomic
from platformctl.paths import state_dir
from platformctl.report import Reporter
from platformctl.sandbox import lockdown
from platformctl.sandbox.fakenodes import (
    KWOK_ANNOTATION,
    ensure_fake_nodes,
    fake_nodes,
    sandbox_environment,
)
from platformctl.sandbox.kwokconfig import DEFAULT_TRAINING_SECONDS, kwok_config
from platformctl.sandbox.lockdown import ADMISSION_ARGS
from platformctl.sandbox.pki import Pair, Pki, ensure_pki

if TYPE_CHECKING:
    from platformctl.sandbox.component import ComponentStatus as SandboxComponentStatus
    from platformctl.sandbox.component import SandboxOptions

# Service addresses on loopback (Kubernetes accepts a loopback service range): a cluster IP
# can never lead off this machine. Pod addresses cannot be loopback (EndpointSlices refuse
# 127.0.0.0/8), so kwok hands out kind's usual pod range; nothing dials them (lockdown).
SERVICE_CIDR = "127.16.0.0/16"
POD_CIDR = "10.244.0.1/16"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
CLUSTER_NAME = "platformctl-sandbox"
STATE_FILE = "state.json"
START_TIMEOUT = 120.0
NODE_MONITOR_GRACE = "1h"
# Start order; stop goes the other way.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
OPTIONAL = ("kube-controller-manager", "kube-scheduler")
KWOK_SELECTOR = f"{KWOK_ANNOTATION}=fake"
NO_KWOK = "no fake nodes (kwok not installed)"


@dataclass(frozen=True)
class Layout:
    """Files and directories of one control plane."""

    base: Path

    @property
    def pki(self) -> Pki:
        return Pki(self.base / "pki")

    @property
    def etcd_data(self) -> Path:
        return self.base / "etcd"

    @property
    def logs(self) -> Path:
        return self.base / "logs"

    @property
    def state(self) -> Path:
        return self.base / STATE_FILE

    @property
    def kubeconfig(self) -> Path:
        return self.base / "kubeconfig"

    @property
    def kwok_config(self) -> Path:
        return self.base / "kwok.yaml"

    def component_kubeconfig(self, name: str) -> Path:
        return self.base / "kubeconfigs" / f"{name}.kubeconfig"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"


def default_base(root: Path) -> Path:
    return state_dir(root) / "controlplane"


def kubeconfig_path(root: Path) -> Path:
    """The admin kubeconfig of the repository's sandbox control plane."""
    return Layout(default_base(root)).kubeconfig


@dataclass(frozen=True)
class Binaries:
    etcd: Path
    apiserver: Path
    controller_manager: Path | None
    scheduler: Path | None
    kwok: Path | None = None


@dataclass(frozen=True)
class Process:
    """One running component, as recorded in state.json."""

    name: str
    pid: int
    exe: str
    port: int
    log: str


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    pid: int | None = None
    port: int | None = None
    log: str = ""


@dataclass(frozen=True)
class ControlPlaneStatus:
    """What runs, where, and whether the API server says it is ready."""

    base: str
    running: bool
    server: str | None
    kubeconfig: str | None
    ready: bool
    components: tuple[ComponentStatus, ...] = field(default_factory=tuple)
    missing: tuple[str, ...] = field(default_factory=tuple)  # optional components not built
    note: str = ""
    fake_nodes: tuple[str, ...] = field(default_factory=tuple)  # nodes kwok plays (if it runs)

    @property
    def kwok(self) -> bool:
        return any(c.name == "kwok" and c.running for c in self.components)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def locate_binaries(root: Path) -> Binaries:
    """etcd and kube-apiserver (required); the controller manager and scheduler and kwok
    (optional).

    The controller manager and scheduler are built into the same bin directory as
    kube-apiserver; kwok is a tool of its own.
    """
    from platformctl.errors import ToolNotFoundError
    from platformctl.toolchain import locate
    from platformctl.toolchain.catalog import CATALOG
    from platformctl.toolchain.versions import load_pins

    etcd = locate.tool_path(root, "etcd")
    apiserver = locate.tool_path(root, "kube-apiserver")
    pin = load_pins(root).get("kube-apiserver")
    extras: dict[str, Path | None] = {}
    for exe in OPTIONAL:
        candidates = [apiserver.parent / exe]
        if pin is not None:
            candidates.insert(0, locate.cached_path(CATALOG["kube-apiserver"], pin.version, exe))
        extras[exe] = next((c for c in candidates if c.is_file()), None)
    try:
        kwok: Path | None = locate.tool_path(root, "kwok")
    except ToolNotFoundError:
        kwok = None
    return Binaries(
        etcd, apiserver, extras["kube-controller-manager"], extras["kube-scheduler"], kwok
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- kubeconfig -------------------------------------------------------------------------


def kubeconfig_document(server: str, ca: Path, client: Pair, user: str) -> dict[str, Any]:
    """A self-contained kubeconfig (certificates embedded) for `user` at `server`."""

    def b64(path: Path) -> str:
        return base64.b64encode(path.read_bytes()).decode()

    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CLUSTER_NAME,
                "cluster": {"server": server, "certificate-authority-data": b64(ca)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": b64(client.cert),
                    "client-key-data": b64(client.key),
                },
            }
        ],
        "contexts": [{"name": CLUSTER_NAME, "context": {"cluster": CLUSTER_NAME, "user": user}}],
        "current-context": CLUSTER_NAME,
        "preferences": {},
    }


def write_kubeconfig(path: Path, server: str, ca: Path, client: Pair, user: str) -> None:
    """Write a kubeconfig (JSON, which every YAML reader accepts) readable by its owner only."""
    doc = kubeconfig_document(server, ca, client, user)
    write_atomic(path, json.dumps(doc, indent=2) + "\n", mode=0o600)


# --- command lines ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kwok: int = 0

    @classmethod
    def pick(cls) -> Ports:
        ports: set[int] = set()
        while len(ports) < 6:
            ports.add(free_port())
        a, b, c, d, e, f = sorted(ports)
        return cls(a, b, c, d, e, f)


def etcd_args(exe: Path, layout: Layout, ports: Ports) -> list[str]:
    pki = layout.pki
    client = f"https://127.0.0.1:{ports.etcd_client}"
    peer = f"https://127.0.0.1:{ports.etcd_peer}"
    return [
        str(exe),
        "--name=sandbox",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=sandbox={peer}",
        f"--cert-file={pki.etcd_server.cert}",
        f"--key-file={pki.etcd_server.key}",
        f"--trusted-ca-file={pki.etcd_ca.cert}",
        "--client-cert-auth=true",
        f"--peer-cert-file={pki.etcd_server.cert}",
        f"--peer-key-file={pki.etcd_server.key}",
        f"--peer-trusted-ca-file={pki.etcd_ca.cert}",
        "--peer-client-cert-auth=true",
        # Throwaway local data on a shared machine: durability is not worth the fsyncs.
        "--unsafe-no-fsync=true",
        "--log-level=warn",
    ]


def apiserver_args(exe: Path, layout: Layout, ports: Ports) -> list[str]:
    pki = layout.pki
    return [
        str(exe),
        f"--etcd-servers=https://127.0.0.1:{ports.etcd_client}",
        f"--etcd-cafile={pki.etcd_ca.cert}",
        f"--etcd-certfile={pki.apiserver_etcd_client.cert}",
        f"--etcd-keyfile={pki.apiserver_etcd_client.key}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={ports.apiserver}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        f"--tls-cert-file={pki.apiserver.cert}",
        f"--tls-private-key-file={pki.apiserver.key}",
        f"--client-ca-file={pki.ca.cert}",
        f"--service-account-key-file={pki.sa_pub}",
        f"--service-account-signing-key-file={pki.sa_key}",
        f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
        "--authorization-mode=Node,RBAC",
        "--allow-privileged=true",
        "--profiling=false",
        f"--cert-dir={layout.base / 'apiserver'}",
        *ADMISSION_ARGS,
        # Level 2 logs the failed calls and dials that egress_findings looks for.
        "-v=2",
    ]


def controller_manager_args(exe: Path, layout: Layout, ports: Ports) -> list[str]:
    pki = layout.pki
    kubeconfig = layout.component_kubeconfig("kube-controller-manager")
    return [
        str(exe),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.controller_manager}",
        "--leader-elect=false",
        "--use-service-account-credentials=true",
        f"--service-account-private-key-file={pki.sa_key}",
        f"--root-ca-file={pki.ca.cert}",
        f"--cluster-signing-cert-file={pki.ca.cert}",
        f"--cluster-signing-key-file={pki.ca.key}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # kwok renews the fake nodes' leases; on a busy 2-core machine a renewal can come
        # later than the default 50 s, the node lifecycle controller then marks every pod
        # NotReady, and kwok never marks them Ready again. A fake node does not die.
        f"--node-monitor-grace-period={NODE_MONITOR_GRACE}",
        f"--cert-dir={layout.base / 'controller-manager'}",
        "--profiling=false",
    ]


def scheduler_args(exe: Path, layout: Layout, ports: Ports) -> list[str]:
    kubeconfig = layout.component_kubeconfig("kube-scheduler")
    return [
        str(exe),
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports.scheduler}",
        "--leader-elect=false",
        f"--cert-dir={layout.base / 'scheduler'}",
        "--profiling=false",
    ]


def kwok_args(exe: Path, layout: Layout, ports: Ports) -> list[str]:
    """kwok plays the kubelet of the annotated fake nodes only, with its default stages
    (nodes initialise and heartbeat through leases; pods become Ready, complete, delete).

    Its own configuration file (empty) keeps a user's ~/.kwok/kwok.yaml out of the sandbox.
    """
    return [
        str(exe),
        f"--kubeconfig={layout.component_kubeconfig('kwok')}",
        f"--config={layout.kwok_config}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={KWOK_SELECTOR}",
        "--manage-nodes-with-label-selector=",
        "--node-ip=127.0.0.1",
        f"--server-address=127.0.0.1:{ports.kwok}",
    ]


# --- probes -----------------------------------------------------------------------------


def https_get(
    url: str, *, ca: Path | None = None, client: Pair | None = None, timeout: float = 3.0
) -> tuple[int, str]:
    """GET over TLS; verifies against `ca` when given (else no verification: loopback probes
    of our own children that serve self-signed certificates)."""
    import ssl  # here: plan-all reads the sandbox's environment before it starts
    import urllib.error
    import urllib.request

    if ca is not None:
        context = ssl.create_default_context(cafile=str(ca))
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client is not None:
        context.load_cert_chain(str(client.cert), str(client.key))
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            return int(response.status), response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode(errors="replace")


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _wait_healthy(
    name: str,
    pid: int,
    url: str,
    log: Path,
    deadline: float,
    *,
    ca: Path | None = None,
    client: Pair | None = None,
    expect: str = "ok",
) -> None:
    last = ""
    while time.monotonic() < deadline:
        if not proc.pid_alive(pid):
            raise OperationError(
                f"{name} exited during start-up; last lines of {log}:\n{_log_tail(log)}",
                hint="see the full log above; `platformctl sandbox down --purge` starts afresh.",
            )
        try:
            code, body = https_get(url, ca=ca, client=client)
            if code == 200 and expect in body:
                return
            last = f"HTTP {code}: {body.strip()[:200]}"
        except OSError as exc:  # ssl.SSLError is an OSError
            last = str(exc)
        time.sleep(0.25)
    raise OperationError(
        f"{name} did not become healthy at {url} in time (last answer: {last}); "
        f"last lines of {log}:\n{_log_tail(log)}"
    )


# --- state ------------------------------------------------------------------------------


def _read_state(layout: Layout) -> dict[str, Any] | None:
    try:
        data = json.loads(layout.state.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _processes(state: dict[str, Any] | None) -> list[Process]:
    if not state:
        return []
    return [Process(**p) for p in state.get("processes", [])]


def _is_ours(process: Process) -> bool:
    """The pid is alive and still runs the recorded executable (pids get reused)."""
    if not proc.pid_alive(process.pid):
        return False
    try:
        raw = Path(f"/proc/{process.pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid
    argv0 = raw.split(b"\0", 1)[0].decode(errors="replace")
    return argv0 == process.exe


# --- start / stop / status --------------------------------------------------------------


def start(
    root: Path,
    reporter: Reporter,
    *,
    base: Path | None = None,
    timeout: float = START_TIMEOUT,
    binaries: Binaries | None = None,
    training_seconds: float = DEFAULT_TRAINING_SECONDS,
) -> ControlPlaneStatus:
    """Start the control plane (idempotent: a running one is left alone and reported).

    Right after kube-apiserver is healthy, the admission policy that keeps it from dialling
    Services is put in force (platformctl.sandbox.lockdown). `training_seconds` is how long kwok
    lets a training pod run before it ends Succeeded. On any failure the components
    started by this call are stopped again.
    """
    layout = Layout(base or default_base(root))
    current = status(root, base=layout.base)
    if current.running and all(c.running for c in current.components):
        if _locked_down(current):
            reporter.info(f"control plane already running at {current.server}")
            return current
        reporter.warn("the running control plane predates its egress protections; restarting it.")
    if current.components:
        stop(root, reporter, base=layout.base)

    bins = binaries or locate_binaries(root)
    layout.base.mkdir(parents=True, exist_ok=True)
    layout.base.chmod(0o700)
    layout.logs.mkdir(exist_ok=True)
    reporter.step("control plane: certificates")
    pki = ensure_pki(layout.pki.dir)
    ports = Ports.pick()
    server = f"https://127.0.0.1:{ports.apiserver}"
    for name, pair in (
        ("kube-controller-manager", pki.controller_manager),
        ("kube-scheduler", pki.scheduler),
    ):
        write_kubeconfig(layout.component_kubeconfig(name), server, pki.ca.cert, pair, name)
    if bins.kwok is not None:
        write_kubeconfig(
            layout.component_kubeconfig("kwok"), server, pki.ca.cert, pki.admin, "admin"
        )
        write_atomic(
            layout.kwok_config,
            kwok_config(pod_cidr=POD_CIDR, training_seconds=training_seconds),
        )

    started: list[Process] = []
    deadline = time.monotonic() + timeout
    plan: list[tuple[str, list[str], str, dict[str, Any]]] = [
        (
            "etcd",
            etcd_args(bins.etcd, layout, ports),
            f"https://127.0.0.1:{ports.etcd_client}/health",
            {"ca": pki.etcd_ca.cert, "client": pki.apiserver_etcd_client, "expect": "true"},
        ),
        (
            "kube-apiserver",
            apiserver_args(bins.apiserver, layout, ports),
            f"{server}/readyz",
            {"ca": pki.ca.cert, "client": pki.admin},
        ),
    ]
    if bins.controller_manager is not None:
        plan.append(
            (
                "kube-controller-manager",
                controller_manager_args(bins.controller_manager, layout, ports),
                f"https://127.0.0.1:{ports.controller_manager}/healthz",
                {},
            )
        )
    if bins.scheduler is not None:
        plan.append(
            (
                "kube-scheduler",
                scheduler_args(bins.scheduler, layout, ports),
                f"https://127.0.0.1:{ports.scheduler}/healthz",
                {},
            )
        )
    if bins.kwok is not None:
        plan.append(
            (
                "kwok",
                kwok_args(bins.kwok, layout, ports),
                f"http://127.0.0.1:{ports.kwok}/healthz",
                {},
            )
        )
    port_of = {
        "etcd": ports.etcd_client,
        "kube-apiserver": ports.apiserver,
        "kube-controller-manager": ports.controller_manager,
        "kube-scheduler": ports.scheduler,
        "kwok": ports.kwok,
    }
    nodes: tuple[str, ...] = ()
    try:
        for name, argv, url, probe in plan:
            reporter.step(f"control plane: start {name} on 127.0.0.1:{port_of[name]}")
            log = layout.log(name)
            pid = proc.spawn(argv, cwd=layout.base, log_path=log)
            started.append(Process(name, pid, argv[0], port_of[name], str(log)))
            _save_state(layout, server, started)
            _wait_healthy(name, pid, url, log, deadline, **probe)
            if name == "kube-apiserver":
                write_kubeconfig(layout.kubeconfig, server, pki.ca.cert, pki.admin, "admin")
                reporter.step("control plane: refuse APIServices and CRDs that call Services")
                lockdown.enforce(layout.kubeconfig, timeout=max(1.0, deadline - time.monotonic()))
        if bins.kwok is not None:
            env = sandbox_environment(root)
            if env is None:
                reporter.warn("no sandbox environment in platform.toml: no fake nodes created.")
            else:
                nodes = ensure_fake_nodes(layout.kubeconfig, fake_nodes(env), reporter)
                _save_state(layout, server, started, nodes)
    except BaseException:
        for process in reversed(started):
            proc.stop(process.pid)
        layout.state.unlink(missing_ok=True)
        raise
    reporter.info(f"kubeconfig: {layout.kubeconfig}")
    if bins.kwok is None:
        reporter.info(
            f"{NO_KWOK}: Pods stay Pending (run `platformctl tools install --only kwok`)."
        )
    missing = [
        n
        for n, b in (
            ("kube-controller-manager", bins.controller_manager),
            ("kube-scheduler", bins.scheduler),
        )
        if b is None
    ]
    if missing:
        reporter.warn(
            f"{' and '.join(missing)} not installed: objects are stored but no controller "
            "acts on them (run `platformctl tools install --only kube-apiserver`)."
        )
    return status(root, base=layout.base)


def _locked_down(st: ControlPlaneStatus) -> bool:
    """The running kube-apiserver has this version's egress protections (see lockdown)."""
    api = next((c for c in st.components if c.name == "kube-apiserver"), None)
    try:
        raw = Path(f"/proc/{api.pid}/cmdline").read_bytes() if api and api.pid else b""
    except OSError:
        return True  # no /proc: trust it
    argv = raw.decode(errors="replace").split("\0")
    return ADMISSION_ARGS[0] in argv and f"--service-cluster-ip-range={SERVICE_CIDR}" in argv


def _save_state(
    layout: Layout, server: str, processes: list[Process], nodes: Sequence[str] = ()
) -> None:
    doc = {
        "server": server,
        "kubeconfig": str(layout.kubeconfig),
        "processes": [asdict(p) for p in processes],
        "nodes": list(nodes),
    }
    write_atomic(layout.state, json.dumps(doc, indent=2) + "\n", mode=0o600)


def stop(root: Path, reporter: Reporter, *, base: Path | None = None) -> tuple[str, ...]:
    """Stop exactly the processes recorded in state.json (newest first); returns their names."""
    layout = Layout(base or default_base(root))
    stopped: list[str] = []
    for process in reversed(_processes(_read_state(layout))):
        if _is_ours(process):
            reporter.step(f"control plane: stop {process.name} (pid {process.pid})")
            proc.stop(process.pid)
            stopped.append(process.name)
    layout.state.unlink(missing_ok=True)
    return tuple(stopped)


def purge(root: Path, reporter: Reporter, *, base: Path | None = None) -> None:
    """Stop the control plane and remove its directory (data, certificates, kubeconfig)."""
    layout = Layout(base or default_base(root))
    stop(root, reporter, base=layout.base)
    if layout.base.exists():
        reporter.step(f"control plane: remove {layout.base}")
        shutil.rmtree(layout.base)


def status(root: Path, *, base: Path | None = None) -> ControlPlaneStatus:
    """Which recorded components are alive, and whether /readyz answers ok."""
    layout = Layout(base or default_base(root))
    state = _read_state(layout)
    processes = _processes(state)
    components = tuple(
        ComponentStatus(p.name, _is_ours(p), p.pid, p.port, p.log) for p in processes
    )
    names = {p.name for p in processes}
    missing = tuple(n for n in OPTIONAL if n not in names) if processes else ()
    server = state.get("server") if state else None
    running = bool(components) and all(c.running for c in components)
    ready = False
    note = ""
    if running and server:
        pki = layout.pki
        try:
            code, body = https_get(f"{server}/readyz", ca=pki.ca.cert, client=pki.admin)
            ready = code == 200 and body.strip() == "ok"
            note = "" if ready else f"/readyz answered HTTP {code}"
        except OSError as exc:  # ssl.SSLError is an OSError
            note = f"/readyz did not answer: {exc}"
    elif components:
        dead = [c.name for c in components if not c.running]
        note = f"not running: {', '.join(dead)}"
    return ControlPlaneStatus(
        base=str(layout.base),
        running=running,
        server=server if running else None,
        kubeconfig=str(layout.kubeconfig) if layout.kubeconfig.is_file() else None,
        ready=ready,
        components=components,
        missing=missing,
        note=note,
        fake_nodes=tuple(str(n) for n in (state.get("nodes") or ())) if state else (),
    )


def egress_findings(root: Path, *, base: Path | None = None) -> list[str]:
    """Evidence that the control plane dialled off loopback or could: the kube-apiserver log
    lines that show a dial to a non-loopback address or a webhook/APIService/conversion
    call, and any APIService with a Service or CRD with webhook conversion it holds.

    Empty when clean. The objects are read only while the control plane runs.
    """
    layout = Layout(base or default_base(root))
    st = status(root, base=layout.base)
    kubeconfig = Path(st.kubeconfig) if st.running and st.kubeconfig else None
    return lockdown.findings(layout.log("kube-apiserver"), kubeconfig)


def describe(st: ControlPlaneStatus) -> str:
    """One line: which components run and where the kubeconfig is."""
    names = " + ".join(c.name for c in st.components if c.running) or "nothing"
    text = f"{names}; kubeconfig {st.kubeconfig}" if st.kubeconfig else names
    if st.missing:
        text += f" ({', '.join(st.missing)} not installed)"
    if st.running:
        if not st.kwok:
            text += f"; {NO_KWOK}"
        elif st.fake_nodes:
            text += f"; fake nodes {', '.join(st.fake_nodes)}"
    if st.running and not st.ready:
        text += f" (not ready: {st.note})"
    return text


class ControlPlaneComponent:
    """The control plane as a sandbox component (platformctl.sandbox.component.Component)."""

    name = "controlplane"
    required = False

    def __init__(self, base: Path | None = None) -> None:
        self.base = base

    def _component_status(self, st: ControlPlaneStatus, action: str) -> SandboxComponentStatus:
        from platformctl.sandbox.component import ComponentStatus as SandboxComponentStatus

        api = next((c for c in st.components if c.name == "kube-apiserver"), None)
        if not st.components:
            return SandboxComponentStatus(
                self.name, False, "absent", detail="not running", required=False
            )
        return SandboxComponentStatus(
            self.name,
            st.running,
            action if st.running else "absent",
            pid=api.pid if api else None,
            port=api.port if api else None,
            endpoint=st.server,
            detail=describe(st) if st.running else (st.note or "not running"),
            required=False,
        )

    def start(
        self, root: Path, options: SandboxOptions, reporter: Reporter
    ) -> SandboxComponentStatus:
        from platformctl.errors import ToolNotFoundError
        from platformctl.sandbox.component import ComponentStatus as SandboxComponentStatus

        before = status(root, base=self.base)
        reused = before.running and all(c.running for c in before.components)
        try:
            st = start(
                root,
                reporter,
                base=self.base,
                timeout=max(options.wait_seconds, START_TIMEOUT),
                training_seconds=options.training_seconds,
            )
        except ToolNotFoundError as exc:
            # The AWS emulator is useful on its own: say what is missing, start the rest.
            reporter.warn(f"control plane not started: {exc.message} Hint: {exc.hint}")
            return SandboxComponentStatus(
                self.name, False, "absent", detail=f"not installed: {exc.message}", required=False
            )
        return self._component_status(st, "reused" if reused else "started")

    def stop(self, root: Path, reporter: Reporter) -> SandboxComponentStatus:
        from platformctl.sandbox.component import ComponentStatus as SandboxComponentStatus

        stopped = stop(root, reporter, base=self.base)
        detail = f"stopped {', '.join(stopped)}" if stopped else "was not running"
        return SandboxComponentStatus(self.name, False, "stopped", detail=detail, required=False)

    def purge(self, root: Path, reporter: Reporter) -> None:
        """`sandbox down --purge`: also remove .platformctl/controlplane."""
        purge(root, reporter, base=self.base)

    def status(self, root: Path) -> SandboxComponentStatus:
        return self._component_status(status(root, base=self.base), "running")

    def env(self, root: Path) -> Mapping[str, str]:
        st = status(root, base=self.base)
        if not st.running or st.kubeconfig is None:
            return {}
        return {"PLATFORMCTL_KUBECONFIG": st.kubeconfig, "KUBECONFIG": st.kubeconfig}
