"""Static checks of the committed tree with the real, pinned tools.

terragrunt hcl fmt/validate on live/, tflint on modules/. Each test proves it can fail by
running the same check on a copy with one defect first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.locate import tool_path
from tests.conftest import REPO

pytestmark = pytest.mark.real


def _tool(name: str) -> Path:
    try:
        return tool_path(REPO, name)
    except ToolNotFoundError as exc:
        pytest.skip(f"{name} is not installed ({exc.message}); run `platformctl tools install`")


def _terragrunt(args: list[str], cwd: Path) -> proc.Completed:
    return proc.run(
        [_tool("terragrunt"), *args],
        cwd=cwd,
        check=False,
        env={
            "TG_TF_PATH": str(_tool("opentofu")),
            "TG_NON_INTERACTIVE": "true",
            "TG_NO_COLOR": "true",
        },
    )


def test_live_tree_is_terragrunt_formatted(tmp_path: Path) -> None:
    copy = tmp_path / "live"
    shutil.copytree(
        REPO / "live", copy, ignore=shutil.ignore_patterns(".terragrunt-cache", ".terraform")
    )
    region = copy / "exampleorg/dev/us-east-1/region.hcl"
    region.write_text(region.read_text().replace("region             =", "region =  "))
    assert _terragrunt(["hcl", "fmt", "--check"], copy).returncode != 0
    done = _terragrunt(["hcl", "fmt", "--check"], REPO / "live")
    assert done.returncode == 0, done.stdout + done.stderr


def test_live_tree_passes_terragrunt_hcl_validate() -> None:
    done = _terragrunt(["hcl", "validate"], REPO / "live")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "validation error" not in (done.stdout + done.stderr)


def _tflint_config(tmp_path: Path) -> tuple[Path, bool]:
    """.tflint.hcl as written where the AWS ruleset is installed (`tflint --init`), else a
    copy with the AWS plugin off: tflint's core rules run everywhere."""
    from platformctl.toolchain.tflint_ruleset import core_rules_config, wanted

    ruleset = wanted(REPO)
    if ruleset is not None and ruleset.installed:
        return REPO / ".tflint.hcl", True
    return core_rules_config(REPO, tmp_path / "core.tflint.hcl"), False


def test_tflint_config_enables_the_aws_ruleset_offline() -> None:
    from platformctl.toolchain.tflint_ruleset import wanted

    ruleset = wanted(REPO)
    assert ruleset is not None
    assert ruleset.source == "github.com/terraform-linters/tflint-ruleset-aws"
    assert ruleset.version.count(".") == 2
    assert "deep_check = false" in (REPO / ".tflint.hcl").read_text()


def test_modules_pass_tflint(tmp_path: Path) -> None:
    """Core rules everywhere; the AWS ruleset's too where `tflint --init` installed it."""
    tflint = _tool("tflint")
    config, with_aws = _tflint_config(tmp_path)
    broken = tmp_path / "modules/broken"
    broken.mkdir(parents=True)
    (broken / "main.tf").write_text(
        'variable "unused" {}\n'
        'resource "aws_instance" "x" {\n  ami = "ami-0123456789abcdef0"\n'
        '  instance_type = "t3.superlarge"\n}\n'
    )
    bad = proc.run(
        [tflint, "--recursive", "--config", str(config)],
        cwd=tmp_path / "modules",
        check=False,
    )
    found = bad.stdout + bad.stderr
    assert bad.returncode != 0 and "terraform_unused_declarations" in found
    assert ("aws_instance_invalid_type" in found) is with_aws, found
    done = proc.run(
        [tflint, "--recursive", "--config", str(config)], cwd=REPO / "modules", check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_modules_pass_checkov(tmp_path: Path) -> None:
    """Zero failed checks; skips are inline `#checkov:skip=ID: reason` comments only."""
    checkov = _tool("checkov")
    args = ["--framework", "terraform", "--skip-download", "--compact", "--quiet", "--directory"]
    broken = tmp_path / "bucket"
    broken.mkdir()
    (broken / "main.tf").write_text('resource "aws_s3_bucket" "open" {\n  bucket = "x"\n}\n')
    assert proc.run([checkov, *args, str(broken)], check=False, timeout=600).returncode != 0
    done = proc.run([checkov, *args, str(REPO / "modules")], check=False, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    for path in (REPO / "modules").rglob("*.tf"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "checkov:skip=" in line:
                reason = line.split("checkov:skip=", 1)[1].partition(":")[2].strip()
                assert reason, f"{path}:{number} skips a check without a reason"
