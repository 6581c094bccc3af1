# env.hcl: values of environment "sandbox" for ExampleOrg.
# Rendered by platformctl from templates/env.hcl.j2 and platform.toml; do not edit.

locals {
  env                = "sandbox"
  sandbox            = true
  kubernetes_version = "1.35"
  features = {
    kiali          = true
    prometheus     = true
    gpu_operator   = true
    fsx_lustre     = false
    eks_addons     = false
    access_entries = false
    pod_identity   = false
  }
}
