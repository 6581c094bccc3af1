"""The preflight's memory: a pass is remembered for a few minutes per endpoint and identity.

The key is a digest of everything that decides where the preflight's calls go and as
whom: the org, environment and state bucket, the account and role platform.toml names, the sandbox's endpoint and credentials (for
a sandbox environment), every AWS_* variable and the shared credential files' identity
(path, mtime, size). Secrets enter it only hashed. A run right after another one with
the same key needs no AWS round trip, and imports neither boto3 nor platformctl.aws.session: this
module is read after terragrunt has started, beside it. Only passes are remembered, with
the warning they gave (a bucket lacking some protection), which is given again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from platformctl.errors import PlatformctlError
from platformctl.fsutil import write_atomic
from platformctl.model.config import Environment, Org
from platformctl.model.naming import state_bucket
from platformctl.paths import state_dir
from platformctl.report import Reporter

MEMO_FILE = "preflight-passed.json"
TTL_S = 600.0
_CREDENTIAL_FILES = (
    ("AWS_CONFIG_FILE", "~/.aws/config"),
    ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", ""),
)


def key(root: Path, org: Org, env: Environment) -> str:
    """A digest of where the preflight's calls go and as whom (UsageError: no sandbox)."""
    parts = [org.name, env.name, env.region, state_bucket(org, env)]
    # A pass also proved the account: it is remembered for this account and role only.
    parts += [env.account_id, env.role_arn, env.session_name]
    parts.append(hashlib.sha256(env.external_id.encode()).hexdigest())
    if env.sandbox:
        from platformctl.sandbox.registry import sandbox_env

        values = sandbox_env(root, env.region)
        parts += [f"{k}={values.get(k)}" for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID")]
        parts.append(hashlib.sha256(values.get("AWS_SECRET_ACCESS_KEY", "").encode()).hexdigest())
    parts += sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("AWS_"))
    for variable, default in _CREDENTIAL_FILES:
        name = os.environ.get(variable, default)
        if name:
            try:
                st = Path(name).expanduser().stat()
            except OSError:
                continue
            parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _read(root: Path) -> dict[str, tuple[float, str]]:
    try:
        data = json.loads((state_dir(root) / MEMO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): (float(v[0]), str(v[1]))
        for k, v in data.items()
        if isinstance(v, list) and len(v) == 2 and isinstance(v[0], int | float)
    }


def recently_passed(
    root: Path,
    org: Org,
    env: Environment,
    reporter: Reporter | None = None,
    *,
    now: float | None = None,
) -> bool:
    """Whether the preflight passed for this environment, endpoint and identity minutes ago.

    The pass's warning, if any, is given again to `reporter`. A sandbox that is not
    running is never a pass.
    """
    try:
        digest = key(root, org, env)
    except PlatformctlError:
        return False
    until, warning = _read(root).get(digest, (0.0, ""))
    if until <= (time.time() if now is None else now):
        return False
    if reporter is not None:
        reporter.info(f"{env.name}: preflight passed minutes ago for these credentials.")
        if warning:
            reporter.warn(warning)
    return True


def remember_pass(root: Path, org: Org, env: Environment, warning: str = "") -> None:
    """Record a pass (with the warning it gave, if any) for TTL_S seconds."""
    now = time.time()
    entries = {k: v for k, v in _read(root).items() if v[0] > now}
    entries[key(root, org, env)] = (now + TTL_S, warning)
    write_atomic(state_dir(root) / MEMO_FILE, json.dumps(entries, sort_keys=True) + "\n")
