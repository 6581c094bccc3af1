"""terragrunt drives the cached OpenTofu through init/plan/apply on a providerless unit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.locate import tool_path
from tests.conftest import REPO

pytestmark = pytest.mark.real

UNIT = """\
terraform {
  source = "${get_terragrunt_dir()}/module"
}

remote_state {
  backend = "local"
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite"
  }
  config = {
    path = "${get_terragrunt_dir()}/state/terraform.tfstate"
  }
}

inputs = {
  greeting = "hello"
}
"""

MODULE = """\
variable "greeting" {
  type = string
}

resource "terraform_data" "marker" {
  input = var.greeting
}

output "message" {
  value = "${terraform_data.marker.output} from tofu"
}
"""


def test_terragrunt_drives_tofu_init_plan_apply(tmp_path: Path) -> None:
    try:
        terragrunt = tool_path(REPO, "terragrunt")
        tofu = tool_path(REPO, "opentofu")
    except ToolNotFoundError as exc:
        pytest.skip(f"NOT INSTALLED: {exc.message}")
    unit = tmp_path / "unit"
    (unit / "module").mkdir(parents=True)
    (unit / "terragrunt.hcl").write_text(UNIT)
    (unit / "module" / "main.tf").write_text(MODULE)
    env = {
        "TG_TF_PATH": str(tofu),
        "TG_NON_INTERACTIVE": "true",
        "TG_DOWNLOAD_DIR": str(tmp_path / "tg-cache"),
        "TF_IN_AUTOMATION": "1",
        "TF_CLI_CONFIG_FILE": str(tmp_path / "none.tfrc"),
        "TG_NO_COLOR": "true",
    }
    (tmp_path / "none.tfrc").write_text("")

    def tg(*args: str) -> str:
        done = proc.run([terragrunt, *args], cwd=unit, env=env, timeout=180)
        return done.stdout + done.stderr

    tg("init")
    plan = tg("plan", "-no-color", "-out=plan.tfplan")
    assert "1 to add, 0 to change, 0 to destroy" in plan
    tg("apply", "-no-color", "-auto-approve")
    outputs = json.loads(
        proc.run([terragrunt, "output", "-json"], cwd=unit, env=env, timeout=120).stdout
    )
    assert outputs["message"]["value"] == "hello from tofu"
    state = json.loads((unit / "state" / "terraform.tfstate").read_text())
    assert [r["type"] for r in state["resources"]] == ["terraform_data"]
    assert "No changes" in tg("plan", "-no-color")
