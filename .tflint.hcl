# tflint configuration for modules/. The AWS ruleset (plugin "aws") is enabled where its
# binary is installed as tflint-ruleset-aws in the plugin dir; see docs/toolchain.md.
config {
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

# The modules leave required_version to the root configuration that terragrunt generates
# (versions_root.tf), so one OpenTofu constraint applies to every unit.
rule "terraform_required_version" {
  enabled = false
}
