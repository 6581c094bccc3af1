# vpc: network of exampleorg/dev in us-east-1: 3 AZs, public and private subnets, one NAT gateway for all AZs.
# Rendered by platformctl from templates/units/vpc.hcl.j2; do not edit.

include "root" {
  path = find_in_parent_folders("root.hcl")
}

locals {
  region = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
}

terraform {
  source = "${get_terragrunt_dir()}/../../../../../modules//vpc"
}

inputs = {
  name               = "exampleorg-dev-vpc"
  cluster_name       = "exampleorg-dev-eks"
  vpc_cidr           = local.region.vpc_cidr
  availability_zones = local.region.availability_zones
  private_subnets    = local.region.private_subnets
  public_subnets     = local.region.public_subnets

  nat_gateways            = "one"
  flow_log_retention_days = 7

  permissions_boundary_policy = "platformctl/github/exampleorg-platform-boundary"
}
