# eks: cluster exampleorg-dev-eks with a CPU and a GPU managed node group.
# Rendered by platformctl from templates/units/eks.hcl.j2; do not edit.

include "root" {
  path = find_in_parent_folders("root.hcl")
}

locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  source = "${get_terragrunt_dir()}/../../../../../modules//eks"
}

dependency "vpc" {
  config_path = "../vpc"

  # Mock outputs let a first plan run before the VPC exists; never used by apply.
  mock_outputs = {
    vpc_id             = "vpc-00000000000000000"
    private_subnet_ids = ["subnet-00000000000000001", "subnet-00000000000000002", "subnet-00000000000000003"]
    public_subnet_ids  = ["subnet-00000000000000004", "subnet-00000000000000005", "subnet-00000000000000006"]
  }
  # plan before the dependency is applied; `state list` (destroy counts resources with it)
  # reads no inputs, so mocks change nothing there, and without them it fails.
  mock_outputs_allowed_terraform_commands = ["validate", "plan", "state"]
}

inputs = {
  cluster_name       = "exampleorg-dev-eks"
  kubernetes_version = local.env.kubernetes_version
  vpc_id             = dependency.vpc.outputs.vpc_id
  private_subnet_ids = dependency.vpc.outputs.private_subnet_ids
  public_subnet_ids  = dependency.vpc.outputs.public_subnet_ids

  enable_addons         = local.env.features.eks_addons
  enable_access_entries = local.env.features.access_entries
  enable_pod_identity   = local.env.features.pod_identity

  enable_efs_csi_driver     = local.env.features.efs
  enable_cluster_autoscaler = local.env.features.cluster_autoscaler

  # No Route 53 zone in platform.toml: External DNS is off, and cert-manager needs no AWS
  # access (no DNS-01 challenges).
  enable_external_dns = false
  enable_cert_manager = false

  # The Kubernetes API on the private endpoint and on the public one for these source
  # addresses (platform.toml endpoint.public_cidrs).
  endpoint_private_only        = false
  endpoint_public_access_cidrs = ["0.0.0.0/0"]

  log_retention_days = 7

  permissions_boundary_policy = "platformctl/github/exampleorg-platform-boundary"

  # The GitOps roles of the account unit (live/<org>/_account/account) reach the cluster
  # through access entries: deploy as cluster admin (it applies mesh and kubeflow), plan
  # read-only (pull-request and drift plans): the view policy, and the group the mesh and
  # kubeflow units let read helm's release Secrets. With them listed, the creator gets no
  # implicit entry of its own (it would exist twice when the deploy role creates it).
  deployer_role_names             = ["platformctl/github/exampleorg-github-deploy"]
  viewer_role_names               = ["platformctl/github/exampleorg-github-plan"]
  viewer_kubernetes_groups        = ["platformctl:helm-release-readers"]
  bootstrap_cluster_creator_admin = false

  node_groups = {
    cpu = {
      instance_types = ["t3.large"]
      ami_type       = "AL2023_x86_64_STANDARD"
      disk_size_gb   = 50
      min_size       = 1
      desired_size   = 2
      max_size       = 4
      gpus           = 0
      labels         = { "platformctl.io/pool" = "cpu" }
      taints = [
      ]
    }
    gpu = {
      instance_types = ["g4dn.xlarge"]
      ami_type       = "CUSTOM"
      disk_size_gb   = 100
      min_size       = 0
      desired_size   = 0
      max_size       = 2
      gpus           = 1
      labels         = { "nvidia.com/gpu.present" = "true", "platformctl.io/pool" = "gpu" }
      taints = [
        { key = "nvidia.com/gpu", value = "true", effect = "NO_SCHEDULE" },
      ]

      # ubuntu-24.04: the publisher's current image for Kubernetes 1.35.
      image_ssm_parameter = "/aws/service/canonical/ubuntu/eks/24.04/1.35/stable/current/amd64/hvm/ebs-gp3/ami-id"
    }
  }
}

# The EKS support policy of the cluster version (platform.toml support_type). upgrade_policy
# needs AWS provider 5.61 or later, the eks module only 5.46: this override file adds both
# the argument and the newer provider, for this unit only.
generate "upgrade_policy" {
  path      = "upgrade_policy_override.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-OVERRIDE
    terraform {
      required_providers {
        aws = {
          source  = "hashicorp/aws"
          version = ">= 5.61, < 7.0"
        }
      }
    }

    resource "aws_eks_cluster" "this" {
      upgrade_policy {
        support_type = "STANDARD"
      }
    }
  OVERRIDE
}
