"""add-cluster: merge an EKS cluster into a kubeconfig the way `aws eks update-kubeconfig` does.

The file is the --kubeconfig path, else the first path of $KUBECONFIG, else
~/.kube/config. Every other cluster, user and context is kept; ours (cluster and user
named by the cluster ARN, context by the alias) are replaced in place, and a context of
the alias's name that points at another cluster is only replaced with --overwrite.

As kubectl does, a symlinked kubeconfig is written through to its target, and the file
is locked for the write with `<file>.lock` (client-go's protocol, so kubectl and
platformctl never interleave). Anything but a regular file is refused. The file is
written atomically with mode 0600, keeping its owner, and not at all when nothing
changed or anything failed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.aws.client import EXEC_API_VERSION, EksToken, describe_cluster, eks_token
from platformctl.aws.session import AwsTarget
from platformctl.aws.target import aws_target
from platformctl.cluster.kubeconfig_file import read_kubeconfig, regular_or_absent
from platformctl.errors import OperationError, UsageError, quote
from platformctl.fsutil import write_atomic
from platformctl.model import validate
from platformctl.model.awsdata import REGION_AZS, nearest
from platformctl.model.config import Environment, Org
from platformctl.model.naming import resource_names
from platformctl.paths import state_dir
from platformctl.report import Reporter

EXEC_STYLES = ("platformctl", "aws")
CONTROLPLANE_KUBECONFIG = Path("controlplane") / "kubeconfig"
LOCK_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class AddClusterResult:
    path: Path
    cluster: str
    context: str
    server: str
    changed: bool
    current: bool
    source: str  # "eks" or "controlplane"

    def to_json(self) -> dict[str, Any]:
        return {
            "kubeconfig": str(self.path),
            "cluster": self.cluster,
            "context": self.context,
            "server": self.server,
            "changed": self.changed,
            "current_context": self.current,
            "source": self.source,
        }


def kubeconfig_path(explicit: Path | None = None) -> Path:
    """--kubeconfig, else the first entry of $KUBECONFIG, else ~/.kube/config."""
    if explicit is not None:
        return explicit.expanduser()
    for entry in os.environ.get("KUBECONFIG", "").split(os.pathsep):
        if entry:
            return Path(entry).expanduser()
    return Path.home() / ".kube" / "config"


def _yaml() -> Any:
    import yaml

    return yaml


def real_path(path: Path) -> Path:
    """Where a write of `path` lands: symlinks followed to their target (even a dangling one)."""
    return Path(os.path.realpath(path))


def load_kubeconfig(path: Path) -> dict[str, Any]:
    """The document at `path` (an empty Config when the file is absent or empty)."""
    doc = read_kubeconfig(path)
    for key in ("clusters", "users", "contexts"):
        if doc.get(key) is None:
            doc[key] = []
    doc.setdefault("apiVersion", "v1")
    doc.setdefault("kind", "Config")
    doc.setdefault("preferences", {})
    doc.setdefault("current-context", "")
    return doc


def write_kubeconfig(path: Path, text: str) -> Path:
    """Write `text` to the kubeconfig at `path`, through symlinks, under client-go's lock.

    Returns the file actually written. Refuses anything but a regular file (a device
    would be replaced by a regular file, a FIFO would block).
    """
    target = real_path(path)
    regular_or_absent(target)
    lock = target.with_name(target.name + ".lock")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = _acquire(lock)
    except OSError as exc:
        raise OperationError(f"Cannot write kubeconfig {target}: {exc.strerror}.") from exc
    try:
        write_atomic(target, text, mode=0o600, keep_owner=True)
    except OSError as exc:
        raise OperationError(f"Cannot write kubeconfig {target}: {exc.strerror}.") from exc
    finally:
        os.close(fd)
        lock.unlink(missing_ok=True)
    return target


def _acquire(lock: Path) -> int:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            if time.monotonic() > deadline:
                raise OperationError(
                    f"Kubeconfig {lock.with_suffix('')} is locked by another program ({lock} "
                    "exists); retry, or remove the lock file if no kubectl is running."
                ) from None
            time.sleep(0.1)


def check_region(flag: str, region: str | None) -> None:
    """UsageError unless `region` (when given) is an AWS region."""
    if region is not None and not validate.region(region):
        guess = nearest(region, sorted(REGION_AZS))
        raise UsageError(
            f"{flag} {quote(region)} is not an AWS region"
            + (f"; did you mean '{guess}'?" if guess else " (such as 'us-east-1').")
        )


def dump_kubeconfig(doc: Mapping[str, Any]) -> str:
    yaml = _yaml()

    text: str = yaml.safe_dump(dict(doc), default_flow_style=False, sort_keys=False)
    return text


def _upsert(entries: list[Any], name: str, body_key: str, body: Mapping[str, Any]) -> None:
    entry = {"name": name, body_key: dict(body)}
    for i, existing in enumerate(entries):
        if isinstance(existing, Mapping) and existing.get("name") == name:
            entries[i] = entry
            return
    entries.append(entry)


def merge_entry(
    doc: dict[str, Any],
    *,
    cluster_name: str,
    cluster: Mapping[str, Any],
    user_name: str,
    user: Mapping[str, Any],
    context_name: str,
    set_current: bool,
) -> dict[str, Any]:
    """Replace (or append) our cluster, user and context; keep every other entry."""
    _upsert(doc["clusters"], cluster_name, "cluster", cluster)
    _upsert(doc["users"], user_name, "user", user)
    _upsert(doc["contexts"], context_name, "context", {"cluster": cluster_name, "user": user_name})
    if set_current:
        doc["current-context"] = context_name
    return doc


def platformctl_command() -> str:
    """The platformctl executable kubectl should run: the one next to this Python, if any."""
    beside = Path(sys.executable).parent / "platformctl"
    return str(beside) if beside.is_file() else "platformctl"


def exec_user(
    cluster: str, region: str, style: str, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The exec credential plugin entry: `platformctl eks-token` or `aws eks get-token`."""
    if style == "aws":
        command = "aws"
        args = [
            "--region",
            region,
            "eks",
            "get-token",
            "--cluster-name",
            cluster,
            "--output",
            "json",
        ]
    else:
        command = platformctl_command()
        args = ["eks-token", "--cluster", cluster, "--region", region]
    spec: dict[str, Any] = {
        "apiVersion": EXEC_API_VERSION,
        "command": command,
        "args": args,
        "interactiveMode": "IfAvailable",
        "provideClusterInfo": False,
    }
    if env:
        spec["env"] = [{"name": k, "value": v} for k, v in sorted(env.items())]
    return {"exec": spec}


