"""A providerless test stack shaped like the real one, written into a throwaway repo root.

Four units (vpc → eks → {mesh, kubeflow}; mesh and kubeflow are independent of each
other) built on `terraform_data` and outputs, wired with `dependency` blocks with mock
outputs for plan, their state in S3 (a moto server) with `use_lockfile`. The live tree is
rendered by platformctl itself from the stack's own templates/, so `plan-all`'s render
step runs for real. Units read knobs from the environment (`STACK_FAIL_<UNIT>=1` makes a
lifecycle precondition fail, `STACK_SLEEP_<UNIT>=N` makes the first apply hold N seconds,
`STACK_HOLD_<UNIT>=N` makes every plan hold N seconds through a terragrunt hook,
`STACK_DESTROY_SLEEP=N` makes every destroy hold N seconds, holding the state lock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

PLATFORM_TOML = """\
[[environments]]
name = "{env}"
region = "us-east-1"
vpc_cidr = "10.{index}.0.0/16"
azs = 2
sandbox = false

[environments.node_groups.cpu]
instance_types = ["t3.large"]

[environments.node_groups.gpu]
instance_types = ["g4dn.xlarge"]
min_size = 0
"""

ROOT_HCL = """\
# root.hcl: the test stack's shared configuration (S3 state with lock files on moto).
locals {
  org          = {{ org.name | hcl }}
  env          = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals.env
  region       = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals.region
  component    = basename(get_terragrunt_dir())
  aws_endpoint = get_env("PLATFORMCTL_AWS_ENDPOINT", "http://127.0.0.1:5000")
}

remote_state {
  backend      = "s3"
  disable_init = true
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
  config = {
    bucket                      = "terraform-state-${local.org}-${local.region}"
    key                         = "${local.env}/${local.component}/terraform.tfstate"
    region                      = local.region
    use_lockfile                = true
    endpoints                   = { s3 = local.aws_endpoint }
    access_key                  = "testing"
    secret_key                  = "testing"
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_s3_checksum            = true
    use_path_style              = true
  }
}
"""

ENV_HCL = """\
# env.hcl
locals {
  env     = {{ env.name | hcl }}
  sandbox = {{ env.sandbox | hcl }}
}
"""

REGION_HCL = """\
# region.hcl
locals {
  region = {{ env.region | hcl }}
}
"""

KUBERNETES_HCL = """\
# kubernetes.hcl
locals {
  version = {{ env.kubernetes_version | hcl }}
}
"""

UNIT_HCL = """\
# {unit}: a test unit.
include "root" {{
  path = find_in_parent_folders("root.hcl")
}}

terraform {{
  source = "${{get_terragrunt_dir()}}/{{{{ modules_rel }}}}/modules//unit"

  before_hook "hold" {{
    commands = ["plan"]
    execute  = ["sleep", get_env("STACK_HOLD_{upper}", "0")]
  }}
}}
{dependencies}
inputs = {{
  name          = "{unit}"
  upstream      = {upstream}
  fail          = get_env("STACK_FAIL_{upper}", "") != ""
  sleep_seconds = tonumber(get_env("STACK_SLEEP_{upper}", "0"))
  revision      = get_env("STACK_REVISION_{upper}", "1")
}}
"""

DEPENDENCY_HCL = """
dependency "{dep}" {{
  config_path = "../{dep}"

  mock_outputs = {{
    id = "mock-{dep}"
  }}
  mock_outputs_allowed_terraform_commands = ["validate", "plan", "state"]
}}
"""

MODULE_TF = """\
variable "name" {
  type = string
}

variable "upstream" {
  type    = list(string)
  default = []
}

variable "fail" {
  type    = bool
  default = false
}

variable "sleep_seconds" {
  type    = number
  default = 0
}

variable "revision" {
  type    = string
  default = "1"
}

resource "terraform_data" "this" {
  input = "${var.name}[${join(",", var.upstream)}]@${var.revision}"

  lifecycle {
    precondition {
      condition     = !var.fail
      error_message = "The ${var.name} unit is configured to fail (STACK_FAIL_*)."
    }
  }

  provisioner "local-exec" {
    command = "sleep ${var.sleep_seconds}"
  }

  # Destroy-time provisioners may only reference self: the hold comes from the environment.
  provisioner "local-exec" {
    when    = destroy
    command = "sleep $${STACK_DESTROY_SLEEP:-0}"
  }
}

output "id" {
  value = terraform_data.this.output
}
"""

# The shape of the real stack: vpc → eks → {mesh, kubeflow}.
DEFAULT_UNITS: Mapping[str, Sequence[str]] = {
    "vpc": (),
    "eks": ("vpc",),
    "mesh": ("eks",),
    "kubeflow": ("eks",),
}


def unit_template(unit: str, deps: Sequence[str]) -> str:
    blocks = "".join(DEPENDENCY_HCL.format(dep=dep) for dep in deps)
    upstream = "[" + ", ".join(f"dependency.{dep}.outputs.id" for dep in deps) + "]"
    return UNIT_HCL.format(unit=unit, upper=unit.upper(), dependencies=blocks, upstream=upstream)


def write_stack(
    root: Path,
    *,
    envs: Sequence[str] = ("sandbox",),
    units: Mapping[str, Sequence[str]] = DEFAULT_UNITS,
) -> Path:
    """Write the repo root (platform.toml, templates/, modules/unit) and return it."""
    files: dict[str, str] = {
        "platform.toml": "\n".join(
            PLATFORM_TOML.format(env=env, index=i) for i, env in enumerate(envs)
        ),
        "templates/root.hcl.j2": ROOT_HCL,
        "templates/env.hcl.j2": ENV_HCL,
        "templates/region.hcl.j2": REGION_HCL,
        "templates/kubernetes.hcl.j2": KUBERNETES_HCL,
        "modules/unit/main.tf": MODULE_TF,
        ".tool-versions": "opentofu 1.11.6\nterragrunt 1.1.3\n",
    }
    for unit, deps in units.items():
        files[f"templates/units/{unit}.hcl.j2"] = unit_template(unit, deps)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
