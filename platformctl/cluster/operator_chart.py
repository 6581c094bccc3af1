"""The Kubeflow Training Operator as a Helm chart, made from its pinned kustomize tree.

Upstream ships the Training Operator v1 only as kustomize manifests (`kubectl apply -k
manifests/overlays/standalone`). The kubeflow unit installs it as a Helm release instead of
one `kubernetes_manifest` per object: its six CRDs are ~600 KB each, which would put
megabytes into the state and make every plan slow. The chart holds exactly the objects
`kubectl kustomize manifests/overlays/standalone` renders at the pinned tag, minus the
Namespace (the unit owns it), as templates, so Helm installs, upgrades and deletes them.

One change to the upstream objects: the CRDs' OpenAPI schemas lose their `description`
texts (what `controller-gen crd:maxDescLen=0` produces). With them, Helm's release record
of these six CRDs is 1.3 MB, over the 1 MiB limit of the Secret Helm keeps it in; without
them it is about 0.2 MB. Validation is unchanged; only `kubectl explain` has less to say.

The kustomize tree comes, in this order, from the offline directory
(manifests/training-operator-v<version>.tar.gz, checksummed) when one is given; from the Go
module github.com/kubeflow/training-operator at the tag, which carries `manifests/` and is
served by the Go module proxy (checksummed by Go's sum database); else, unless offline, from
upstream git (`kubectl kustomize` of the tagged URL). Charts are built once per version
into the cache.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from platformctl import proc
from platformctl.errors import OperationError, ProcessError
from platformctl.fsutil import write_atomic
from platformctl.paths import cache_dir

NAME = "training-operator"
MODULE = "github.com/kubeflow/training-operator"
UPSTREAM = "github.com/kubeflow/trainer.git/manifests/overlays/standalone?ref=v{version}"
OFFLINE_ARCHIVE = "manifests/training-operator-v{version}.tar.gz"
OVERLAY = "manifests/overlays/standalone"
_KIND = re.compile(r"^kind:\s*(\S+)\s*$", re.MULTILINE)
_DELIMITER = re.compile(r"\{\{|\}\}")
_NAME = re.compile(r"^metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+name:\s*(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Chart:
    """A built chart: where its package is and what went into it."""

    path: Path
    version: str
    source: str
    objects: int


def chart_path(version: str) -> Path:
    return cache_dir() / "charts" / f"{NAME}-{version}.tgz"


def checksum_path(chart: Path) -> Path:
    """The SHA-256 recorded when the chart was written: a cached chart is used only if it matches."""
    return chart.with_name(chart.name + ".sha256")


def cached_chart(version: str) -> Chart | None:
    """The cached chart of this version when it is intact (its recorded checksum matches and
    it holds objects), else None: a truncated or emptied file is rebuilt, never used."""
    import hashlib

    path = chart_path(version)
    try:
        data = path.read_bytes()
        recorded = checksum_path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if hashlib.sha256(data).hexdigest() != recorded:
        return None
    try:
        objects = _count_objects(path)
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        return None
    return Chart(path, version, "cached", objects) if objects else None


def ensure_chart(version: str, kubectl: Path, offline: Path | None) -> Chart:
    """The chart of this version, built into the cache unless an intact one is there."""
    import hashlib

    cached = cached_chart(version)
    if cached is not None:
        return cached
    path = chart_path(version)
    manifest, source = _render(version, kubectl, offline)
    objects = split_objects(manifest)
    if not any(kind == "CustomResourceDefinition" for kind, _name, _text in objects):
        raise OperationError(
            f"The Training Operator manifests from {source} hold no CustomResourceDefinition; "
            "they are not the standalone overlay."
        )
    data = package(version, objects)
    write_atomic(path, data, mode=0o644)
    write_atomic(checksum_path(path), hashlib.sha256(data).hexdigest() + "\n", mode=0o644)
    return Chart(path, version, source, len(objects))


def copy_chart(chart: Chart, out_dir: Path) -> Path:
    """Put the chart where the kubeflow module reads it (`./charts/training-operator.tgz`).

    The name carries no version (Helm reads it from Chart.yaml), so the module's input never
    changes with a version bump: only the release's chart version does.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{NAME}.tgz"
    if not target.is_file() or target.read_bytes() != chart.path.read_bytes():
        write_atomic(target, chart.path.read_bytes(), mode=0o644)
    return target


