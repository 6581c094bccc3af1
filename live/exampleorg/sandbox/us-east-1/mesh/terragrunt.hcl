# mesh: Istio ambient (istiod, CNI, ztunnel, istio-ingress), Kiali and Prometheus on exampleorg-sandbox-eks.
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
  enable_kiali      = local.env.features.kiali
  enable_prometheus = local.env.features.prometheus

  ingress_service_type = local.env.ingress_service_type

  # Every chart from one repository (the sandbox's own).
  istio_repository                    = local.env.chart_repository
  kiali_repository                    = local.env.chart_repository
  prometheus_repository               = local.env.chart_repository
  load_balancer_controller_repository = local.env.chart_repository
}
