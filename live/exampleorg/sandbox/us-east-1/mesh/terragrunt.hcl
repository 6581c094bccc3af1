# mesh: platform services on exampleorg-sandbox-eks: load balancer controller, storage, cert-manager,
# External DNS, cluster autoscaler, Istio ambient (istiod, CNI, ztunnel, istio-ingress), Kiali, Prometheus.
# Rendered by platformctl from templates/units/mesh.hcl.j2; do not edit.

include "root" {
  path = find_in_parent_folders("root.hcl")
}

include "kubernetes" {
  path = find_in_parent_folders("kubernetes.hcl")
}

locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  source = "${get_terragrunt_dir()}/../../../../../modules//mesh"
}

dependency "eks" {
  config_path = "../eks"

  mock_outputs = {
    cluster_name                       = "exampleorg-sandbox-eks"
    cluster_endpoint                   = "https://mock.eks.invalid"
    cluster_certificate_authority_data = "bW9jaw=="
    vpc_id                             = "vpc-00000000000000000"
  }
  # plan before the dependency is applied; `state list` (destroy counts resources with it)
  # reads no inputs, so mocks change nothing there, and without them it fails.
  mock_outputs_allowed_terraform_commands = ["validate", "plan", "state"]
}

inputs = {
  cluster_name      = dependency.eks.outputs.cluster_name
  vpc_id            = dependency.eks.outputs.vpc_id
  region            = "us-east-1"
  enable_kiali      = local.env.features.kiali
  enable_prometheus = local.env.features.prometheus

  # The platform's controllers run on the CPU group (the GPU group is tainted, and at zero).
  system_node_selector = { "platformctl.io/pool" = "cpu" }

  ingress_service_type = local.env.ingress_service_type

  # Storage: the EBS and EFS CSI drivers are EKS add-ons of the eks unit where add-ons are
  # on; otherwise their charts are installed here.
  enable_csi_charts = true
  enable_efs_csi    = local.env.features.efs

  enable_cert_manager       = local.env.features.cert_manager
  enable_cluster_autoscaler = local.env.features.cluster_autoscaler

  # The sandbox's fake nodes attach no volumes: Prometheus keeps its data on the pod.
  prometheus_volume_size = ""

  # Every chart from one repository (the sandbox's own).
  istio_repository                    = local.env.chart_repository
  kiali_repository                    = local.env.chart_repository
  prometheus_repository               = local.env.chart_repository
  load_balancer_controller_repository = local.env.chart_repository
  ebs_csi_driver_repository           = local.env.chart_repository
  efs_csi_driver_repository           = local.env.chart_repository
  cert_manager_repository             = local.env.chart_repository
  external_dns_repository             = local.env.chart_repository
  cluster_autoscaler_repository       = local.env.chart_repository
}
