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
    if spec.offline is not None:
        # Built from an offline source: a provider or plugin has no version command; the
        # build record names the version and the checksummed archive it was built from.
        import json

        info = json.loads((found.path.parent.parent / "build.json").read_text())
        assert info["version"] == wanted
        assert f"-{wanted}." in info["archive"] and len(info["archive_sha256"]) == 64
        assert info["main_module"], info
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
