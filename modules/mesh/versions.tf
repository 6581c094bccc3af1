# versions.tf: providers of the mesh module. kubernetes.hcl generates the helm and
# kubernetes provider configuration, root.hcl the required_version.

terraform {
  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
  }
}
