"""Offline mode: what platformctl may reach over the network.

With `--offline` or PLATFORMCTL_OFFLINE=1, platformctl makes no network attempt of its own
beyond the package registries it builds tools from (the Go module proxy, PyPI) and a
provider mirror the user names: no release-download probe, no provider-registry probe, no
chart repository or git remote. Everything comes from the cache, a mirror or the offline
directory, and a command that would need more says so instead of trying.
"""

from __future__ import annotations

import os

ENV_VAR = "PLATFORMCTL_OFFLINE"
_TRUE = {"1", "true", "yes", "on"}


def offline() -> bool:
    """True in offline mode (PLATFORMCTL_OFFLINE set to 1/true/yes/on)."""
    return os.environ.get(ENV_VAR, "").strip().lower() in _TRUE


def enable_offline() -> None:
    """Turn offline mode on for this process and every process it starts."""
    os.environ[ENV_VAR] = "1"
