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

import json
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformctl import proc
from platformctl.errors import OperationError
from platformctl.fsutil import write_atomic
from platformctl.report import Reporter
from platformctl.sandbox import lockdown
from platformctl.sandbox.fakenodes import (
    ensure_fake_nodes,
    fake_nodes,
    sandbox_environment,
)
from platformctl.sandbox.kwokconfig import DEFAULT_TRAINING_SECONDS, kwok_config
from platformctl.sandbox.lockdown import ADMISSION_ARGS
from platformctl.sandbox.pki import Pair, ensure_pki

if TYPE_CHECKING:
    from platformctl.sandbox.component import ComponentStatus as SandboxComponentStatus
    from platformctl.sandbox.component import SandboxOptions
from platformctl.sandbox.cpconfig import (
    OPTIONAL,
    POD_CIDR,
    SERVICE_CIDR,
    Binaries,
    ComponentStatus,
    Layout,
    Ports,
    Process,
    apiserver_args,
    controller_manager_args,
    default_base,
    etcd_args,
    kwok_args,
    locate_binaries,
    scheduler_args,
    write_kubeconfig,
)

START_TIMEOUT = 120.0
# Start order; stop goes the other way.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
NO_KWOK = "no fake nodes (kwok not installed)"


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
