# tflint configuration for modules/. The AWS ruleset runs from its plugin directory:
# `tflint --init` downloads it where GitHub is reachable; `platformctl tools install
# --offline-dir DIR` builds it from source into ~/.cache/platformctl/tflint-plugins (point
# TFLINT_PLUGIN_DIR there). Its version must equal the tflint-ruleset-aws pin in
# .tool-versions (a test checks).
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
