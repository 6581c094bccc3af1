# region.hcl: where the account unit keeps its state (us-east-1, the first environment's region).
# Rendered by platformctl from templates/account/region.hcl.j2; do not edit.

locals {
  region = "us-east-1"
}
