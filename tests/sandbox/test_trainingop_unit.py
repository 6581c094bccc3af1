"""The Training Operator component: where its binary comes from, its command line, its state
(no binary needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.errors import ToolNotFoundError
from platformctl.report import SilentReporter
from platformctl.sandbox import trainingop
from tests.conftest import REPO


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_override_names_a_bin_directory_or_the_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exe = _executable(tmp_path / "bin" / "training-operator")
    monkeypatch.setenv(trainingop.BINARY_ENV, str(tmp_path / "bin"))
    assert trainingop.locate_operator(REPO) == exe
    monkeypatch.setenv(trainingop.BINARY_ENV, str(exe))
    assert trainingop.locate_operator(REPO) == exe
    monkeypatch.setenv(trainingop.BINARY_ENV, str(tmp_path))
    with pytest.raises(ToolNotFoundError, match="holds no executable training-operator"):
        trainingop.locate_operator(REPO)


def test_without_override_the_cached_build_is_used_else_a_hint_how_to_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(trainingop.BINARY_ENV, raising=False)
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(ToolNotFoundError) as info:
        trainingop.locate_operator(REPO)
    assert info.value.message == (
        "training-operator 1.9.2 (the Training Operator's controller) is not built."
    )
    assert "platformctl tools install --only training-operator" in (info.value.hint or "")
    assert trainingop.BINARY_ENV in (info.value.hint or "")
    exe = _executable(tmp_path / "cache/tools/training-operator/1.9.2/bin/training-operator")
    assert trainingop.locate_operator(REPO) == exe


def test_the_operator_serves_health_and_metrics_on_loopback_for_pytorchjobs_only() -> None:
    state = trainingop.OperatorState(
        pid=1,
        exe="/bin/training-operator",
        server="https://127.0.0.1:6443",
        health_port=30001,
        metrics_port=30002,
        webhook_port=30003,
        started_at="2026-01-01T00:00:00Z",
        log="/dev/null",
    )
    argv = trainingop.operator_args(Path(state.exe), Path("/k/kubeconfig"), state)
    assert argv[0] == "/bin/training-operator"
    flags = dict(a.removeprefix("--").split("=", 1) for a in argv[1:])
    assert flags["kubeconfig"] == "/k/kubeconfig"
    assert flags["enable-scheme"] == "pytorchjob"
    assert flags["health-probe-bind-address"] == "127.0.0.1:30001"
    assert flags["metrics-bind-address"] == "127.0.0.1:30002"
    assert flags["webhook-server-port"] == "30003"


def test_stop_and_status_without_a_record(tmp_path: Path) -> None:
    stopped = trainingop.stop(REPO, SilentReporter(), base=tmp_path)
    assert (stopped.running, stopped.detail) == (False, "was not running")
    (tmp_path / "state.json").write_text("{not json")
    assert trainingop.read_state(tmp_path) is None
    st = trainingop.status(REPO, base=tmp_path, controlplane_base=tmp_path / "no-cp")
    assert (st.running, st.action, st.detail) == (False, "absent", "not running")