def _controlplane(root: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The local control plane's (cluster, user) entries, when its kubeconfig exists."""
    path = state_dir(root) / CONTROLPLANE_KUBECONFIG
    if not path.is_file():
        return None
    doc = load_kubeconfig(path)
    current = doc.get("current-context")
    contexts = {
        c.get("name"): c.get("context", {}) for c in doc["contexts"] if isinstance(c, Mapping)
    }
    ctx = contexts.get(current) or next(iter(contexts.values()), None)
    clusters = {
        c.get("name"): c.get("cluster", {}) for c in doc["clusters"] if isinstance(c, Mapping)
    }
    users = {u.get("name"): u.get("user", {}) for u in doc["users"] if isinstance(u, Mapping)}
    if not ctx or ctx.get("cluster") not in clusters or ctx.get("user") not in users:
        raise UsageError(f"{path} has no usable context (cluster + user); restart the sandbox.")
    return dict(clusters[ctx["cluster"]]), dict(users[ctx["user"]])


def add_cluster(
    root: Path,
    org: Org,
    env: Environment,
    reporter: Reporter,
    *,
    region: str | None = None,
    kubeconfig: Path | None = None,
    alias: str | None = None,
    set_current: bool = True,
    exec_style: str = "platformctl",
    overwrite: bool = False,
) -> AddClusterResult:
    """Describe <org>-<env>-eks and merge it into the kubeconfig (nothing written on error).

    The kubeconfig is `kubeconfig`, else the first path of $KUBECONFIG, else
    ~/.kube/config; the context is `alias`, default <org>-<env>-<region>. A context of
    that name for another cluster is refused unless `overwrite`.
    """
    if exec_style not in EXEC_STYLES:
        raise UsageError(f"--exec {quote(exec_style)} must be one of {', '.join(EXEC_STYLES)}.")
    check_region("--region", region)
    if alias is not None and not validate.context_name(alias):
        raise UsageError(
            f"--alias {quote(alias)} is not a usable context name: use 1-253 characters of "
            "A-Z, a-z, 0-9 and . _ @ : / + = -, starting with a letter or digit."
        )
    region = region or env.region
    name = resource_names(org, env)["cluster"]
    alias = alias or f"{org.name}-{env.name}-{region}"
    path = kubeconfig_path(kubeconfig)
    doc = load_kubeconfig(path)  # a broken kubeconfig fails before any AWS call
    local = _controlplane(root) if env.sandbox else None
    target = aws_target(root, env, region)
    reporter.step(f"{env.name}: describe EKS cluster {name} in {region}")
    info = describe_cluster(target, name)
    if info is None and local is None:
        raise UsageError(
            f"No EKS cluster named {name} in {region}; check --org/--env/--region, "
            "or deploy the eks unit first."
        )
    cluster_name = info.arn if info else name
    if local is not None:
        cluster_entry, user_entry = local
        source = "controlplane"
    else:
        assert info is not None
        cluster_entry = {
            "certificate-authority-data": info.certificate_authority,
            "server": info.endpoint,
        }
        sandbox_env = (
            {
                "AWS_ACCESS_KEY_ID": target.access_key or "",
                "AWS_SECRET_ACCESS_KEY": target.secret_key or "",
            }
            if env.sandbox
            else None
        )
        user_entry = exec_user(name, region, exec_style, sandbox_env)
        source = "eks"
    if not overwrite:
        _refuse_foreign_context(path, doc, alias, cluster_name)
    before = dump_kubeconfig(doc) if path.is_file() else None
    merge_entry(
        doc,
        cluster_name=cluster_name,
        cluster=cluster_entry,
        user_name=cluster_name,
        user=user_entry,
        context_name=alias,
        set_current=set_current,
    )
    text = dump_kubeconfig(doc)
    original = path.read_bytes().decode("utf-8") if path.is_file() else None
    changed = text not in (original, before)
    if changed:
        written = write_kubeconfig(path, text)
        reporter.info(f"wrote {written} (context {alias})")
    else:
        reporter.info(f"{path} already has context {alias}; unchanged")
    return AddClusterResult(
        path=path,
        cluster=cluster_name,
        context=alias,
        server=str(cluster_entry.get("server", "")),
        changed=changed,
        current=doc.get("current-context") == alias,
        source=source,
    )


def _refuse_foreign_context(
    path: Path, doc: Mapping[str, Any], alias: str, cluster_name: str
) -> None:
    """A context named `alias` that is not ours for this cluster is someone else's."""
    for entry in doc["contexts"]:
        if not isinstance(entry, Mapping) or entry.get("name") != alias:
            continue
        context = entry.get("context")
        points = context if isinstance(context, Mapping) else {}
        if points.get("cluster") == cluster_name and points.get("user") == cluster_name:
            return
        raise UsageError(
            f"Kubeconfig {path} already has a context {quote(alias)} for another cluster "
            f"({quote(points.get('cluster'))}); choose another --alias, or pass --overwrite "
            "to replace it."
        )


def token(cluster: str, region: str | None = None) -> EksToken:
    """The EKS bearer token for `cluster` (credentials from the usual AWS chain)."""
    if not validate.eks_cluster_name(cluster):
        raise UsageError(
            f"--cluster {quote(cluster)} is not an EKS cluster name (1-100 letters, digits, "
            "'-' and '_', starting with a letter or digit)."
        )
    check_region("--region", region)
    return eks_token(AwsTarget(region=region), cluster)
