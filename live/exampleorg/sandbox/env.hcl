# env.hcl: values of environment "sandbox" for exampleorg.
# Rendered by platformctl from templates/env.hcl.j2 and platform.toml; do not edit.

locals {
  env                = "sandbox"
  sandbox            = true
  kubernetes_version = "1.35"

  # The local AWS emulator (`platformctl sandbox up`); its credentials are fake.
  aws_endpoint = get_env("PLATFORMCTL_AWS_ENDPOINT", "http://127.0.0.1:5000")
  account_id   = ""
  assume_role  = {}
  backend_extra = {
    endpoints                   = { s3 = local.aws_endpoint, sts = local.aws_endpoint }
    access_key                  = "sandbox"
    secret_key                  = "sandbox"
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_s3_checksum            = true
    use_path_style              = true
  }

  # Every chart comes from the sandbox's own chart repository on 127.0.0.1, which serves
  # the offline charts (`platformctl sandbox up`).
  chart_repository = get_env("PLATFORMCTL_CHART_REPOSITORY", "")
  # No cloud load balancer exists here: the istio-ingress gateway is a ClusterIP Service.
  ingress_service_type = "ClusterIP"

  features = {
    kiali          = true
    prometheus     = true
    gpu_operator   = true
    fsx_lustre     = false
    eks_addons     = false
    access_entries = false
    pod_identity   = false

    # Cluster services: EFS storage, cert-manager, the cluster autoscaler.
    efs                = false
    cert_manager       = true
    cluster_autoscaler = true
  }
}
