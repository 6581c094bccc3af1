"""Derived AWS names: the table matches templates/ and modules/, and overflows are refused."""

from __future__ import annotations

import pytest

from platformctl.errors import UsageError
from platformctl.model import naming
from platformctl.model.awsdata import REGION_AZS
from platformctl.model.config import parse_platform, resolve_org
from platformctl.model.render import render_tree
from tests.fixtures.repo import REPO, base_platform


@pytest.mark.parametrize("item", naming.DERIVED, ids=lambda d: d.what)
def test_every_derived_name_is_built_where_the_table_says(item: naming.DerivedName) -> None:
    assert item.pattern in (REPO / item.source).read_text(), (item.source, item.pattern)


def test_longest_org_env_and_region_that_fit_render() -> None:
    longest_region = max(REGION_AZS, key=len)
    data = base_platform()
    env = data["environments"][0]
    env["region"], env["azs"], env["name"] = longest_region, 2, "e" * 5
    data["environments"] = [env]
    platform = parse_platform(data)
    # The longest org every derived name still fits, found by the table itself.
    fits = max(n for n in range(3, 33) if _fits("o" * n, "e" * 5, longest_region))
    over = {
        item.what: len(item.build("o" * (fits + 1), "e" * 5, longest_region)) - item.limit
        for item in naming.DERIVED
    }
    assert max(over.values()) == 1
    assert render_tree(REPO, platform, resolve_org("o" * fits)).files
    with pytest.raises(UsageError) as err:
        render_tree(REPO, platform, resolve_org("o" * (fits + 1)))
    message = err.value.message
    first = next(what for what, extra in over.items() if extra > 0)
    assert first in message and "shorten the org or the environment name by 1" in message


def _fits(org: str, env: str, region: str) -> bool:
    try:
        naming.check(org, env, region)
    except UsageError:
        return False
    return True


def test_long_org_with_long_env_is_refused_before_rendering() -> None:
    data = base_platform()
    data["environments"][0]["name"] = "e" * 20
    with pytest.raises(UsageError, match="over the AWS limit of"):
        render_tree(REPO, parse_platform(data), resolve_org("o" * 32))
