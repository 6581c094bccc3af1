"""Python tools (awscli, checkov): pip-installed into a venv of their own, started by a small launcher."""

from __future__ import annotations

import shlex
import sys

from platformctl.errors import OperationError, UsageError
from platformctl.report import Reporter
from platformctl.toolchain.catalog import ToolSpec
from platformctl.toolchain.staging import (
    Installed,
    Staging,
    begin_log,
    finish_install,
    log_path,
    run_logged,
)


def pip_install(
    spec: ToolSpec, package: str, version: str, reporter: Reporter, label: str
) -> Installed:
    reporter.step(f"{label}: pip install {package}=={version} into a venv")
    begin_log(spec, version, "pip install into a venv")
    staging = Staging(spec, version)
    venv = staging.dir / "venv"
    try:
        base = getattr(sys, "_base_executable", sys.executable)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        steps = [
            [base, "-m", "venv", str(venv)],
            [*pip, "--disable-pip-version-check", f"{package}=={version}"],
        ]
        for cmd in steps:
            try:
                run_logged(
                    cmd,
                    spec=spec,
                    version=version,
                    step="build",
                    cwd=staging.dir,
                    env={},
                    reporter=reporter,
                )
            except OperationError as exc:
                log = log_path(spec, version).read_text(encoding="utf-8", errors="replace")
                if "No matching distribution found" in log:
                    raise UsageError(
                        f".tool-versions pins {spec.name} {version}, but PyPI has no "
                        f"{package} {version}; pin a released version."
                    ) from exc
                raise
        # A script next to the venv rather than a symlink into it: venv entry points carry
        # absolute shebangs, and the venv is renamed into place after it is built.
        launcher = staging.bin / spec.executable
        module = spec.pip_module or package
        launcher.write_text(
            f'#!/bin/sh\nexec "$(dirname "$0")/../venv/bin/python" -m {module} "$@"\n',
            encoding="utf-8",
        )
        launcher.chmod(0o755)
        return finish_install(
            staging,
            spec,
            version=version,
            source="pip",
            reporter=reporter,
            label=label,
            steps=[shlex.join(c) for c in steps],
        )
    except BaseException:
        staging.discard()
        raise
