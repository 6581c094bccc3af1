"""Counts read in-process from a saved plan equal the counts of `tofu show -json` (real tofu)."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from platformctl.run.planfile import PlanFileError, count_plan, decode_actions, read_counts
from platformctl.run.planreport import PlanCounts, count_actions
from platformctl.toolchain.locate import tool_path

REPO = Path(__file__).resolve().parents[2]

# Every kind of change, with rev=1 applied and rev=2 planned: no-op, in-place update,
# delete-then-create and create-then-delete replacements, destroy, create, a data source
# read during apply, and data sources (one in a module) removed from the configuration.
MAIN_TF = """
variable "rev" {
  type = string
}

resource "terraform_data" "keep" {
  input = "same"
}

resource "terraform_data" "update" {
  input = var.rev
}

resource "terraform_data" "replace" {
  triggers_replace = var.rev
}

resource "terraform_data" "create_before_destroy" {
  triggers_replace = var.rev
  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "gone" {
  count = var.rev == "1" ? 1 : 0
}

resource "terraform_data" "new" {
  count = var.rev == "1" ? 0 : 2
  input = "new-${count.index}"
}

data "terraform_remote_state" "old" {
  count   = var.rev == "1" ? 1 : 0
  backend = "local"
  config  = { path = "${path.module}/other.tfstate" }
}

data "terraform_remote_state" "later" {
  count   = var.rev == "1" ? 0 : 1
  backend = "local"
  config  = { path = terraform_data.new[0].output == "" ? "x" : "${path.module}/other.tfstate" }
}

module "inner" {
  source = "./inner"
  on     = var.rev == "1"
}

output "rev" {
  value = var.rev
}
"""

INNER_TF = """
variable "on" {
  type = bool
}

data "terraform_remote_state" "here" {
  count   = var.on ? 1 : 0
  backend = "local"
  config  = { path = "${path.root}/other.tfstate" }
}
"""

OTHER_STATE = {
    "version": 4,
    "terraform_version": "1.11.6",
    "serial": 1,
    "lineage": "7d1c0e3e-0000-4000-8000-000000000000",
    "outputs": {"x": {"value": "y", "type": "string"}},
    "resources": [],
}


def _tofu() -> Path:
    try:
        return tool_path(REPO, "opentofu")
    except Exception:
        pytest.skip("OpenTofu is not installed (platformctl tools install)")


def _run(tofu: Path, cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [str(tofu), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _shown(tofu: Path, cwd: Path, plan: Path) -> PlanCounts:
    return count_actions(json.loads(_run(tofu, cwd, "show", "-json", str(plan))))


@pytest.mark.real
def test_plan_file_counts_equal_tofu_show_json(tmp_path: Path) -> None:
    tofu = _tofu()
    (tmp_path / "main.tf").write_text(MAIN_TF)
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "main.tf").write_text(INNER_TF)
    (tmp_path / "other.tfstate").write_text(json.dumps(OTHER_STATE))
    _run(tofu, tmp_path, "init", "-input=false", "-no-color")
    _run(tofu, tmp_path, "apply", "-auto-approve", "-input=false", "-no-color", "-var", "rev=1")

    plan = tmp_path / "change.tfplan"
    _run(tofu, tmp_path, "plan", "-input=false", "-no-color", "-var", "rev=2", f"-out={plan}")
    counts = read_counts(plan)
    assert counts == _shown(tofu, tmp_path, plan)
    assert counts == PlanCounts(add=2, change=1, replace=2, destroy=1, outputs_change=True)
    resources, _ = decode_actions(zipfile.ZipFile(plan).read("tfplan"))
    actions = dict(resources)
    assert actions["terraform_data.replace"] == ("delete", "create")
    assert actions["terraform_data.create_before_destroy"] == ("create", "delete")
    assert actions["data.terraform_remote_state.later[0]"] == ("read",)
    assert "terraform_data.keep" in actions and "terraform_data.gone[0]" in actions

    same = tmp_path / "same.tfplan"
    _run(tofu, tmp_path, "plan", "-input=false", "-no-color", "-var", "rev=1", f"-out={same}")
    assert read_counts(same) == _shown(tofu, tmp_path, same)
    assert not read_counts(same).has_changes

    gone = tmp_path / "destroy.tfplan"
    _run(
        tofu, tmp_path, "plan", "-destroy", "-input=false", "-no-color", "-var", "rev=1",
        f"-out={gone}",
    )  # fmt: skip
    assert read_counts(gone) == _shown(tofu, tmp_path, gone)
    assert read_counts(gone).destroy == 5


def _message(*fields: tuple[int, int | bytes]) -> bytes:
    """A protobuf message of varint and length-delimited fields (numbers and lengths < 128)."""
    out = b""
    for number, value in fields:
        if isinstance(value, int):
            out += bytes([number << 3, value])
        else:
            out += bytes([number << 3 | 2, len(value)]) + value
    return out


def test_data_source_state_clean_up_is_not_a_destroy() -> None:
    # `tofu show -json` leaves out the delete of a data source (jsonplan.MarshalResourceChanges).
    def change(addr: str, action: int) -> tuple[int, bytes]:
        return (3, _message((13, addr.encode()), (9, _message((1, action)))))

    plan = _message(
        (1, 3),
        change('module.m["a.b"].data.aws_ami.x', 5),
        change("data.aws_ami.y", 5),
        change("module.data.aws_vpc.z", 5),  # a module named "data": a managed resource
        (3, _message((13, b"aws_vpc.w"), (9, b""))),  # no-op: proto3 leaves the action out
        (4, _message((1, b"id"), (2, _message()))),  # an unchanged output
    )
    assert count_plan(plan) == PlanCounts(destroy=1)


def test_unreadable_plan_files_raise(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError):
        read_counts(tmp_path / "missing.tfplan")
    (tmp_path / "not-a-zip").write_bytes(b"encrypted payload")
    with pytest.raises(PlanFileError):
        read_counts(tmp_path / "not-a-zip")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("tfplan", bytes([0x08, 0x02]))  # version 2
    with pytest.raises(PlanFileError, match="format version 2"):
        read_counts(tmp_path / "other.zip")
    with pytest.raises(PlanFileError):
        count_plan(bytes([0x1A, 0x05, 0x01]))  # a field longer than the message
