"""A cached chart is used only when intact: truncated, emptied or changed, it is rebuilt."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from platformctl.cluster.operator_chart import (
    cached_chart,
    chart_path,
    checksum_path,
    package,
)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _write(data: bytes, *, record: bytes | None = None) -> Path:
    path = chart_path("9.9.9")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    digest = hashlib.sha256(record if record is not None else data).hexdigest()
    checksum_path(path).write_text(digest + "\n")
    return path


def _chart() -> bytes:
    return package("9.9.9", [("ConfigMap", "x", "apiVersion: v1\nkind: ConfigMap\n")])


def test_an_intact_chart_is_reused(cache: Path) -> None:
    _write(_chart())
    found = cached_chart("9.9.9")
    assert found is not None and found.source == "cached" and found.objects == 1


def test_a_truncated_chart_is_not_used(cache: Path) -> None:
    data = _chart()
    _write(data[: len(data) // 2], record=data)
    assert cached_chart("9.9.9") is None
    _write(data[: len(data) // 2])  # even with a checksum that matches the damage
    assert cached_chart("9.9.9") is None


def test_a_valid_but_empty_chart_is_not_used(cache: Path) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w"):
        pass
    _write(gzip.compress(raw.getvalue()))
    assert cached_chart("9.9.9") is None


def test_a_chart_without_its_recorded_checksum_is_not_used(cache: Path) -> None:
    path = _write(_chart())
    checksum_path(path).unlink()
    assert cached_chart("9.9.9") is None
