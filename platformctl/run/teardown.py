"""teardown: `destroy` that leaves nothing of the environment behind, and says so.

platformctl.run.destroy drains the cluster's load balancers and runs terragrunt; around it
this module adds the two steps that make a teardown verifiable: the sweep of what is
still tagged for the environment once the cluster is gone (`--sweep`), one more destroy
when the sweep removed what had blocked the first, and for `destroy all` the inventory
that must come back empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformctl.aws import sweep as sweeping
from platformctl.errors import UsageError
from platformctl.model.config import Environment, Org, Platform
from platformctl.report import Reporter
from platformctl.run import destroy as destroy_flow
from platformctl.run.phase import UnitProgress
from platformctl.run.results import RunResult
from platformctl.run.scope import Approve, Options

if TYPE_CHECKING:
    from platformctl.aws.inventory import Inventory

# The cluster must be gone before the sweep: these targets take it (vpc needs eks gone).
SWEEP_TARGETS = ("all", "eks", "vpc")


@dataclass(frozen=True)
class Teardown:
    """A destroy, the sweep after it, a second destroy if the sweep unblocked one, and
    (for `all`) what is still tagged for the environment."""

    first: RunResult
    again: RunResult | None = None
    swept: sweeping.SweepResult | None = None
    sweep_skipped: str = ""
    left: Inventory | None = None

    @property
    def run(self) -> RunResult:
        """The destroy whose outcome counts: the second one when there was one."""
        return self.again or self.first

    @property
    def ok(self) -> bool:
        return (
            self.run.ok
            and (self.swept is None or self.swept.ok)
            and (self.left is None or not self.left.resources)
        )

    def to_json(self) -> dict[str, Any]:
        doc = self.run.to_json()
        doc["ok"] = self.ok
        if self.again is not None:
            doc["first_destroy"] = self.first.to_json()
        if self.swept is not None:
            doc["sweep"] = self.swept.to_json()
        if self.sweep_skipped:
            doc["sweep_skipped"] = self.sweep_skipped
        if self.left is not None:
            doc["left"] = self.left.to_json()
        return doc


def destroy(
    root: Path,
    platform: Platform,
    org: Org,
    env_name: str | None,
    target: str,
    *,
    reporter: Reporter,
    opts: Options,
    approve: Approve,
    confirm_sweep: sweeping.Confirm,
    sweep: bool = False,
    with_dependents: bool = False,
    progress: UnitProgress | None = None,
    sweep_options: sweeping.SweepOptions | None = None,
) -> Teardown:
    """platformctl.run.destroy, then (sweep) the sweep and one more destroy if it unblocked
    one, then (target all) the inventory, which must be empty."""
    if sweep and target not in SWEEP_TARGETS:
        raise UsageError(
            f"--sweep runs once the cluster is gone, and destroy {target} keeps it: "
            "use it with destroy all, or eks --with-dependents."
        )

    def run(approval: Approve) -> RunResult:
        return destroy_flow.destroy(
            root,
            platform,
            org,
            env_name,
            target,
            reporter=reporter,
            opts=opts,
            approve=approval,
            with_dependents=with_dependents,
            progress=progress,
        )

    first = run(approve)
    env = _environment(platform, env_name, first)
    if opts.dry_run:
        if sweep:
            reporter.step(
                f"{env.name}: sweep: list what is still tagged for the environment, ask to type "
                f"'{env.name}' (unless --yes), delete it in dependency order"
            )
        if target == "all":
            reporter.step(f"{env.name}: verify that no resource tagged for it is left")
        return Teardown(first)
    if first.aborted or first.interrupted:
        return Teardown(first)
    result = Teardown(first)
    if sweep:
        try:
            swept = sweeping.sweep(
                root, org, env, reporter=reporter, confirm=confirm_sweep, options=sweep_options
            )
        except sweeping.ClusterStillExists as exc:
            reporter.warn(f"sweep skipped: {exc.message}")
            result = Teardown(first, sweep_skipped=exc.message)
        else:
            result = Teardown(first, swept=swept)
            if swept.deleted and not first.ok:
                reporter.step(f"{env.name}: destroy again, now that the sweep removed leftovers")
                result = Teardown(first, run(lambda _summary: True), swept)
    if target == "all" and not result.run.interrupted:
        from platformctl.aws.inventory import inventory

        reporter.step(f"{env.name}: verify that no resource tagged for it is left")
        result = Teardown(
            result.first,
            result.again,
            result.swept,
            result.sweep_skipped,
            inventory(root, org, env, reporter),
        )
    return result


def _environment(platform: Platform, env_name: str | None, run: RunResult) -> Environment:
    if run.environments:
        return platform.get(run.environments[0].env)
    if env_name is not None:
        return platform.get(env_name)
    return platform.environments[0]  # destroy accepted no --env: there is only one
