"""`platformctl tools install|list` as a user runs them (the installed console script)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.toolchain.catalog import CATALOG
from platformctl.toolchain.staging import is_cached
from platformctl.toolchain.versions import load_pins
from tests.conftest import REPO

PLATFORMCTL = REPO / ".venv" / "bin" / "platformctl"


def _run(*args: str, cache: Path | None = None, root: Path = REPO) -> proc.Completed:
    env = {"PLATFORMCTL_ROOT": str(root), "COLUMNS": "200"}
    if cache is not None:
        env["PLATFORMCTL_CACHE"] = str(cache)
    return proc.run([PLATFORMCTL, *args], env=env, check=False, timeout=120)


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_unknown_tool_is_exit_2_and_touches_nothing(tmp_path: Path) -> None:
    done = _run("tools", "install", "--only", "terraform", cache=tmp_path / "cache")
    assert done.returncode == 2
    assert "--only terraform: unknown tool; known tools are actionlint" in done.stderr
    assert _tree(tmp_path) == []


def test_malformed_tool_versions_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "platform.toml").write_text("")
    (tmp_path / ".tool-versions").write_text("opentofu 1.11.6\nterragrunt one-point-one\n")
    done = _run("tools", "install", root=tmp_path, cache=tmp_path / "cache")
    assert done.returncode == 2
    assert "line 2 is malformed" in done.stderr
    assert not (tmp_path / "cache").exists()


def test_dry_run_plans_and_writes_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    done = _run("tools", "install", "--only", "kube-apiserver", "--dry-run", "--json", cache=cache)
    assert done.returncode == 0, done.stderr
    [tool] = json.loads(done.stdout)["tools"]
    if tool["source"] == "PATH":
        pytest.skip("kube-apiserver 1.35.4 is on PATH: nothing to plan")
    assert tool["source"] == "planned"
    joined = "\n".join(tool["steps"])
    assert "https://dl.k8s.io/release/v1.35.4/bin/linux/amd64/kube-apiserver" in joined
    assert "k8s.io/kubernetes/cmd/kube-controller-manager" in joined
    assert "k8s.io/component-base/version.gitVersion=v1.35.4" in joined
    assert not cache.exists()


def test_install_of_a_cached_tool_is_a_quick_no_op() -> None:
    pin = load_pins(REPO)["actionlint"]
    if not is_cached(CATALOG["actionlint"], pin.version):
        pytest.skip(f"NOT INSTALLED: actionlint {pin.version} is not in the tools cache")
    started = time.monotonic()
    done = _run("tools", "install", "--only", "actionlint")
    assert done.returncode == 0, done.stderr
    assert "actionlint 1.7.12: cached" in done.stderr
    assert time.monotonic() - started < 10
    as_json = json.loads(_run("tools", "install", "--only", "actionlint", "--json").stdout)
    assert as_json["tools"][0]["source"] == "cached"


def test_list_shows_every_pin() -> None:
    done = _run("tools", "list", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert set(rows) == set(load_pins(REPO))
    assert rows["opentofu"]["executables"] == ["tofu"]
    assert rows["kube-apiserver"]["executables"] == [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
    ]
    for row in rows.values():
        assert row["state"] in ("cached", "PATH", "missing")
        if row["state"] == "cached":
            assert Path(row["path"]).is_file()


def test_a_provider_mirror_that_does_not_exist_is_exit_2(tmp_path: Path) -> None:
    done = _run("--provider-mirror", str(tmp_path / "nowhere"), "tools", "providers")
    assert done.returncode == 2
    assert "is neither a directory nor an https:// URL of a provider mirror" in done.stderr
    assert done.stdout == ""


def test_tools_providers_names_the_mirror_version_or_what_is_missing(tmp_path: Path) -> None:
    from tests.toolchain.test_providers_config import packed, unpacked

    mirror = unpacked(tmp_path / "mirror", "aws", "6.36.0")
    packed(mirror, "helm", "3.1.2")
    done = _run("--offline", "--provider-mirror", str(mirror), "tools", "providers", "--json")
    assert done.returncode == 1  # hashicorp/kubernetes is in no mirror
    rows = {row["source"]: row for row in json.loads(done.stdout)}
    assert (rows["hashicorp/aws"]["origin"], rows["hashicorp/aws"]["version"]) == (
        "mirror",
        "6.36.0",
    )
    assert rows["hashicorp/aws"]["where"] == str(mirror.resolve())
    assert rows["hashicorp/helm"]["resolved"] is True
    assert rows["hashicorp/kubernetes"]["origin"] == "unavailable"
    assert "PLATFORMCTL_PROVIDER_MIRROR" in rows["hashicorp/kubernetes"]["fix"]
    text = _run("--offline", "--provider-mirror", str(mirror), "tools", "providers")
    assert text.returncode == 1
    assert "Not applied: mesh, kubeflow." in " ".join(text.stderr.split())


def test_doctor_reports_providers_and_the_tflint_ruleset(tmp_path: Path) -> None:
    done = _run("doctor", "--offline", "--json", cache=tmp_path / "cache")
    report = json.loads(done.stdout)
    assert report["providers_resolve"] is False
    assert {p["name"] for p in report["providers"]} >= {"hashicorp/aws", "hashicorp/helm"}
    assert all(p["status"] == "warn" and p["fix"] for p in report["providers"])
    ruleset = [t for t in report["tools"] if t["name"] == "tflint-ruleset-aws"]
    assert len(ruleset) == 1 and ruleset[0]["wanted"] == "0.48.0"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"opentofu 1.11.6\n\xff\xfe terragrunt\n",
            "is not UTF-8 text (byte 16 is not); fix or rewrite it.",
        ),
        (b"", "pins no tool; pin at least opentofu and terragrunt ('opentofu 1.11.6')."),
        (b"# only comments\n\n", "pins no tool; pin at least opentofu and terragrunt"),
    ],
)
@pytest.mark.parametrize(
    "command", [("doctor", "--offline"), ("tools", "install"), ("tools", "list")]
)
def test_an_unreadable_or_empty_tool_versions_is_exit_2(
    tmp_path: Path, content: bytes, message: str, command: tuple[str, ...]
) -> None:
    (tmp_path / "platform.toml").write_text("")
    (tmp_path / ".tool-versions").write_bytes(content)
    done = _run(*command, root=tmp_path, cache=tmp_path / "cache")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in " ".join(done.stderr.split())
    assert "Ready." not in done.stdout
    assert not (tmp_path / "cache").exists()
