# versions.tf: providers of the mesh module. kubernetes.hcl generates the helm and
# kubernetes provider configuration (and, outside the sandbox, reads the cluster through
# the aws provider), root.hcl the aws provider and required_version.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.46, < 7.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = ">= 3.0, < 4.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 3.0, < 4.0"
    }
  }
}
