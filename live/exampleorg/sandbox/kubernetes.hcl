# kubernetes.hcl: kubernetes and helm providers for units that run on cluster exampleorg-sandbox-eks.
# Rendered by platformctl from templates/kubernetes.hcl.j2; do not edit.
# In the sandbox they use the kubeconfig of the local control plane; on AWS they reach the
# cluster through the outputs of the including unit's `dependency "eks"` with a short-lived
# token (no static credentials in files). Before the cluster exists, a plan runs against
# that dependency's mock outputs (and platformctl flags it as such); apply never does.

locals {
  k8s_env    = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  k8s_region = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals.region
  kubeconfig = get_env("PLATFORMCTL_KUBECONFIG", "")
  cluster    = "exampleorg-sandbox-eks"
}

generate "kubernetes_providers" {
  path      = "kubernetes_providers.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-PROVIDERS
  %{if local.k8s_env.sandbox~}
    provider "kubernetes" {
      config_path = "${local.kubeconfig}"
    }
    provider "helm" {
      kubernetes = {
        config_path = "${local.kubeconfig}"
      }
    }
  %{else~}
    provider "kubernetes" {
      host                   = "${dependency.eks.outputs.cluster_endpoint}"
      cluster_ca_certificate = base64decode("${dependency.eks.outputs.cluster_certificate_authority_data}")
      exec {
        api_version = "client.authentication.k8s.io/v1beta1"
        command     = "platformctl"
        args        = ["eks-token", "--cluster", "${local.cluster}", "--region", "${local.k8s_region}"]
      }
    }
    provider "helm" {
      kubernetes = {
        host                   = "${dependency.eks.outputs.cluster_endpoint}"
        cluster_ca_certificate = base64decode("${dependency.eks.outputs.cluster_certificate_authority_data}")
        exec = {
          api_version = "client.authentication.k8s.io/v1beta1"
          command     = "platformctl"
          args        = ["eks-token", "--cluster", "${local.cluster}", "--region", "${local.k8s_region}"]
        }
      }
    }
  %{endif~}
  PROVIDERS
}
