"""The sandbox's Helm chart repository: the offline charts, served on 127.0.0.1.

`sandbox up` packages every `charts/*.tgz` of the offline directory into .platformctl/charts/
(each verified against the directory's SHA256SUMS first) with `helm package`, as chart
publishers do: that honours each chart's .helmignore, which an archive made otherwise may
not have (aws-load-balancer-controller 3.5.0 offline carries crds/kustomization.yaml, which
its .helmignore excludes and which no Helm can install), and stamps the version the file
name carries where Chart.yaml still holds the source tree's development version, as the
publisher's release tooling does (gpu-operator v25.3.0's source says v1.0.0-devel). It
indexes them with the pinned
helm (`helm repo index`, relative URLs, so the index does not depend on the port) and
serves the folder with Python's own HTTP server. It is an ordinary chart repository, as an
internal mirror (Artifactory, Harbor, ChartMuseum) would be: the modules' `*_repository`
inputs point at it through PLATFORMCTL_CHART_REPOSITORY in the sandbox environment.

The port is fixed by default (8879, where `helm serve` used to listen), so the repository
URL that Helm releases keep in their state stays the same across `sandbox down`/`up`.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformctl import proc
from platformctl.errors import OperationError, ToolNotFoundError
from platformctl.paths import state_dir
from platformctl.report import Reporter
from platformctl.toolchain import offline

if TYPE_CHECKING:
    from platformctl.sandbox.component import ComponentStatus, SandboxOptions

CHART_REPOSITORY_ENV = "PLATFORMCTL_CHART_REPOSITORY"
DEFAULT_CHARTS_PORT = 8879
NAME = "charts"
WHAT = "Helm chart repository"


def charts_dir(root: Path) -> Path:
    """Where the served copy of the charts lives."""
    return state_dir(root) / "charts"


def log_path(root: Path) -> Path:
    return state_dir(root) / "logs" / "charts.log"


def offline_charts(directory: Path) -> list[Path]:
    """The chart archives of an offline directory (charts/*.tgz), sorted by name."""
    return sorted((directory / "charts").glob("*.tgz"))


def sync_charts(root: Path, directory: Path, reporter: Reporter) -> list[str]:
    """Verify the offline charts, copy them into charts_dir(root) and index them.

    Every archive is verified before anything is copied, so a damaged directory leaves
    the served folder as it was. Returns the file names served.
    """
    from platformctl.toolchain.locate import tool_path

    archives = offline_charts(directory)
    for archive in archives:
        offline.verified(directory, _relative(directory, archive))
    sums = offline.expected_checksums(directory)
    helm = tool_path(root, "helm")
    target = charts_dir(root)
    target.mkdir(parents=True, exist_ok=True)
    wanted = {a.name for a in archives}
    for stale in target.glob("*.tgz"):
        if stale.name not in wanted:
            stale.unlink()
    for archive in archives:
        served = target / archive.name
        source = target / f".{archive.name}.source-sha256"
        wanted_sum = sums[_relative(directory, archive)]
        if served.is_file() and source.is_file() and source.read_text() == wanted_sum:
            continue
        _package(root, helm, archive, target)
        source.write_text(wanted_sum)
    reporter.step(f"sandbox: index {len(archives)} charts from {directory / 'charts'}")
    proc.run([helm, "repo", "index", target], env=_helm_env(root))
    return sorted(wanted)


def _package(root: Path, helm: Path, archive: Path, target: Path) -> None:
    """`helm package` of the chart in `archive`, into `target` (same name: name-version)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="platformctl-chart-") as scratch:
        chart = offline.unpack(archive, Path(scratch) / "src")
        out = Path(scratch) / "out"
        stamp: list[str | Path] = []
        published = archive.name.removesuffix(".tgz").removeprefix(f"{chart.name}-")
        if published != _chart_field(chart, "version"):
            stamp = ["--version", published, "--app-version", published]
        cmd: list[str | Path] = [helm, "package", chart, "--destination", out, *stamp]
        proc.run(cmd, env=_helm_env(root))
        (packaged,) = out.glob("*.tgz")
        if packaged.name != archive.name:
            raise OperationError(
                f"helm package of {archive.name} made {packaged.name}; the chart's name and "
                "version do not match its file name."
            )
        shutil.move(packaged, target / archive.name)


def _chart_field(chart: Path, field: str) -> str:
    """A top-level string field of a chart's Chart.yaml."""
    import yaml

    data = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8"))
    return str(data.get(field, "")) if isinstance(data, dict) else ""


def _relative(directory: Path, path: Path) -> str:
    return path.relative_to(directory).as_posix()


def _helm_env(root: Path) -> dict[str, str]:
    """Keep helm's caches and config inside .platformctl (never the user's ~/.config/helm)."""
    home = state_dir(root) / "helm"
    return {
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def answers_http(url: str, timeout: float = 2.0) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class ChartRepository:
    """The chart repository as a sandbox component (platformctl.sandbox.component.Component)."""

    name = NAME
    required = False

    def _live(self, record: Mapping[str, Any] | None) -> bool:
        from platformctl.sandbox.component import process_cmdline

        if not record or not isinstance(record.get("pid"), int):
            return False
        pid: int = record["pid"]
        return proc.pid_alive(pid) and "http.server" in process_cmdline(pid)

    def _status(self, record: Mapping[str, Any], action: str) -> ComponentStatus:
        from platformctl.sandbox.component import ComponentStatus

        charts = record.get("charts") or []
        return ComponentStatus(
            self.name,
            True,
            action,
            pid=record.get("pid"),
            port=record.get("port"),
            endpoint=record.get("endpoint"),
            started_at=record.get("started_at"),
            detail=f"{WHAT}, {len(charts)} charts from {record.get('offline_dir')}",
            required=False,
        )

    def _absent(self, detail: str, action: str = "absent") -> ComponentStatus:
        from platformctl.sandbox.component import ComponentStatus

        return ComponentStatus(self.name, False, action, detail=detail, required=False)

    def status(self, root: Path) -> ComponentStatus:
        from platformctl.sandbox.component import read_record

        record = read_record(root, self.name)
        if record is None:
            return self._absent("not running")
        if not self._live(record):
            return self._absent("not running (stale record: the recorded process is gone)")
        return self._status(record, "running")

    def start(self, root: Path, options: SandboxOptions, reporter: Reporter) -> ComponentStatus:
        from platformctl.sandbox.component import port_free, read_record, utc_now, write_record

        directory = offline.offline_dir(options.offline_dir, root=root)
        if directory is None or not offline_charts(directory):
            where = (
                f"{directory / 'charts'} has no .tgz"
                if directory
                else f"pass --offline-dir DIR or set {offline.ENV_VAR}"
            )
            return self._absent(f"not started: no offline charts ({where})")
        try:
            charts = sync_charts(root, directory, reporter)
        except ToolNotFoundError as exc:
            reporter.warn(f"chart repository not started: {exc.message} Hint: {exc.hint}")
            return self._absent(f"not installed: {exc.message}")
        record = read_record(root, self.name)
        if record is not None and self._live(record):
            endpoint = str(record.get("endpoint"))
            if answers_http(f"{endpoint}/index.yaml"):
                updated = {**record, "charts": charts, "offline_dir": str(directory)}
                write_record(root, self.name, updated)
                return self._status(updated, "reused")
            reporter.warn(
                f"the chart repository (pid {record['pid']}) does not answer; restarting it."
            )
            proc.stop(int(record["pid"]))
        replaced = record is not None
        if replaced:
            write_record(root, self.name, None)
        port = options.charts_port or DEFAULT_CHARTS_PORT
        if not port_free(port):
            raise OperationError(
                f"Port {port} on 127.0.0.1 is in use by another program; "
                "choose another with `platformctl sandbox up --charts-port N`."
            )
        endpoint = f"http://127.0.0.1:{port}"
        log = log_path(root)
        reporter.step(f"sandbox: serving {len(charts)} charts on {endpoint}")
        argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
        pid = proc.spawn([*argv, "--directory", str(charts_dir(root))], log_path=log)
        record = {
            "pid": pid,
            "port": port,
            "endpoint": endpoint,
            "started_at": utc_now(),
            "log": str(log),
            "charts": charts,
            "offline_dir": str(directory),
        }
        write_record(root, self.name, record)
        deadline = time.monotonic() + options.wait_seconds
        while not answers_http(f"{endpoint}/index.yaml", timeout=1.0):
            if not proc.pid_alive(pid) or time.monotonic() > deadline:
                proc.stop(pid)
                write_record(root, self.name, None)
                raise OperationError(
                    f"The chart repository did not start on {endpoint} (see {log})."
                )
            time.sleep(0.1)
        return self._status(record, "replaced" if replaced else "started")

    def stop(self, root: Path, reporter: Reporter) -> ComponentStatus:
        from platformctl.sandbox.component import ComponentStatus, read_record, write_record

        record = read_record(root, self.name)
        if record is None:
            return self._absent("was not running")
        pid = record.get("pid")
        if self._live(record) and isinstance(pid, int):
            reporter.step(f"sandbox: stopping the chart repository (pid {pid})")
            proc.stop(pid)
            detail = f"stopped pid {pid}"
        else:
            detail = "was not running (removed a stale record)"
        write_record(root, self.name, None)
        return ComponentStatus(self.name, False, "stopped", pid=pid, detail=detail, required=False)

    def env(self, root: Path) -> Mapping[str, str]:
        from platformctl.sandbox.component import read_record

        record = read_record(root, self.name)
        if record is None or not self._live(record):
            return {}
        return {CHART_REPOSITORY_ENV: str(record["endpoint"])}

    def purge(self, root: Path, reporter: Reporter) -> None:
        """`sandbox down --purge`: remove the served copy, helm's caches and the log."""
        for path in (charts_dir(root), state_dir(root) / "helm"):
            if path.exists():
                reporter.step(f"sandbox: remove {path}")
                shutil.rmtree(path)
        log_path(root).unlink(missing_ok=True)
