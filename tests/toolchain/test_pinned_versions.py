"""Every pinned tool's binary reports exactly the version .tool-versions pins."""

from __future__ import annotations

import pytest

from platformctl import proc
from platformctl.toolchain.catalog import CATALOG
from platformctl.toolchain.locate import cached_path, find
from platformctl.toolchain.versions import load_pins
from tests.conftest import REPO

PINS = load_pins(REPO)


@pytest.mark.parametrize("name", sorted(PINS))
def test_binary_reports_pinned_version(name: str) -> None:
    spec = CATALOG[name]
    wanted = PINS[name].version
    found = find(spec, wanted)
    if found is None or (spec.installable and found.source != "cache" and found.version != wanted):
        pytest.skip(
            f"NOT INSTALLED: {name} {wanted} is neither cached nor on PATH; "
            f"run `platformctl tools install --only {name}`"
        )
    if spec.version_module:
        # No version command: Go recorded the module's version in the binary's build info.
        assert found.version == wanted, f"{found.path}: go version -m reads {found.version}"
        return
    for executable in spec.executables:
        path = (
            found.path if executable == spec.executable else cached_path(spec, wanted, executable)
        )
        done = proc.run([path, *spec.version_args], check=False, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert spec.parse_version(done.stdout + done.stderr) == wanted, (
            f"{path} printed {done.stdout + done.stderr!r}"
        )
