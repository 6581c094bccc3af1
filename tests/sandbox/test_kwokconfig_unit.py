"""kwok's configuration: kwok's own pod Stages kept, plus the training-pod Stage."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from platformctl.errors import UsageError
from platformctl.sandbox.kwokconfig import TRAINING_LABEL, check_training_seconds, kwok_config


def _documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_the_config_sets_the_pod_range_and_keeps_kwoks_default_pod_stages() -> None:
    docs = _documents(kwok_config(pod_cidr="10.0.0.1/24", training_seconds=5))
    options, *stages = docs
    assert options["kind"] == "KwokConfiguration"
    assert options["options"] == {"cidr": "10.0.0.1/24"}
    assert [s["metadata"]["name"] for s in stages] == [
        "pod-ready",
        "pod-complete",
        "pod-delete",
        "platformctl-training-pod-complete",
    ]
    assert {s["kind"] for s in stages} == {"Stage"}
    assert all(s["spec"]["resourceRef"] == {"apiGroup": "v1", "kind": "Pod"} for s in stages)


def test_training_pods_end_succeeded_after_the_configured_delay() -> None:
    stage = _documents(kwok_config(pod_cidr="10.0.0.1/24", training_seconds=2.5))[-1]
    selector = {e["key"]: e for e in stage["spec"]["selector"]["matchExpressions"]}
    assert selector[f'.metadata.labels["{TRAINING_LABEL}"]']["operator"] == "Exists"
    assert selector[".status.phase"]["values"] == ["Running"]
    assert selector[".metadata.deletionTimestamp"]["operator"] == "DoesNotExist"
    assert stage["spec"]["delay"] == {"durationMilliseconds": 2500}
    template = stage["spec"]["next"]["statusTemplate"]
    assert "phase: Succeeded" in template and "exitCode: 0" in template


@pytest.mark.parametrize("seconds", [-1, 3601])
def test_training_seconds_out_of_range_is_bad_input(seconds: float) -> None:
    with pytest.raises(UsageError, match=r"^--training-seconds .* is out of range; use 0 to 3600"):
        check_training_seconds(seconds)
