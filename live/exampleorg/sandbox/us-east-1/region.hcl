# region.hcl: network of "sandbox" in us-east-1 for exampleorg.
# Rendered by platformctl from templates/region.hcl.j2 and platform.toml; do not edit.

locals {
  region             = "us-east-1"
  vpc_cidr           = "10.1.0.0/16"
  availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
  private_subnets    = ["10.1.0.0/19", "10.1.32.0/19", "10.1.64.0/19"]
  public_subnets     = ["10.1.224.0/22", "10.1.228.0/22", "10.1.232.0/22"]
}
