"""The OpenTofu CLI configuration platformctl writes (plugin cache, provider mirror)."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl import proc
from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.locate import tool_path
from platformctl.toolchain.providers import (
    cli_config,
    cli_config_env,
    cli_config_text,
    mirrored_providers,
)
from tests.conftest import REPO


def _mirror_with_aws(tmp_path: Path) -> Path:
    mirror = tmp_path / "mirror"
    platform = mirror / "registry.opentofu.org/hashicorp/aws/6.36.0/linux_amd64"
    platform.mkdir(parents=True)
    (platform / "terraform-provider-aws_v6.36.0").write_bytes(b"")
    (mirror / "registry.opentofu.org/hashicorp/tls/4.1.0/linux_amd64").mkdir(parents=True)
    return mirror


def test_only_providers_with_a_build_count_as_mirrored(tmp_path: Path) -> None:
    assert mirrored_providers(_mirror_with_aws(tmp_path)) == (
        "registry.opentofu.org/hashicorp/aws",
    )


def test_without_a_mirror_only_the_plugin_cache_is_configured(tmp_path: Path) -> None:
    text = cli_config_text(tmp_path / "cache", tmp_path / "nowhere")
    assert f'plugin_cache_dir = "{tmp_path / "cache"}"' in text
    assert "provider_installation" not in text


def test_mirrored_providers_never_go_to_the_registry(tmp_path: Path) -> None:
    text = cli_config_text(tmp_path / "cache", _mirror_with_aws(tmp_path))
    assert 'include = ["registry.opentofu.org/hashicorp/aws"]' in text
    assert 'exclude = ["registry.opentofu.org/hashicorp/aws"]' in text


def test_users_own_cli_config_wins_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "cache"))
    own = tmp_path / "own.tfrc"
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(own))
    assert cli_config_env() == {"TF_CLI_CONFIG_FILE": str(cli_config(write=False))}
    own.write_text('plugin_cache_dir = "/tmp"\n')
    assert cli_config_env() == {}


@pytest.mark.real
def test_opentofu_accepts_the_written_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        tofu = tool_path(REPO, "opentofu")
    except ToolNotFoundError as exc:
        pytest.skip(exc.message)
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    mirror = tmp_path / "cache/providers/mirror"
    mirror.parent.mkdir(parents=True)
    _mirror_with_aws(tmp_path).rename(mirror)
    env = cli_config_env()
    done = proc.run([tofu, "version"], env=env, check=False)
    assert done.returncode == 0
    assert "problems with the CLI configuration" not in done.stdout + done.stderr
    broken = Path(env["TF_CLI_CONFIG_FILE"])
    broken.write_text("provider_installation {\n  nonsense {}\n}\n")
    bad = proc.run([tofu, "version"], env=env, check=False)
    assert "problems with the CLI configuration" in bad.stdout + bad.stderr


def test_provider_needs_come_from_the_modules_and_the_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platformctl.toolchain.providers import provider_needs

    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "cache"))
    needs = {n.source: n for n in provider_needs(REPO, check_registry=False)}
    assert set(needs) >= {"hashicorp/aws", "hashicorp/helm", "hashicorp/kubernetes"}
    assert "vpc" in needs["hashicorp/aws"].modules and "mesh" in needs["hashicorp/helm"].modules
    assert {n.origin for n in needs.values()} == {"unavailable"}
    (tmp_path / "cache/providers").mkdir(parents=True)
    _mirror_with_aws(tmp_path).rename(tmp_path / "cache/providers/mirror")
    needs = {n.source: n for n in provider_needs(REPO, check_registry=False)}
    assert needs["hashicorp/aws"].origin == "mirror"
    assert needs["hashicorp/helm"].origin == "unavailable"
