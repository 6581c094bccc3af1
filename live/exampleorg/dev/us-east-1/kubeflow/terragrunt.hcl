# kubeflow: Training Operator, NVIDIA GPU operator, optional EFS and FSx for Lustre on exampleorg-dev-eks.
# Rendered by platformctl from templates/units/kubeflow.hcl.j2; do not edit.

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
  source = "${get_terragrunt_dir()}/../../../../../modules//kubeflow"

  # The Training Operator ships as kustomize manifests only: platformctl packages the
  # pinned version as a chart (cached) and puts it where the module reads it.
  before_hook "training_operator_chart" {
    commands = ["plan", "apply", "destroy"]
    execute  = ["platformctl", "chart", "training-operator", "--out", "charts"]
  }
}

dependency "vpc" {
  config_path = "../vpc"

  mock_outputs = {
    vpc_id             = "vpc-00000000000000000"
    private_subnet_ids = ["subnet-00000000000000001", "subnet-00000000000000002", "subnet-00000000000000003"]
  }
  # plan before the dependency is applied; `state list` (destroy counts resources with it)
  # reads no inputs, so mocks change nothing there, and without them it fails.
  mock_outputs_allowed_terraform_commands = ["validate", "plan", "state"]
}

dependency "eks" {
  config_path = "../eks"

  mock_outputs = {
    cluster_name                       = "exampleorg-dev-eks"
    cluster_endpoint                   = "https://mock.eks.invalid"
    cluster_certificate_authority_data = "bW9jaw=="
    node_security_group_id             = "sg-00000000000000000"
  }
  # plan before the dependency is applied; `state list` (destroy counts resources with it)
  # reads no inputs, so mocks change nothing there, and without them it fails.
  mock_outputs_allowed_terraform_commands = ["validate", "plan", "state"]
}

# The mesh comes first so training pods join the ambient mesh from the start.
dependency "mesh" {
  config_path  = "../mesh"
  skip_outputs = true
}

inputs = {
  cluster_name           = dependency.eks.outputs.cluster_name
  region                 = "us-east-1"
  enable_gpu_operator    = local.env.features.gpu_operator
  enable_fsx_lustre      = local.env.features.fsx_lustre
  enable_efs             = local.env.features.efs
  vpc_id                 = dependency.vpc.outputs.vpc_id
  subnet_id              = dependency.vpc.outputs.private_subnet_ids[0]
  private_subnet_ids     = dependency.vpc.outputs.private_subnet_ids
  node_security_group_id = dependency.eks.outputs.node_security_group_id
  fsx_import_bucket      = "exampleorg-dev-training-data-us-east-1"
  fsx_log_retention_days = 7
  system_node_selector   = { "platformctl.io/pool" = "cpu" }

  # The plan role may read helm's release Secrets here (see the mesh unit).
  helm_readers_group = "platformctl:helm-release-readers"
}
