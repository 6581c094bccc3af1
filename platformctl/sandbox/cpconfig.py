"""What the sandbox's control plane is made of: its files, binaries, ports, kubeconfig and command lines."""

from __future__ import annotations

import base64
import json
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformctl.fsutil import write_atomic
from platformctl.paths import state_dir
from platformctl.sandbox.fakenodes import (
    KWOK_ANNOTATION,
)
from platformctl.sandbox.lockdown import ADMISSION_ARGS
from platformctl.sandbox.pki import Pair, Pki

if TYPE_CHECKING:
    pass


# Service addresses on loopback (Kubernetes accepts a loopback service range): a cluster IP
# can never lead off this machine. Pod addresses cannot be loopback (EndpointSlices refuse
# 127.0.0.0/8), so kwok hands out kind's usual pod range; nothing dials them (lockdown).
SERVICE_CIDR = "127.16.0.0/16"
POD_CIDR = "10.244.0.1/16"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
CLUSTER_NAME = "platformctl-sandbox"
STATE_FILE = "state.json"
NODE_MONITOR_GRACE = "1h"
OPTIONAL = ("kube-controller-manager", "kube-scheduler")
KWOK_SELECTOR = f"{KWOK_ANNOTATION}=fake"


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
