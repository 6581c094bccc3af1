# env.hcl: values of environment "dev" for exampleorg.
# Rendered by platformctl from templates/env.hcl.j2 and platform.toml; do not edit.

locals {
  env                = "dev"
  sandbox            = false
  kubernetes_version = "1.35"
  aws_endpoint       = ""
  # The account of the caller's credentials (platform.toml names no account_id).
  account_id    = ""
  assume_role   = {}
  backend_extra = {}

  ingress_service_type = "LoadBalancer"

  features = {
    kiali          = true
    prometheus     = true
    gpu_operator   = true
    fsx_lustre     = false
    eks_addons     = true
    access_entries = true
    pod_identity   = true

    # Cluster services: EFS storage, cert-manager, the cluster autoscaler.
    efs                = false
    cert_manager       = true
    cluster_autoscaler = true
  }
}
