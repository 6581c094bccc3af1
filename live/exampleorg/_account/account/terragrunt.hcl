# account: GitHub OIDC provider, deploy and plan roles for ExampleOrg/platform. Applied once per AWS account.
# Rendered by platformctl from templates/account/account.hcl.j2; do not edit.

include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = "${get_terragrunt_dir()}/../../../../modules//account"
}

inputs = {
  org               = "exampleorg"
  github_repository = "ExampleOrg/platform"
  environments      = ["dev"]
  regions           = ["us-east-1"]
}
