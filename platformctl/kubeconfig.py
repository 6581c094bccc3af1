"""add-cluster: merge an EKS cluster into a kubeconfig the way `aws eks update-kubeconfig` does.

The file is the --kubeconfig path, else the first path of $KUBECONFIG, else
~/.kube/config. Every other cluster, user and context is kept; ours (cluster and user
named by the cluster ARN, context by the alias) are replaced in place. The file is
written atomically with mode 0600, and not at all when nothing changed or anything failed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl import aws
from platformctl.config import Environment, Org
from platformctl.errors import UsageError
from platformctl.fsutil import write_atomic
from platformctl.naming import resource_names
from platformctl.paths import state_dir
from platformctl.report import Reporter
from platformctl.sandbox import aws_target

EXEC_STYLES = ("platformctl", "aws")
CONTROLPLANE_KUBECONFIG = Path("controlplane") / "kubeconfig"


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
    import yaml  # type: ignore[import-untyped]

    return yaml


def load_kubeconfig(path: Path) -> dict[str, Any]:
    """The document at `path` (an empty Config when the file is absent or empty)."""
    yaml = _yaml()

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise UsageError(f"Cannot read kubeconfig {path}: {exc.strerror}.") from exc
    try:
        doc = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise UsageError(f"Kubeconfig {path} is not valid YAML; fix or move it first.") from exc
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise UsageError(f"Kubeconfig {path} is not a kubeconfig document (expected a mapping).")
    for key in ("clusters", "users", "contexts"):
        if doc.get(key) is None:
            doc[key] = []
        elif not isinstance(doc[key], list):
            raise UsageError(f"Kubeconfig {path}: '{key}' must be a list.")
    doc.setdefault("apiVersion", "v1")
    doc.setdefault("kind", "Config")
    doc.setdefault("preferences", {})
    doc.setdefault("current-context", "")
    return doc


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
        "apiVersion": aws.EXEC_API_VERSION,
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
) -> AddClusterResult:
    """Describe <org>-<env>-eks and merge it into the kubeconfig (nothing written on error).

    The kubeconfig is `kubeconfig`, else the first path of $KUBECONFIG, else
    ~/.kube/config; the context is `alias`, default <org>-<env>-<region>.
    """
    if exec_style not in EXEC_STYLES:
        raise UsageError(f"--exec {exec_style!r} must be one of {', '.join(EXEC_STYLES)}.")
    region = region or env.region
    name = resource_names(org, env)["cluster"]
    alias = alias or f"{org.name}-{env.name}-{region}"
    path = kubeconfig_path(kubeconfig)
    doc = load_kubeconfig(path)  # a broken kubeconfig fails before any AWS call
    local = _controlplane(root) if env.sandbox else None
    target = aws_target(root, env, region)
    reporter.step(f"{env.name}: describe EKS cluster {name} in {region}")
    info = aws.describe_cluster(target, name)
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
    original = path.read_text(encoding="utf-8") if path.is_file() else None
    changed = text not in (original, before)
    if changed:
        write_atomic(path, text, mode=0o600)
        reporter.info(f"wrote {path} (context {alias})")
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


def token(cluster: str, region: str | None = None) -> aws.EksToken:
    """The EKS bearer token for `cluster` (credentials from the usual AWS chain)."""
    if not cluster.strip():
        raise UsageError("--cluster must name an EKS cluster.")
    return aws.eks_token(aws.AwsTarget(region=region), cluster)
