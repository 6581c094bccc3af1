# versions.tf: providers of the vpc module. The root (live/root.hcl) generates the
# provider configuration (region, default_tags) and required_version.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.46, < 7.0"
    }
  }
}
