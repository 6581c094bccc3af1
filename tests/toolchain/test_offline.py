"""The offline directory next to the repository, as the sandbox finds it (real files)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from platformctl.errors import OperationError
from platformctl.toolchain import offline


def _offline(tmp_path: Path, files: dict[str, bytes]) -> Path:
    directory = tmp_path / "shared" / "offline"
    lines = []
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        lines.append(f"{hashlib.sha256(content).hexdigest()}  ./{name}")
    (directory / offline.CHECKSUMS).write_text("\n".join(lines) + "\n")
    return directory


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(offline.ENV_VAR, raising=False)


def test_with_the_root_the_shared_folder_next_to_the_repository_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    assert offline.offline_dir(root=root) is None
    shared = _offline(tmp_path, {"charts/a-1.0.0.tgz": b"a"})
    assert offline.offline_dir(root=root) == shared
    assert offline.offline_dir() is None  # without the root there is no default
    other = _offline(tmp_path / "elsewhere", {"charts/b-1.0.0.tgz": b"b"})
    monkeypatch.setenv(offline.ENV_VAR, str(other))
    assert offline.offline_dir(root=root) == other
    explicit = _offline(tmp_path / "explicit", {"charts/c-1.0.0.tgz": b"c"})
    assert offline.offline_dir(explicit, root=root) == explicit


def test_a_changed_chart_is_refused(tmp_path: Path) -> None:
    directory = _offline(tmp_path, {"charts/a-1.0.0.tgz": b"a", "charts/b-1.0.0.tgz": b"b"})
    assert offline.verified(directory, "charts/a-1.0.0.tgz") == directory / "charts/a-1.0.0.tgz"
    (directory / "charts" / "b-1.0.0.tgz").write_bytes(b"tampered")
    with pytest.raises(OperationError, match=r"b-1.0.0.tgz does not match its checksum"):
        offline.verified(directory, "charts/b-1.0.0.tgz")


def test_the_shared_offline_directory_verifies() -> None:
    """The real ../shared/offline, when this machine has it: every chart matches its sum."""
    real = offline.offline_dir(root=Path(__file__).resolve().parents[2])
    if real is None:
        pytest.skip("no ../shared/offline next to the repository")
    charts = sorted((real / "charts").glob("*.tgz"))
    assert charts
    for chart in charts:
        offline.verified(real, str(chart.relative_to(real)))
