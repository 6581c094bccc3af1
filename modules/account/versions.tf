# account: the one-time bootstrap of an AWS account for GitOps (GitHub OIDC provider,
# deploy role, plan role). Applied once per account with administrator credentials.

terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.46, < 7.0"
    }
  }
}
