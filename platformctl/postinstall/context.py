"""What every post-install step works with: its context (environment, cluster client), its result, its failure."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformctl.errors import OperationError
from platformctl.model.config import Environment, Org
from platformctl.report import Reporter

if TYPE_CHECKING:
    from platformctl.cluster.kube import Kube


DEFAULT_TIMEOUT = 300.0
POLL_SECONDS = 1.0
KUBECONFIG_ENV = "PLATFORMCTL_KUBECONFIG"


class PostInstallFailed(OperationError):
    """One or more steps of a stage failed; `results` holds every step's outcome."""

    def __init__(self, message: str, results: tuple[StepResult, ...]) -> None:
        super().__init__(message)
        self.results = results


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step. action: changed, checked, skipped, failed."""

    stage: str
    step: str
    ok: bool
    action: str
    message: str
    warning: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "step": self.step,
            "ok": self.ok,
            "action": self.action,
            "message": self.message,
            "warning": self.warning,
            "data": self.data,
        }


@dataclass
class StepContext:
    """What a step may use. The connection is opened on first use."""

    root: Path
    org: Org
    env: Environment
    reporter: Reporter
    timeout: float = DEFAULT_TIMEOUT
    kubeconfig: Path | None = None
    context: str | None = None
    poll: float = POLL_SECONDS
    _kube: Kube | None = None

    def kube(self) -> Kube:
        if self._kube is None:
            from platformctl.cluster.kube import Kube

            path = self.kubeconfig or default_kubeconfig(self.root, self.env)
            self._kube = Kube(path, self.context)
        return self._kube

    def close(self) -> None:
        if self._kube is not None:
            self._kube.close()
            self._kube = None


@dataclass(frozen=True)
class Step:
    stage: str
    name: str
    description: str
    run: Callable[[StepContext], StepResult]


def default_kubeconfig(root: Path, env: Environment) -> Path:
    """$PLATFORMCTL_KUBECONFIG, else the sandbox control plane's, else $KUBECONFIG."""
    override = os.environ.get(KUBECONFIG_ENV)
    if override:
        return Path(override)
    if env.sandbox:
        from platformctl.sandbox.cpconfig import kubeconfig_path

        path = kubeconfig_path(root)
        if not path.is_file():
            raise OperationError(
                f"The sandbox control plane has no kubeconfig at {path}.",
                hint="run `platformctl sandbox up` first.",
            )
        return path
    first = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(first) if first else Path.home() / ".kube" / "config"
