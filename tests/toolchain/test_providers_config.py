"""Where providers come from: mirror layouts, the CLI configuration, and what OpenTofu makes of it.

The mirrors here hold placeholder files named as provider builds (never a provider): enough
for OpenTofu to find, unpack, hash and lock them, which is what a mirror is for.
"""

from __future__ import annotations

import http.server
import json
import ssl
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.errors import ToolNotFoundError, UsageError
from platformctl.toolchain.constraint import newest, satisfies
from platformctl.toolchain.locate import tool_path
from platformctl.toolchain.provider_mirror import Mirror, directory_versions, platform
from platformctl.toolchain.providers import (
    MIRROR_ENV,
    cli_config,
    cli_config_env,
    cli_config_text,
    named_mirror,
    provider_needs,
    unavailable_paragraph,
)
from tests.conftest import REPO

HOST = "registry.opentofu.org"


def unpacked(mirror: Path, kind: str, version: str, target: str | None = None) -> Path:
    directory = mirror / HOST / "hashicorp" / kind / version / (target or platform())
    directory.mkdir(parents=True)
    binary = directory / f"terraform-provider-{kind}_v{version}"
    binary.write_text("#!/bin/sh\nexit 1\n")
    binary.chmod(0o755)
    return mirror


def packed(mirror: Path, kind: str, version: str) -> Path:
    """The layout `tofu providers mirror` writes: zips, index.json and <version>.json."""
    directory = mirror / HOST / "hashicorp" / kind
    directory.mkdir(parents=True, exist_ok=True)
    name = f"terraform-provider-{kind}_{version}_{platform()}.zip"
    with zipfile.ZipFile(directory / name, "w") as archive:
        archive.writestr(f"terraform-provider-{kind}_v{version}", "#!/bin/sh\nexit 1\n")
    (directory / "index.json").write_text(json.dumps({"versions": {version: {}}}))
    (directory / f"{version}.json").write_text(
        json.dumps({"archives": {platform(): {"url": name, "hashes": []}}})
    )
    return mirror


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(tmp_path / "cache"))
    for name in (MIRROR_ENV, "TF_CLI_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLATFORMCTL_OFFLINE", "1")


@pytest.mark.parametrize(
    ("version", "constraint", "ok"),
    [
        ("6.36.0", ">= 5.46, < 7.0", True),
        ("5.46.0", ">= 5.46, < 7.0", True),
        ("7.0.0", ">= 5.46, < 7.0", False),
        ("5.45.9", ">= 5.46, < 7.0", False),
        ("3.1.2", "~> 3.0", True),
        ("4.0.0", "~> 3.0", False),
        ("3.0.9", "~> 3.0.2", True),
        ("3.1.0", "~> 3.0.2", False),
        ("3.2.1", "3.2.1", True),
        ("3.2.1", "!= 3.2.1", False),
        ("6.0.0-beta1", ">= 5.46", False),  # a pre-release only when named exactly
        ("6.0.0-beta1", "6.0.0-beta1", True),
        ("1.0.0", "", True),
        ("1.0.0", "nonsense", False),
    ],
)
def test_constraints_read_as_opentofu_reads_them(version: str, constraint: str, ok: bool) -> None:
    assert satisfies(version, constraint) is ok


def test_the_newest_fitting_version_is_chosen() -> None:
    assert newest(("5.40.0", "6.36.0", "5.100.0", "7.1.0"), ">= 5.46, < 7.0") == "6.36.0"
    assert newest(("4.0.0",), ">= 5.46") is None


def test_both_filesystem_layouts_are_read_for_this_platform_only(tmp_path: Path) -> None:
    mirror = unpacked(tmp_path / "m", "aws", "6.36.0")
    unpacked(mirror, "aws", "6.37.0", target="windows_386")  # another platform: not ours
    (mirror / HOST / "hashicorp/aws/6.38.0" / platform()).mkdir(parents=True)  # no binary
    packed(mirror, "helm", "3.1.2")
    assert directory_versions(mirror, "hashicorp/aws") == ("6.36.0",)
    assert directory_versions(mirror, "hashicorp/helm") == ("3.1.2",)
    assert directory_versions(mirror, "hashicorp/kubernetes") == ()


