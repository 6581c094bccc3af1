"""Parsing .tool-versions: asdf/mise lines plus `#platformctl <tool> <version>` lines."""

from __future__ import annotations

import pytest

from platformctl.errors import UsageError
from platformctl.toolchain.catalog import CATALOG
from platformctl.toolchain.versions import load_pins, parse_tool_versions
from tests.conftest import REPO


def test_parses_plain_extra_and_comment_lines() -> None:
    text = (
        "# a comment\n"
        "\n"
        "opentofu 1.11.6\n"
        "terragrunt v1.1.3   # trailing comment\n"
        "#platformctl etcd 3.6.16\n"
        "# platformctl kube-apiserver 9.9.9 (a plain comment: the prefix has no space)\n"
    )
    pins = parse_tool_versions(text)
    assert {name: pin.version for name, pin in pins.items()} == {
        "opentofu": "1.11.6",
        "terragrunt": "1.1.3",
        "etcd": "3.6.16",
    }
    assert pins["etcd"].line == 5


@pytest.mark.parametrize(
    "line",
    ["opentofu", "opentofu latest", "Open_Tofu 1.2.3", "opentofu 1", "#platformctl etcd"],
)
def test_malformed_line_names_the_line(line: str) -> None:
    with pytest.raises(UsageError, match=r"line 2 is malformed"):
        parse_tool_versions(f"terragrunt 1.1.3\n{line}\n")


def test_duplicate_pin_names_both_lines() -> None:
    with pytest.raises(
        UsageError, match=r"line 3 pins 'opentofu' a second time \(first on line 1\)"
    ):
        parse_tool_versions("opentofu 1.11.6\nhelm 3.19.0\n#platformctl opentofu 1.11.5\n")


def test_repository_pins_every_catalogued_tool() -> None:
    pins = load_pins(REPO)
    assert set(pins) == set(CATALOG)
    assert pins["kube-apiserver"].version == pins["kubectl"].version
