# tflint configuration for modules/. The AWS ruleset is a plugin that `tflint --init`
# downloads where GitHub is reachable (as the workflows do); no package registry serves it.
# Where it is not installed, platformctl's checks run tflint's core rules only, and
# `platformctl doctor` says so.
config {
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

plugin "aws" {
  enabled = true
  source  = "github.com/terraform-linters/tflint-ruleset-aws"
  version = "0.48.0"
  # Deep checking calls AWS APIs; the modules are linted offline.
  deep_check = false
}

# The modules leave required_version to the root configuration that terragrunt generates
# (versions_root.tf), so one OpenTofu constraint applies to every unit.
rule "terraform_required_version" {
  enabled = false
}
