# env.hcl: the account-wide unit of exampleorg (GitHub OIDC provider and roles).
# Rendered by platformctl from templates/account/env.hcl.j2; do not edit.

locals {
  env           = "_account"
  sandbox       = false
  aws_endpoint  = ""
  account_id    = ""
  assume_role   = {}
  backend_extra = {}
}
