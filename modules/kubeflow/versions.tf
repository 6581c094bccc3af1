# versions.tf: providers of the kubeflow module. kubernetes.hcl generates the helm and
# kubernetes provider configuration, root.hcl the aws provider and required_version.

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
