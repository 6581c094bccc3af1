"""account_id and role_arn in platform.toml: validation, the state bucket's name, the rendered
provider and backend."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from platformctl.errors import UsageError
from platformctl.model import naming
from platformctl.model.config import parse_platform, resolve_org
from platformctl.model.render import parse_hcl, render_tree
from tests.fixtures.repo import REPO, base_platform
from tests.fixtures.repo_cli import assert_one_sentence

ROLE = "arn:aws:iam::111122223333:role/platform/Deploy"


def _with(env: int = 0, **values: Any) -> dict[str, Any]:
    data = copy.deepcopy(base_platform())
    data["environments"][env].update(values)
    return data


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"account_id": "12345678901"}, "must be an AWS account ID of 12 digits"),
        ({"account_id": 111122223333}, "written as a string"),
        ({"account_id": "11112222333a"}, "12 digits"),
        ({"role_arn": ROLE}, "role_arn needs environments.dev.account_id"),
        (
            {"account_id": "111122223333", "role_arn": "arn:aws:iam::111122223333:user/x"},
            "is not an IAM role ARN",
        ),
        (
            {"account_id": "111122223333", "role_arn": "arn:aws:iam::1111:role/x"},
            "is not an IAM role ARN",
        ),
        ({"account_id": "111122223333", "role_arn": 5}, "must be an IAM role ARN string"),
        (
            {"account_id": "111122223333", "role_arn": "arn:aws:iam::444455556666:role/x"},
            "is a role of account 444455556666, but environments.dev.account_id is 111122223333",
        ),
        (
            {"account_id": "111122223333", "role_arn": "arn:aws-cn:iam::111122223333:role/x"},
            "belongs to partition aws-cn",
        ),
        ({"account_id": "111122223333", "external_id": "abc"}, "external_id needs"),
        ({"account_id": "111122223333", "role_arn": ROLE, "session_name": "a b"}, "session_name"),
        ({"account_id": "111122223333", "role_arn": ROLE, "external_id": "x"}, "external_id"),
    ],
)
def test_malformed_accounts_are_refused_in_one_sentence(values: dict[str, Any], words: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_platform(_with(**values))
    assert words in err.value.message
    assert_one_sentence(err.value.message)


def test_the_sandbox_names_no_account() -> None:
    with pytest.raises(UsageError, match="cannot be set for a sandbox environment"):
        parse_platform(_with(1, account_id="111122223333"))


def test_a_valid_account_and_role_are_kept() -> None:
    data = _with(account_id="111122223333", role_arn=ROLE, external_id="ext-1", session_name="ci")
    dev = parse_platform(data).get("dev")
    assert (dev.account_id, dev.role_arn, dev.external_id, dev.session_name) == (
        "111122223333",
        ROLE,
        "ext-1",
        "ci",
    )


def _two_envs(a: str, b: str) -> dict[str, Any]:
    data = copy.deepcopy(base_platform())
    dev = data["environments"][0]
    other = copy.deepcopy(dev) | {"name": "prod"}
    for env, account in ((dev, a), (other, b)):
        if account:
            env["account_id"] = account
    data["environments"] = [dev, other]
    return data


def test_overlapping_networks_are_allowed_only_in_different_accounts() -> None:
    parse_platform(_two_envs("111122223333", "444455556666"))
    for a, b in (("111122223333", "111122223333"), ("", ""), ("111122223333", "")):
        with pytest.raises(UsageError) as err:
            parse_platform(_two_envs(a, b))
        assert "overlaps environments.dev.vpc_cidr" in err.value.message
        assert_one_sentence(err.value.message)
    with pytest.raises(UsageError, match="in account 111122223333"):
        parse_platform(_two_envs("111122223333", "111122223333"))


def test_the_state_bucket_holds_the_account_only_when_named() -> None:
    org = resolve_org("ExampleOrg")
    plain = parse_platform(base_platform()).get("dev")
    named = parse_platform(_with(account_id="111122223333")).get("dev")
    assert naming.state_bucket(org, plain) == "terraform-state-exampleorg-us-east-1"
    assert naming.state_bucket(org, named) == "terraform-state-exampleorg-111122223333-us-east-1"
    item = naming.ACCOUNT_STATE_BUCKET
    assert item.pattern in (REPO / item.source).read_text()


def test_an_org_too_long_for_the_account_bucket_is_refused() -> None:
    # 27 characters fit every name but the bucket with an account ID (at most 24 there).
    org = resolve_org("o" * 27)
    data = _with(account_id="111122223333", name="e")
    data["environments"] = data["environments"][:1]
    with pytest.raises(UsageError, match="the S3 state bucket"):
        render_tree(REPO, parse_platform(data), org)
    data["environments"][0].pop("account_id")
    assert render_tree(REPO, parse_platform(data), org).files


def _rendered(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    tree = render_tree(REPO, parse_platform(data), resolve_org("ExampleOrg"))
    env_hcl = tree.files[Path("exampleorg/dev/env.hcl")]
    return _unquoted(parse_hcl(env_hcl, "env.hcl")["locals"][0]), tree.files[
        Path("exampleorg/root.hcl")
    ]


def _unquoted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unquoted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquoted(v) for v in value]
    return value.strip('"') if isinstance(value, str) else value


def test_assume_role_is_rendered_only_when_set() -> None:
    plain, root = _rendered(base_platform())
    assert (plain["account_id"], plain["assume_role"], plain["backend_extra"]) == ("", {}, {})
    assert "assume_role {" in root and "allowed_account_ids" in root
    assert "local.account_id" in root

    only_account, _ = _rendered(_with(account_id="111122223333"))
    assert only_account["account_id"] == "111122223333"
    assert only_account["assume_role"] == {}
    assert only_account["backend_extra"] == {
        "bucket": "terraform-state-exampleorg-111122223333-us-east-1",
        "allowed_account_ids": ["${local.account_id}"],
    }

    role, _ = _rendered(
        _with(account_id="111122223333", role_arn=ROLE, external_id="ext-1", session_name="ci")
    )
    assert role["assume_role"] == {"role_arn": ROLE, "external_id": "ext-1", "session_name": "ci"}
    assert role["backend_extra"] == {
        "bucket": "terraform-state-exampleorg-111122223333-us-east-1",
        "allowed_account_ids": ["${local.account_id}"],
        "assume_role": "${local.assume_role}",
    }
