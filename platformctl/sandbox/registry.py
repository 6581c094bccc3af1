"""The sandbox as a whole: its components in start order, `up`, `down`, `status`, its environment.

The sandbox is a list of components started in order and stopped in reverse (each one
a platformctl.sandbox.component.Component). Adding a component is one line in
`components()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformctl.errors import UsageError
from platformctl.model.config import load_platform
from platformctl.report import Reporter
from platformctl.sandbox import guard as sandbox_guard
from platformctl.sandbox.component import Component, ComponentStatus, SandboxOptions
from platformctl.sandbox.kwokconfig import check_training_seconds
from platformctl.sandbox.moto import Moto
from platformctl.toolchain.offline import offline_dir

NOT_RUNNING = "The sandbox is not running; run `platformctl sandbox up`."


def components() -> tuple[Component, ...]:
    """Every sandbox component in start order."""
    from platformctl.sandbox.chartrepo import ChartRepository
    from platformctl.sandbox.controlplane import ControlPlaneComponent
    from platformctl.sandbox.trainingop import TrainingOperator

    return (Moto(), ChartRepository(), ControlPlaneComponent(), TrainingOperator())


@dataclass(frozen=True)
class SandboxStatus:
    components: tuple[ComponentStatus, ...]
    # Why the sandbox is only partly up (platformctl.sandbox.guard.problems).
    problems: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return not self.problems and all(c.running for c in self.components if c.required)

    def to_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "problems": list(self.problems),
            "components": [c.to_json() for c in self.components],
        }


def up(root: Path, reporter: Reporter, options: SandboxOptions | None = None) -> SandboxStatus:
    """Start every component (reusing live ones); idempotent."""
    opts = options or SandboxOptions()
    if opts.port is not None and not 1 <= opts.port <= 65535:
        raise UsageError(f"--port {opts.port} is not a TCP port number (1-65535).")
    if opts.charts_port is not None and not 1 <= opts.charts_port <= 65535:
        raise UsageError(f"--charts-port {opts.charts_port} is not a TCP port number (1-65535).")
    check_training_seconds(opts.training_seconds)
    offline_dir(opts.offline_dir, root=root)  # a named directory that does not exist is bad input
    names = [c.name for c in components()]
    unknown = [n for n in opts.only if n not in names]
    if unknown:
        raise UsageError(
            f"--only {unknown[0]!r} is not a sandbox component; known: {', '.join(names)}."
        )
    chosen = [c for c in components() if not opts.only or c.name in opts.only]
    # One `up` at a time, all or nothing (platformctl.sandbox.guard).
    with sandbox_guard.exclusive(root, reporter, wait=opts.wait_seconds * 3):
        return SandboxStatus(sandbox_guard.start_all(root, chosen, opts, reporter))


def down(root: Path, reporter: Reporter, *, purge: bool = False) -> SandboxStatus:
    """Stop every component this repository started, in reverse order; idempotent.

    With purge, also remove each component's data under .platformctl/.
    """
    stopped = []
    with sandbox_guard.exclusive(root, reporter, wait=60.0):
        for component in reversed(components()):
            stopped.append(component.stop(root, reporter))
            if purge:
                component.purge(root, reporter)
        sandbox_guard.clear(root)
    return SandboxStatus(tuple(reversed(stopped)))


def status(root: Path) -> SandboxStatus:
    statuses = tuple(c.status(root) for c in components())
    return SandboxStatus(statuses, sandbox_guard.problems(root, statuses))


def _sandbox_region(root: Path) -> str:
    try:
        platform = load_platform(root)
    except UsageError:
        return "us-east-1"
    regions = [e.region for e in platform.environments if e.sandbox]
    return regions[0] if regions else "us-east-1"


def sandbox_env(root: Path, region: str | None = None) -> dict[str, str]:
    """The environment a terragrunt/boto3 run needs to use the sandbox.

    PLATFORMCTL_AWS_ENDPOINT and AWS_ENDPOINT_URL point at the emulator, with fake
    credentials and the sandbox region; components may add more (KUBECONFIG).
    Raises UsageError when the AWS emulator is not running.
    """
    moto_env = Moto().env(root)
    if not moto_env:
        raise UsageError(NOT_RUNNING)
    the_region = region or _sandbox_region(root)
    env: dict[str, str] = {"AWS_REGION": the_region, "AWS_DEFAULT_REGION": the_region}
    for component in components():
        env.update(component.env(root))
    return env