def _render(version: str, kubectl: Path, offline: Path | None) -> tuple[str, str]:
    if offline is None:
        module = module_tree(version)
        if module is not None:
            return _kustomize(kubectl, str(module / OVERLAY)), f"{MODULE}@v{version}"
        from platformctl.network import offline as offline_mode

        if offline_mode():
            raise OperationError(
                f"No source for the Training Operator {version} manifests in offline mode: "
                f"no offline directory is given and Go cannot download {MODULE}@v{version}.",
                hint="install Go (it reads the module proxy), or give --offline-dir DIR with "
                f"{OFFLINE_ARCHIVE.format(version=version)}.",
            )
        target = UPSTREAM.format(version=version)
        return _kustomize(kubectl, target), target
    from platformctl.toolchain.offline import unpack, verified

    relative = OFFLINE_ARCHIVE.format(version=version)
    archive = verified(offline, relative)
    with tempfile.TemporaryDirectory(prefix="platformctl-operator-") as scratch:
        top = unpack(archive, Path(scratch))
        if not (top / OVERLAY).is_dir():
            raise OperationError(f"{archive.name} does not hold {OVERLAY}.")
        return _kustomize(kubectl, str(top / OVERLAY)), str(archive)


def module_tree(version: str) -> Path | None:
    """The Go module's tree at the tag (read-only, in Go's module cache), or None when Go is
    not installed or cannot download it."""
    import json

    from platformctl.toolchain.gobuild import go_env

    try:
        done = proc.run(
            ["go", "mod", "download", "-json", f"{MODULE}@v{version}"],
            env=go_env(),
            check=False,
            timeout=600,
        )
        data = json.loads(done.stdout or "{}")
    except (ProcessError, ValueError):
        return None
    directory = Path(str(data.get("Dir", ""))) if isinstance(data, dict) else None
    if directory is None or data.get("Error") or not (directory / OVERLAY).is_dir():
        return None
    return directory


def _kustomize(kubectl: Path, target: str) -> str:
    try:
        # A local tree renders in a second; a git URL needs the network: a minute for both.
        return proc.run([kubectl, "kustomize", target], timeout=60).stdout
    except ProcessError as exc:
        raise OperationError(
            f"kubectl kustomize {target} failed: {exc.output.strip().splitlines()[-1:]}"
        ) from exc


def split_objects(manifest: str) -> list[tuple[str, str, str]]:
    """(kind, name, text) of every object of a multi-document YAML, Namespaces left out."""
    objects = []
    for doc in re.split(r"^---\s*$", manifest, flags=re.MULTILINE):
        text = doc.strip("\n")
        kind = _KIND.search(text)
        if not text.strip() or kind is None:
            continue
        name = _NAME.search(text + "\n")
        if kind.group(1) == "Namespace":
            continue
        if kind.group(1) == "CustomResourceDefinition":
            text = without_schema_descriptions(text)
        objects.append((kind.group(1), name.group(1) if name else "unnamed", text + "\n"))
    return objects


def without_schema_descriptions(crd_yaml: str) -> str:
    """The CRD with every `description` keyword of its schemas removed (see the module doc).

    A property that is itself named "description" is a field, not documentation: it stays.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    document = yaml.load(crd_yaml, Loader=loader)
    if isinstance(document, dict) and isinstance(document.get("spec"), dict):
        document["spec"] = _strip(document["spec"], in_properties=False)
    dumped: str = yaml.dump(document, Dumper=dumper, sort_keys=False, width=1000)
    return dumped.rstrip("\n")


def _strip(node: object, *, in_properties: bool) -> object:
    if isinstance(node, dict):
        return {
            key: _strip(value, in_properties=key == "properties" and not in_properties)
            for key, value in node.items()
            if in_properties or key != "description" or not isinstance(value, str)
        }
    if isinstance(node, list):
        return [_strip(item, in_properties=False) for item in node]
    return node


def _escape(text: str) -> str:
    """Helm renders templates with Go templates: keep any literal delimiters literal."""
    return _DELIMITER.sub(lambda match: '{{ "' + match.group(0) + '" }}', text)


def package(version: str, objects: list[tuple[str, str, str]]) -> bytes:
    """A deterministic chart archive (same objects → same bytes): fixed times and owners."""
    chart_yaml = (
        "apiVersion: v2\n"
        f"name: {NAME}\n"
        f"version: {version}\n"
        f"appVersion: v{version}\n"
        "description: Kubeflow Training Operator v1 (standalone overlay), packaged by platformctl\n"
        "type: application\n"
    )
    files = {f"{NAME}/Chart.yaml": chart_yaml}
    for index, (kind, name, text) in enumerate(objects):
        files[f"{NAME}/templates/{index:03d}-{kind.lower()}-{name}.yaml"] = _escape(text)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member in sorted(files):
            data = files[member].encode()
            info = tarfile.TarInfo(member)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as zipped:
        zipped.write(raw.getvalue())
    return out.getvalue()


def _count_objects(path: Path) -> int:
    with tarfile.open(path, "r:gz") as tar:
        return sum(1 for m in tar.getmembers() if "/templates/" in m.name)
