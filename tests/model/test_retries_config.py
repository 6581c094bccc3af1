"""[retries] in platform.toml, and the errors block it renders into root.hcl."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from platformctl.errors import UsageError
from platformctl.model.config import Retries, parse_platform, resolve_org
from platformctl.model.render import _jinja, parse_hcl, render_tree
from tests.fixtures.repo import REPO, base_platform

ORG = resolve_org("ExampleOrg")


def _with(retries: Any) -> dict[str, Any]:
    data = base_platform()
    data["retries"] = retries
    return data


def test_retries_default_to_three_attempts_ten_seconds_apart() -> None:
    assert parse_platform(base_platform()).retries == Retries(3, 10)
    assert parse_platform(_with({})).retries == Retries(3, 10)


def test_retries_take_the_configured_bounds() -> None:
    assert parse_platform(_with({"max_attempts": 1, "sleep_interval_sec": 0})).retries == (
        Retries(1, 0)
    )
    assert parse_platform(_with({"max_attempts": 10, "sleep_interval_sec": 300})).retries == (
        Retries(10, 300)
    )


@pytest.mark.parametrize(
    ("retries", "message"),
    [
        ({"max_attempts": 0}, "retries.max_attempts must be between 1 and 10, got 0."),
        ({"max_attempts": 11}, "retries.max_attempts must be between 1 and 10, got 11."),
        ({"max_attempts": True}, "retries.max_attempts must be a whole number"),
        ({"max_attempts": "3"}, "retries.max_attempts must be a whole number"),
        ({"sleep_interval_sec": -1}, "retries.sleep_interval_sec must be between 0 and 300"),
        ({"sleep_interval_sec": 301}, "retries.sleep_interval_sec must be between 0 and 300"),
        ({"sleep_interval_sec": 1.5}, "retries.sleep_interval_sec must be a whole number"),
        ({"attempts": 3}, "retries: unknown key 'attempts'"),
        (3, "platform.toml: retries must be a table"),
    ],
)
def test_bad_retries_are_one_sentence_usage_errors(retries: Any, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_platform(_with(retries))
    assert message in info.value.message
    assert info.value.message.count(". ") == 0 and info.value.message.endswith(".")


def _retry_blocks(text: str) -> list[dict[str, Any]]:
    errors = parse_hcl(text, "root.hcl")["errors"][0]
    return [{name: body} for block in errors["retry"] for name, body in block.items()]


def test_root_hcl_carries_the_errors_block_with_the_defaults() -> None:
    platform = parse_platform(base_platform())
    text = render_tree(REPO, platform, ORG).files[Path("exampleorg/root.hcl")]
    blocks = _retry_blocks(text)
    names = [next(iter(b)) for b in blocks]
    assert [n.strip('"') for n in names] == ["transient", "terragrunt_defaults"]
    for block in blocks:
        body = next(iter(block.values()))
        assert (body["max_attempts"], body["sleep_interval_sec"]) == (3, 10)
    assert "retryable_errors =" in text and "\nretryable_errors" not in text


def test_root_hcl_takes_the_configured_attempts_and_pause() -> None:
    template = _jinja(REPO / "templates").get_template("root.hcl.j2")
    text = template.render(org=ORG, retries=Retries(5, 0))
    for block in _retry_blocks(text):
        body = next(iter(block.values()))
        assert (body["max_attempts"], body["sleep_interval_sec"]) == (5, 0)


def _patterns() -> list[str]:
    text = render_tree(REPO, parse_platform(base_platform()), ORG).files[
        Path("exampleorg/root.hcl")
    ]
    transient = next(
        next(iter(b.values())) for b in _retry_blocks(text) if "transient" in next(iter(b))
    )
    # python-hcl2 keeps string literals as written: quoted, escapes unresolved.
    return [json.loads(p) for p in transient["retryable_errors"]]


# Python's re agrees with Go's RE2 on these patterns (no lookaround, no backreferences);
# tests/run/test_retries.py checks one of them against terragrunt itself.
TRANSIENT = [
    "operation error EKS: CreateNodegroup, https response error StatusCode: 400, RequestID: 1, "
    "api error RequestLimitExceeded: Request limit exceeded.",
    "operation error IAM: GetRole, exceeded maximum number of attempts, 25, https response "
    "error StatusCode: 400, RequestID: 2, api error Throttling: Rate exceeded",
    "operation error EKS: CreateCluster, https response error StatusCode: 400, RequestID: 3, "
    "InvalidParameterException: Role with arn: arn:aws:iam::123456789012:role/dev-eks could\n"
    "not be assumed because it does not exist or the trusted entity is not correct",
    "InvalidParameterException: The provided role doesn't have the Amazon EKS Managed "
    "Policies associated with it. Please ensure the following policy is attached",
    'Get "https://ABC.gr7.us-east-1.eks.amazonaws.com/api/v1/namespaces/x": dial tcp '
    "10.0.1.5:443: i/o timeout",
    "read tcp 10.0.0.1:5555->10.0.1.5:443: read: connection reset by\npeer",
    "the server is currently unable to handle the request (get deployments.apps istiod)",
    'failed calling webhook "webhook.cert-manager.io": failed to call webhook: Post '
    '"https://cert-manager-webhook.cert-manager.svc:443/validate?timeout=30s": no endpoints '
    'available for service "cert-manager-webhook"',
    'Get "https://ABC.gr7.us-east-1.eks.amazonaws.com/version": context deadline exceeded',
]
PERSISTENT = [
    "operation error EKS: CreateCluster, https response error StatusCode: 409, RequestID: 4, "
    "ResourceInUseException: Cluster already exists with name: dev",
    'Unsupported argument; An argument named "ThrottlingPolicy" is not expected here.',
    "installation failed: timed out waiting for the condition; context deadline exceeded",
    'Get "http://localhost/api/v1/namespaces/kube-system": dial tcp 127.0.0.1:80: connect: '
    "connection refused",
    "AccessDenied: User is not authorized to perform: eks:CreateCluster",
]


@pytest.mark.parametrize("message", TRANSIENT)
def test_transient_errors_match_a_pattern(message: str) -> None:
    assert any(re.search(p, message) for p in _patterns()), message


@pytest.mark.parametrize("message", PERSISTENT)
def test_configuration_errors_match_no_pattern(message: str) -> None:
    assert not any(re.search(p, message) for p in _patterns()), message
