"""The sandbox's AWS emulator: moto server, corrected where it answers unlike AWS.

`python -m platformctl.emulator -H 127.0.0.1 -p PORT` applies the corrections below to
moto's in-process models, then runs moto's own server. Each correction brings one default
of the emulator to AWS's documented behaviour, so the modules are tested as they run on
AWS and never carry a workaround for the emulator (see docs/sandbox.md). The corrections
only touch moto's module-level defaults and are applied in this process only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Correction:
    """One deviation of the emulator from AWS and how it is corrected."""

    name: str
    deviation: str
    aws: str
    apply: Callable[[], None]


def _node_group_without_remote_access() -> None:
    from moto.eks import models

    # moto falls back to {"ec2SshKey": "eksKeypair"} when a node group is created without
    # remoteAccess, so OpenTofu sees a remote_access block it never set and wants to
    # replace the node group on every plan.
    models.DEFAULT_REMOTE_ACCESS = None  # type: ignore[assignment]


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        "eks-nodegroup-remote-access",
        "CreateNodegroup without remoteAccess returns remoteAccess.ec2SshKey = eksKeypair",
        "DescribeNodegroup returns no remoteAccess when none was requested",
        _node_group_without_remote_access,
    ),
)


def apply_corrections() -> tuple[str, ...]:
    """Apply every correction in this process; return their names."""
    for correction in CORRECTIONS:
        correction.apply()
    return tuple(c.name for c in CORRECTIONS)


def main(argv: Sequence[str] | None = None) -> None:
    from moto.server import main as moto_main

    applied = apply_corrections()
    print(f"platformctl emulator corrections: {', '.join(applied)}", file=sys.stderr, flush=True)
    moto_main(list(argv) if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
