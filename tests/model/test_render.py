from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from platformctl.errors import OperationError, UsageError
from platformctl.model.config import REGION_AZS, load_platform, parse_platform, resolve_org
from platformctl.model.graph import dependency_paths
from platformctl.model.render import (
    check_tree,
    hcl_literal,
    parse_hcl,
    render_tree,
    verify_tree,
    write_tree,
)
from tests.fixtures.repo import REPO, base_platform, make_repo, tree_snapshot

ORG = resolve_org("ExampleOrg")


def test_committed_live_tree_is_the_golden_rendering() -> None:
    """live/exampleorg in the repository is exactly what the templates render."""
    tree = render_tree(REPO, load_platform(REPO), ORG)
    stale = check_tree(REPO, tree, all_envs=True)
    assert stale.fresh, stale.diff


def test_rendering_is_deterministic_and_complete(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    platform = load_platform(root)
    first = write_tree(root, render_tree(root, platform, ORG), all_envs=True)
    snapshot = tree_snapshot(root / "live")
    second = write_tree(root, render_tree(root, platform, ORG), all_envs=True)
    assert tree_snapshot(root / "live") == snapshot
    assert second.written == () and len(second.unchanged) == len(first.written) == 18
    units = sorted(str(p) for p in first.tree.files if p.name == "terragrunt.hcl")
    assert units == ["exampleorg/_account/account/terragrunt.hcl"] + [
        f"exampleorg/{env}/us-east-1/{unit}/terragrunt.hcl"
        for env in ("dev", "sandbox")
        for unit in ("eks", "kubeflow", "mesh", "vpc")
    ]


def test_every_rendered_file_parses_and_units_declare_their_dependencies(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    tree = render_tree(root, load_platform(root), ORG)
    deps = {}
    for path, text in tree.files.items():
        parsed = parse_hcl(text, path)
        if path.name == "terragrunt.hcl":
            deps[path.parent.name] = sorted(dependency_paths(parsed))
            assert parsed["include"], f"{path} includes root.hcl"
    assert deps == {
        "account": [],
        "vpc": [],
        "eks": ["../vpc"],
        "mesh": ["../eks"],
        "kubeflow": ["../eks", "../mesh", "../vpc"],
    }


def test_root_config_has_encrypted_locked_state_and_default_tags(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    text = render_tree(root, load_platform(root), ORG).files[Path("exampleorg/root.hcl")]
    for needle in (
        'bucket       = "terraform-state-${local.org}-${local.region}"',
        "encrypt      = true",
        "use_lockfile = true",
        'terraform_binary = "tofu"',
        "Organization",
        "Environment",
        "Component",
        "ManagedBy",
    ):
        assert needle in text
    assert 'org        = "exampleorg"' in text


def test_account_unit_lists_the_real_environments_only(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    files = render_tree(root, load_platform(root), ORG).files
    unit = parse_hcl(files[Path("exampleorg/_account/account/terragrunt.hcl")], "account")
    assert unit["inputs"]["environments"] == ['"dev"']
    assert unit["inputs"]["github_repository"] == '"ExampleOrg/platform"'
    assert 'region = "us-east-1"' in files[Path("exampleorg/_account/region.hcl")]


def test_sandbox_and_dev_differ_only_where_they_should(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    files = render_tree(root, load_platform(root), ORG).files
    assert "sandbox            = true" in files[Path("exampleorg/sandbox/env.hcl")]
    assert "sandbox            = false" in files[Path("exampleorg/dev/env.hcl")]
    assert "eks_addons     = false" in files[Path("exampleorg/sandbox/env.hcl")]
    assert '"10.1.0.0/16"' in files[Path("exampleorg/sandbox/us-east-1/region.hcl")]


def test_one_env_render_leaves_other_envs_alone(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    platform = load_platform(root)
    write_tree(root, render_tree(root, platform, ORG), all_envs=True)
    dev_file = root / "live/exampleorg/dev/env.hcl"
    dev_file.write_text(dev_file.read_text() + "# local edit\n")
    result = write_tree(root, render_tree(root, platform, ORG, "sandbox"), all_envs=False)
    assert result.removed == ()
    assert dev_file.read_text().endswith("# local edit\n")


def test_stale_files_are_removed_but_caches_and_lock_files_kept(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    platform = load_platform(root)
    write_tree(root, render_tree(root, platform, ORG), all_envs=True)
    unit = root / "live/exampleorg/dev/us-east-1/vpc"
    (unit / ".terraform.lock.hcl").write_text("# lock\n")
    (unit / ".terragrunt-cache").mkdir()
    (unit / ".terragrunt-cache/x.hcl").write_text("x = 1\n")
    orphan = root / "live/exampleorg/dev/us-east-1/old/terragrunt.hcl"
    orphan.parent.mkdir()
    orphan.write_text("# old unit\n# Rendered by platformctl from templates/units/old.hcl.j2\n")
    result = write_tree(root, render_tree(root, platform, ORG), all_envs=True)
    assert [str(p) for p in result.removed] == ["exampleorg/dev/us-east-1/old/terragrunt.hcl"]
    assert not orphan.parent.exists()
    assert (unit / ".terraform.lock.hcl").exists() and (unit / ".terragrunt-cache/x.hcl").exists()


def test_check_reports_a_unified_diff(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    platform = load_platform(root)
    tree = render_tree(root, platform, ORG)
    write_tree(root, tree, all_envs=True)
    target = root / "live/exampleorg/dev/us-east-1/region.hcl"
    target.write_text(target.read_text().replace("10.0.0.0/16", "10.0.0.0/17"))
    stale = check_tree(root, tree, all_envs=True)
    assert [str(p) for p in stale.stale_files] == ["exampleorg/dev/us-east-1/region.hcl"]
    assert '-  vpc_cidr           = "10.0.0.0/17"' in stale.diff
    assert '+  vpc_cidr           = "10.0.0.0/16"' in stale.diff


def test_template_error_writes_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    platform = load_platform(root)
    write_tree(root, render_tree(root, platform, ORG), all_envs=True)
    before = tree_snapshot(root / "live")
    unit_template = root / "templates/units/mesh.hcl.j2"
    unit_template.write_text(unit_template.read_text() + "\n{{ undefined_value }}\n")
    with pytest.raises(OperationError, match=r"mesh\.hcl\.j2"):
        render_tree(root, platform, ORG)
    unit_template.write_text(
        unit_template.read_text().replace("{{ undefined_value }}", "inputs = {")
    )
    with pytest.raises(OperationError, match="does not parse"):
        write_tree(root, render_tree(root, platform, ORG), all_envs=True)
    assert tree_snapshot(root / "live") == before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (3, "3"),
        ('a"b', '"a\\"b"'),
        ("${x}", '"$${x}"'),
        ("%{if}", '"%%{if}"'),
        (["a", 1], '["a", 1]'),
        ({"b": 1, "a": "x"}, '{ "a" = "x", "b" = 1 }'),
        ({}, "{}"),
    ],
)
def test_hcl_literal(value: Any, expected: str) -> None:
    assert hcl_literal(value) == expected


# --- properties -------------------------------------------------------------------

_regions = st.sampled_from(sorted(REGION_AZS))


@st.composite
def environment_specs(draw: st.DrawFn) -> dict[str, Any]:
    region = draw(_regions)
    second = draw(st.integers(0, 255))
    prefix = draw(st.integers(16, 22))
    low = draw(st.integers(0, 3))
    want = draw(st.integers(low, low + 3))
    high = draw(st.integers(max(want, 1), want + 4))
    env = copy.deepcopy(base_platform()["environments"][0])
    env.update(
        name=draw(st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)),
        region=region,
        azs=draw(st.integers(2, REGION_AZS[region])),
        vpc_cidr=f"10.{second}.0.0/{prefix}",
        sandbox=draw(st.booleans()),
    )
    env["node_groups"]["gpu"].update(min_size=low, desired_size=want, max_size=high)
    env["node_groups"]["cpu"]["labels"] = {
        "platformctl.io/team": draw(
            st.from_regex(r"([a-z0-9][a-z0-9._-]{0,10}[a-z0-9])?", fullmatch=True)
        )
    }
    return env


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Org (<= 21) + environment (<= 9) names that fit AWS's 64-character role names with the
# longest role suffix ("-eks-aws-load-balancer-controller"); longer ones are refused, rightly.
@given(
    env=environment_specs(), org=st.from_regex(r"[a-z0-9][a-z0-9-]{1,19}[a-z0-9]", fullmatch=True)
)
def test_every_valid_spec_renders_to_parseable_hcl(env: dict[str, Any], org: str) -> None:
    platform = parse_platform({"environments": [env]})
    tree = render_tree(REPO, platform, resolve_org(org))
    assert len(tree.files) == 8
    verify_tree(tree)
    for path, text in tree.files.items():
        parse_hcl(text, path)


_breakers: list[tuple[str, Any]] = [
    ("name", "a/b"),
    ("name", "x y"),
    ("name", "a`b`"),
    ("region", "us-east-1;ls"),
    ("region", "../eu"),
    ("vpc_cidr", "10.0.0.0/8"),
    ("vpc_cidr", "300.0.0.0/16"),
    ("azs", 0),
    ("azs", 99),
    ("kubernetes_version", 1.35),
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(env=environment_specs(), breaker=st.sampled_from(_breakers))
def test_every_invalid_spec_is_a_usage_error_and_writes_nothing(
    env: dict[str, Any], breaker: tuple[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    key, value = breaker
    env[key] = value
    root = make_repo(tmp_path_factory.mktemp("inv"), {"environments": [env]})
    with pytest.raises(UsageError):
        platform = load_platform(root)
        write_tree(root, render_tree(root, platform, ORG), all_envs=True)
    assert not (root / "live").exists()
