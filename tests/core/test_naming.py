"""Derived AWS names: the table matches templates/ and modules/, and overflows are refused."""

from __future__ import annotations

import pytest

from platformctl import naming
from platformctl.awsdata import REGION_AZS
from platformctl.config import parse_platform, resolve_org
from platformctl.errors import UsageError
from platformctl.render import render_tree
from tests.core.helpers import REPO, base_platform


@pytest.mark.parametrize("item", naming.DERIVED, ids=lambda d: d.what)
def test_every_derived_name_is_built_where_the_table_says(item: naming.DerivedName) -> None:
    assert item.pattern in (REPO / item.source).read_text(), (item.source, item.pattern)


def test_longest_org_env_and_region_that_fit_render() -> None:
    longest_region = max(REGION_AZS, key=len)
    data = base_platform()
    env = data["environments"][0]
    env["region"], env["azs"] = longest_region, 2
    # The data bucket is the tightest: org + env + region + 17 <= 63.
    budget = 63 - len("--training-data-") - len(longest_region)
    env["name"] = "e" * 5
    data["environments"] = [env]
    org = resolve_org("o" * (budget - 5))
    tree = render_tree(REPO, parse_platform(data), org)
    assert tree.files
    with pytest.raises(UsageError) as err:
        render_tree(REPO, parse_platform(data), resolve_org("o" * (budget - 4)))
    message = err.value.message
    assert "training data bucket" in message and "64 characters" in message
    assert "shorten the org or the environment name by 1" in message


def test_long_org_with_long_env_is_refused_before_rendering() -> None:
    data = base_platform()
    data["environments"][0]["name"] = "e" * 20
    with pytest.raises(UsageError, match="over the AWS limit of 63"):
        render_tree(REPO, parse_platform(data), resolve_org("o" * 32))
