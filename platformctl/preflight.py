"""Preflight checks against AWS (credentials, state buckets). Filled in by the AWS side."""

from __future__ import annotations

from pathlib import Path

from platformctl.doctor import Check


def aws_checks(root: Path, org: str | None, env: str | None) -> tuple[Check, ...]:
    del root, org, env
    return ()
