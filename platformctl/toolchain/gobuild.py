"""Go builds through the module proxy: `go install`, a copied module, or a wrapper module that pins dependencies."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from platformctl import proc
from platformctl.errors import OperationError, ProcessError, UsageError
from platformctl.report import Reporter
from platformctl.toolchain.catalog import GoBuild, ToolSpec
from platformctl.toolchain.staging import (
    Installed,
    Staging,
    begin_log,
    build_failed,
    fill_version,
    finish_install,
    log_path,
    run_logged,
)

_MISSING_VERSION_MARKERS = (
    "unknown revision",
    "invalid version",
    "no matching versions",
    "not available",
    "not found",
    "404 not found",
    "410 gone",
)


def go_env(extra: Mapping[str, str] | None = None, *, mod_mod: bool = False) -> dict[str, str]:
    env = {"CGO_ENABLED": "0", "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "auto") or "auto"}
    if env["GOTOOLCHAIN"] == "local":
        env["GOTOOLCHAIN"] = "auto"
    flags = os.environ.get("GOFLAGS", "")
    if mod_mod and "-mod=" not in flags:
        flags = f"{flags} -mod=mod".strip()
    env["GOFLAGS"] = flags
    env.update(extra or {})
    return env


def _ldflags(build: GoBuild, version: str) -> str:
    return " ".join(["-s", "-w", *(fill_version(flag, version) for flag in build.ldflags)])


def _module_version(build: GoBuild, version: str) -> str:
    return f"{build.tag_prefix}{version}"


def _packages(build: GoBuild, version: str) -> list[str]:
    packages = [
        fill_version(build.package, version),
        *(fill_version(p, version) for p in build.extra_packages),
    ]
    if build.style == "install":
        return [
            build.module if p in (".", "") else build.module + "/" + p.removeprefix("./")
            for p in packages
        ]
    return packages


def go_commands(spec: ToolSpec, build: GoBuild, version: str) -> list[list[str]]:
    """The go commands a build runs (for --dry-run and the log); <tmp> is the staging dir."""
    modver = f"{build.module}@{_module_version(build, version)}"
    ldflags = _ldflags(build, version)
    out = "<tmp>/bin/" if build.extra_packages else f"<tmp>/bin/{spec.executable}"
    if build.style == "install":
        return [
            ["go", "list", "-m", modver],
            *(
                [
                    "go",
                    "install",
                    "-v",
                    "-trimpath",
                    "-ldflags",
                    ldflags,
                    f"{p}@{_module_version(build, version)}",
                ]
                for p in _packages(build, version)
            ),
        ]
    if build.style == "copy":
        return [
            ["go", "mod", "download", "-json", modver],
            [
                "go",
                "build",
                "-trimpath",
                "-o",
                out,
                "-ldflags",
                ldflags,
                *_packages(build, version),
            ],
        ]
    return [
        ["go", "mod", "download", "-json", modver],
        ["go", "build", "-trimpath", "-o", out, "-ldflags", ldflags, *_packages(build, version)],
    ]


def check_go_version_exists(spec: ToolSpec, build: GoBuild, version: str) -> None:
    """UsageError when the module proxy does not know this version (nothing is written)."""
    modver = f"{build.module}@{_module_version(build, version)}"
    try:
        done = proc.run(
            ["go", "list", "-m", "-json", modver], check=False, env=go_env(), timeout=120
        )
    except ProcessError as exc:
        raise OperationError(
            f"{spec.name} {version}: cannot run go to build it ({exc.message}).",
            hint="install Go (https://go.dev/dl) or put the tool on PATH.",
        ) from exc
    if done.returncode == 0:
        return
    text = (done.stdout + done.stderr).lower()
    if any(marker in text for marker in _MISSING_VERSION_MARKERS):
        raise UsageError(
            f".tool-versions pins {spec.name} {version}, but {modver} does not exist "
            "(or the Go module proxy does not serve it); pin a released version."
        )
    raise OperationError(
        f"{spec.name} {version}: go list -m {modver} failed: "
        f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}"
    )


@dataclass(frozen=True)
class _Job:
    """One build in progress: what to build, where the pieces go, whom to tell."""

    spec: ToolSpec
    build: GoBuild
    version: str
    reporter: Reporter
    scratch: Path
    bin_dir: Path

    @property
    def modver(self) -> str:
        return f"{self.build.module}@{_module_version(self.build, self.version)}"

    def run(self, cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> str:
        run_logged(
            cmd,
            spec=self.spec,
            version=self.version,
            step="build",
            cwd=cwd,
            env=env,
            reporter=self.reporter,
        )
        return shlex.join(cmd)


def go_build(
    spec: ToolSpec, build: GoBuild, version: str, reporter: Reporter, label: str
) -> Installed:
    check_go_version_exists(spec, build, version)
    reporter.step(f"{label}: go build ({build.style}) — cold builds take minutes")
    begin_log(spec, version, f"go build, style {build.style}")
    staging = Staging(spec, version)
    try:
        with tempfile.TemporaryDirectory(prefix=f"platformctl-{spec.name}-") as scratch:
            job = _Job(spec, build, version, reporter, Path(scratch), staging.bin)
            steps = _GO_STYLES[build.style](job)
        return finish_install(
            staging,
            spec,
            version=version,
            source="go-build",
            reporter=reporter,
            label=label,
            steps=steps,
        )
    except BaseException:
        staging.discard()
        raise


def _go_install(job: _Job) -> list[str]:
    ldflags = _ldflags(job.build, job.version)
    tag = _module_version(job.build, job.version)
    env = go_env({"GOBIN": str(job.bin_dir)})
    return [
        job.run(
            ["go", "install", "-v", "-trimpath", "-ldflags", ldflags, f"{package}@{tag}"],
            cwd=job.scratch,
            env=env,
        )
        for package in _packages(job.build, job.version)
    ]


def _download_module(job: _Job) -> dict[str, str]:
    log = log_path(job.spec, job.version)
    cmd = ["go", "mod", "download", "-json", job.modver]
    try:
        done = proc.run(cmd, env=go_env(), timeout=1800)
        data = json.loads(done.stdout)
    except (ProcessError, ValueError) as exc:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ {shlex.join(cmd)}\n{exc}\n")
            if isinstance(exc, ProcessError):
                handle.write(exc.output + "\n")
        raise build_failed(job.spec, job.version, "download", log) from exc
    if not isinstance(data, dict) or data.get("Error") or not data.get("Dir"):
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ {shlex.join(cmd)}\n{done.stdout}\n")
        raise build_failed(job.spec, job.version, "download", log)
    return {str(k): str(v) for k, v in data.items()}


def _go_copy(job: _Job) -> list[str]:
    module = _download_module(job)
    src = job.scratch / "src"
    shutil.copytree(module["Dir"], src, symlinks=True)
    # The module cache is read-only; go build writes go.sum/go.mod updates in the copy.
    for dirpath, _dirs, files in os.walk(src):
        os.chmod(dirpath, 0o755)
        for name in files:
            path = os.path.join(dirpath, name)
            os.chmod(path, os.stat(path).st_mode | 0o200)
    steps = [f"go mod download -json {job.modver}", f"copy {module['Dir']} and build in the copy"]
    return [*steps, _go_build_in(job, src)]


def wrapper_go_mod(build: GoBuild, version: str, required_go_mod: Path | None) -> str:
    """The go.mod of the wrapper module: require the module, replace its local staging modules.

    `required_go_mod` is the go.mod of the required module (from `go mod download -json`).
    """
    modver = _module_version(build, version)
    go_line = "1.22"
    replaces: list[str] = []
    if required_go_mod is not None:
        parsed = json.loads(proc.run(["go", "mod", "edit", "-json", str(required_go_mod)]).stdout)
        go_line = parsed.get("Go") or go_line
        if build.staging_version:
            local = {
                r["Old"]["Path"]
                for r in parsed.get("Replace") or []
                if str(r["New"]["Path"]).startswith(("./", "../"))
            }
            staged = fill_version(build.staging_version, version)
            replaces = [
                f"\t{r['Path']} => {r['Path']} {staged}"
                for r in parsed.get("Require") or []
                if r["Version"] == "v0.0.0" and r["Path"] in local
            ]
    replaces.extend(f"\t{line}" for line in build.replaces)
    text = (
        "module platformctl.local/build/wrapper\n\n"
        f"go {go_line}\n\nrequire {build.module} {modver}\n"
    )
    if replaces:
        text += "\nreplace (\n" + "\n".join(replaces) + "\n)\n"
    return text


def _go_wrapper(job: _Job) -> list[str]:
    module = _download_module(job)
    src = job.scratch / "wrapper"
    src.mkdir()
    required = Path(module["GoMod"]) if module.get("GoMod") else None
    go_mod = wrapper_go_mod(job.build, job.version, required)
    (src / "go.mod").write_text(go_mod, encoding="utf-8")
    with log_path(job.spec, job.version).open("a", encoding="utf-8") as handle:
        handle.write(f"--- wrapper go.mod\n{go_mod}---\n")
    return [f"wrapper module requiring {job.modver}", _go_build_in(job, src)]


def _go_build_in(job: _Job, src: Path) -> str:
    packages = _packages(job.build, job.version)
    out = f"{job.bin_dir}/" if len(packages) > 1 else str(job.bin_dir / job.spec.executable)
    ldflags = _ldflags(job.build, job.version)
    cmd = ["go", "build", "-v", "-trimpath", "-o", out, "-ldflags", ldflags, *packages]
    return job.run(cmd, cwd=src, env=go_env(mod_mod=True))


_GO_STYLES: dict[str, Callable[[_Job], list[str]]] = {
    "install": _go_install,
    "copy": _go_copy,
    "wrapper": _go_wrapper,
}