def test_without_a_mirror_only_the_plugin_cache_is_configured(tmp_path: Path) -> None:
    text = cli_config_text(tmp_path / "cache", None, direct=True)
    assert f'plugin_cache_dir = "{tmp_path / "cache"}"' in text
    assert "provider_installation" not in text


def test_a_filesystem_mirror_serves_what_it_holds_and_the_registry_the_rest(
    tmp_path: Path,
) -> None:
    mirror = unpacked(tmp_path / "m", "aws", "6.36.0")
    text = cli_config_text(tmp_path / "cache", Mirror(str(mirror), MIRROR_ENV), direct=True)
    assert f'path    = "{mirror}"' in text
    assert f'include = ["{HOST}/hashicorp/aws"]' in text
    assert f'exclude = ["{HOST}/hashicorp/aws"]' in text


def test_offline_there_is_no_direct_installation(tmp_path: Path) -> None:
    mirror = unpacked(tmp_path / "m", "aws", "6.36.0")
    text = cli_config_text(tmp_path / "cache", Mirror(str(mirror), MIRROR_ENV), direct=False)
    assert "direct" not in text and "include" not in text
    bare = cli_config_text(tmp_path / "cache", None, direct=False)
    assert "filesystem_mirror" in bare and "direct" not in bare


def test_a_network_mirror_serves_everything() -> None:
    text = cli_config_text(
        Path("/c"), Mirror("https://mirror.example/providers/", MIRROR_ENV), direct=True
    )
    assert 'url = "https://mirror.example/providers/"' in text
    assert "direct" not in text and "filesystem_mirror" not in text


def test_a_named_mirror_must_exist_and_speak_https(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(UsageError, match="neither a directory nor an https:// URL"):
        named_mirror()
    monkeypatch.setenv(MIRROR_ENV, "http://127.0.0.1:1/")
    with pytest.raises(UsageError, match="https:// only"):
        named_mirror()
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path))
    assert named_mirror() == Mirror(str(tmp_path.resolve()), MIRROR_ENV)


def test_users_own_cli_config_wins_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "own.tfrc"
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(own))
    assert cli_config_env() == {"TF_CLI_CONFIG_FILE": str(cli_config(write=False))}
    mirror = unpacked(tmp_path / "theirs", "aws", "6.36.0")
    own.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
    )
    assert cli_config_env() == {}
    needs = {n.source: n for n in provider_needs(REPO)}
    assert needs["hashicorp/aws"].origin == "mirror"
    assert needs["hashicorp/aws"].named_by == "TF_CLI_CONFIG_FILE"
    # No `direct` block in their file: the registry is not an option even outside offline
    # mode (and so it is not probed).
    monkeypatch.delenv("PLATFORMCTL_OFFLINE")
    needs = {n.source: n for n in provider_needs(REPO)}
    assert needs["hashicorp/helm"].origin == "unavailable"
    assert "the registry is not tried" in needs["hashicorp/helm"].fix


def test_needs_name_the_mirror_and_version_or_how_to_supply_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORMCTL_OFFLINE", "1")
    needs = {n.source: n for n in provider_needs(REPO)}
    assert set(needs) >= {"hashicorp/aws", "hashicorp/helm", "hashicorp/kubernetes"}
    assert "vpc" in needs["hashicorp/aws"].modules and "mesh" in needs["hashicorp/helm"].modules
    assert {n.origin for n in needs.values()} == {"unavailable"}
    assert "offline mode does not try the registry" in needs["hashicorp/aws"].fix
    assert MIRROR_ENV in needs["hashicorp/aws"].fix
    paragraph = unavailable_paragraph(tuple(needs.values()))
    assert paragraph.startswith("Not applied: vpc, eks, mesh, kubeflow.")
    assert "tofu providers mirror DIR" in paragraph

    mirror = unpacked(tmp_path / "m", "aws", "4.67.0")  # too old for >= 5.46
    packed(mirror, "helm", "3.1.2")
    monkeypatch.setenv(MIRROR_ENV, str(mirror))
    needs = {n.source: n for n in provider_needs(REPO)}
    assert needs["hashicorp/aws"].origin == "unavailable"
    assert (needs["hashicorp/helm"].origin, needs["hashicorp/helm"].version) == ("mirror", "3.1.2")
    assert needs["hashicorp/helm"].where == str(mirror.resolve())
    unpacked(mirror, "aws", "6.36.0")
    unpacked(mirror, "kubernetes", "3.2.1")
    needs = {n.source: n for n in provider_needs(REPO)}
    assert all(n.resolved for n in needs.values())
    assert needs["hashicorp/aws"].version == "6.36.0"
    assert unavailable_paragraph(tuple(needs.values())) == ""


