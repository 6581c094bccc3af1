"""The tool-invoking commands, driven with broken tool binaries and corrupted cache files.

Hypothesis draws a command, a set of pinned tools to break (truncated, killed by a signal,
not executable, hanging, flooding their output) and a cached artefact to corrupt (the
Training Operator chart truncated, emptied, or with a wrong recorded checksum). Every case
runs platformctl as a separate process on a cache of its own and asserts:

- never exit 3 (a bug), never 130 when no signal was sent;
- at most one `error:` line on stderr, and no traceback.

Seeded and bounded, so `make test` runs the same cases every time.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, given, seed, settings

from platformctl.toolchain.catalog import CATALOG
from platformctl.toolchain.versions import load_pins
from tests.conftest import REPO
from tests.toolchain.test_broken_tools import BROKEN

SEED = 20261204
MAX_EXAMPLES = 25
PINS = load_pins(REPO)
TOOLS = ("terragrunt", "opentofu", "tflint", "kubectl", "helm", "actionlint", "kwok", "etcd")
COMMANDS = (
    ("doctor", "--offline"),
    ("doctor", "--offline", "--json"),
    ("tools", "list"),
    ("tools", "list", "--json"),
    ("tools", "install", "--dry-run"),
    ("chart", "training-operator", "--json"),
)


def _real_cache() -> Path:
    from platformctl.paths import cache_dir

    return cache_dir()


REAL_CACHE = _real_cache()


def _cache_with(root: Path, broken: dict[str, str], chart: str) -> Path:
    """A tools cache: every pinned tool linked from the real cache, the drawn ones broken."""
    cache = root / "cache"
    for name in TOOLS:
        spec = CATALOG[name]
        version = PINS[name].version
        bin_dir = cache / "tools" / name / version / "bin"
        bin_dir.mkdir(parents=True)
        for exe in spec.executables:
            target = bin_dir / exe
            if name in broken:
                target.write_bytes(BROKEN[broken[name]])
                target.chmod(0o644 if broken[name] == "random" else 0o755)
            else:
                real = REAL_CACHE / "tools" / name / version / "bin" / exe
                if real.is_file():
                    target.symlink_to(real)
    _corrupt_chart(cache, chart)
    return cache


def _corrupt_chart(cache: Path, how: str) -> None:
    import hashlib

    from platformctl.cluster.operator_chart import package

    charts = cache / "charts"
    charts.mkdir(parents=True)
    path = charts / f"training-operator-{PINS['training-operator'].version}.tgz"
    good = package("1.9.2", [("ConfigMap", "x", "apiVersion: v1\nkind: ConfigMap\n")])
    if how == "truncated":
        data, recorded = good[: len(good) // 3], good
    elif how == "empty":
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w"):
            pass
        data = recorded = gzip.compress(raw.getvalue())
    elif how == "wrong-checksum":
        data, recorded = good, b"something else"
    else:
        return
    path.write_bytes(data)
    path.with_name(path.name + ".sha256").write_text(hashlib.sha256(recorded).hexdigest())


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@seed(SEED)
@given(
    command=st.sampled_from(COMMANDS),
    broken=st.dictionaries(
        st.sampled_from(TOOLS), st.sampled_from(sorted(BROKEN)), min_size=1, max_size=4
    ),
    chart=st.sampled_from(("intact", "truncated", "empty", "wrong-checksum")),
)
def test_broken_tools_and_caches_never_crash_the_cli(
    command: tuple[str, ...], broken: dict[str, str], chart: str
) -> None:
    event(f"command: {' '.join(command)}")
    if command[0] == "chart" and broken.get("kubectl") == "hanging":
        # A hanging kustomize is stopped after its minute (tests/toolchain covers the
        # bound); here it would only make the run long.
        broken = {**broken, "kubectl": "flooding"}
    with tempfile.TemporaryDirectory(prefix="platformctl-broken-") as tmp:
        cache = _cache_with(Path(tmp), broken, chart)
        env = {**os.environ, "PLATFORMCTL_CACHE": str(cache), "PLATFORMCTL_ROOT": str(REPO)}
        env.pop("PLATFORMCTL_OFFLINE_DIR", None)  # the chart comes from the cache or the module
        done = subprocess.run(
            [sys.executable, "-m", "platformctl", *command],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        shutil.rmtree(cache, ignore_errors=True)
    event(f"exit {done.returncode}")
    assert done.returncode not in (3, 130), done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) <= 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "this is a bug" not in done.stderr