def test_the_default_mirror_folder_counts_when_it_holds_providers(tmp_path: Path) -> None:
    unpacked(tmp_path / "cache/providers/mirror", "aws", "6.36.0")
    need = {n.source: n for n in provider_needs(REPO, check_registry=False)}["hashicorp/aws"]
    assert (need.origin, need.named_by) == ("mirror", "default")


@pytest.fixture
def https_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A network mirror on 127.0.0.1 over TLS (a CA of the test's own, trusted by this
    process only through SSL_CERT_FILE), serving a packed mirror's JSON."""
    from platformctl.sandbox.pki import ensure_pki

    served = packed(tmp_path / "served", "kubernetes", "3.2.1")
    pki = ensure_pki(tmp_path / "pki")
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca.cert))
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(served), **k
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.apiserver.cert, pki.apiserver.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_network_mirror_is_read_through_the_mirror_protocol(
    https_mirror: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MIRROR_ENV, https_mirror)
    monkeypatch.setenv("PLATFORMCTL_OFFLINE", "1")  # a mirror the user names is still read
    needs = {n.source: n for n in provider_needs(REPO)}
    kubernetes = needs["hashicorp/kubernetes"]
    assert (kubernetes.origin, kubernetes.version, kubernetes.where) == (
        "mirror",
        "3.2.1",
        https_mirror,
    )
    assert needs["hashicorp/aws"].origin == "unavailable"


def _find_tofu() -> Path | str:
    """tofu from the real tools cache (looked up before a test moves PLATFORMCTL_CACHE)."""
    try:
        return tool_path(REPO, "opentofu")
    except ToolNotFoundError as exc:
        return exc.message


TOFU = _find_tofu()


def _tofu() -> Path:
    if isinstance(TOFU, str):
        pytest.skip(TOFU)
    return TOFU


def _init(tofu: Path, work: Path, env: dict[str, str]) -> proc.Completed:
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
        '      version = ">= 5.46, < 7.0"\n    }\n  }\n}\n'
    )
    # Anything that tried the registry would go through this dead loopback proxy and say so.
    dead = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    return proc.run(
        [tofu, "init", "-backend=false", "-input=false", "-no-color"],
        cwd=work,
        env={**env, **dead},
        check=False,
        timeout=120,
    )


@pytest.mark.real
@pytest.mark.parametrize("layout", ["packed", "unpacked"])
def test_opentofu_installs_from_a_named_mirror_of_either_layout_and_locks_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    tofu = _tofu()
    mirror = (packed if layout == "packed" else unpacked)(tmp_path / "m", "aws", "6.36.0")
    monkeypatch.setenv(MIRROR_ENV, str(mirror))
    monkeypatch.setenv("PLATFORMCTL_OFFLINE", "1")
    done = _init(tofu, tmp_path / "work", cli_config_env())
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Installed hashicorp/aws v6.36.0" in output
    assert "proxyconnect" not in output
    lock = (tmp_path / "work/.terraform.lock.hcl").read_text()
    assert 'version     = "6.36.0"' in lock and '"h1:' in lock


@pytest.mark.real
def test_offline_with_no_mirror_opentofu_fails_at_once_without_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tofu = _tofu()
    monkeypatch.setenv("PLATFORMCTL_OFFLINE", "1")
    done = _init(tofu, tmp_path / "work", cli_config_env())
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "not found in any of the search locations" in " ".join(output.split()), output
    assert "proxyconnect" not in output, output
    broken = Path(cli_config_env()["TF_CLI_CONFIG_FILE"])
    broken.write_text("provider_installation {\n  nonsense {}\n}\n")
    bad = proc.run([tofu, "version"], env={"TF_CLI_CONFIG_FILE": str(broken)}, check=False)
    assert "problems with the CLI configuration" in bad.stdout + bad.stderr
