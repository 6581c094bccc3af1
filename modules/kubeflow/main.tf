# main.tf: the kubeflow namespace (in the Istio ambient mesh), the Kubeflow Training
# Operator and the NVIDIA GPU operator.
#
# The Training Operator v1 (the API of the kubeflow-training SDK) has no upstream helm
# chart; upstream installs it with `kubectl apply --server-side -k
# manifests/overlays/standalone`. The module applies those manifests, rendered to one
# file (see README.md), with kubernetes_manifest: the exact upstream objects, applied
# server-side, one resource per object so a plan shows what changes. Its Namespace
# object is left out: the module owns the namespace.

locals {
  namespace = "kubeflow"

  training_operator_file = coalesce(var.training_operator_manifest_file, "${path.module}/manifests/training-operator.yaml")
  training_operator_text = var.enable_training_operator && fileexists(local.training_operator_file) ? file(local.training_operator_file) : ""
  training_operator_objects = [
    for doc in split("\n---", local.training_operator_text) : yamldecode(doc)
    if trimspace(replace(doc, "/(?m)^#.*$/", "")) != ""
  ]
  training_operator_manifests = {
    for obj in local.training_operator_objects :
    "${obj.kind}/${try(obj.metadata.namespace, "")}/${obj.metadata.name}" => obj
    if obj != null && obj.kind != "Namespace"
  }
}

resource "kubernetes_namespace_v1" "kubeflow" {
  metadata {
    name = local.namespace
    labels = {
      # Training pods join the ambient mesh (mTLS between workers, no sidecars).
      "istio.io/dataplane-mode"      = "ambient"
      "app.kubernetes.io/managed-by" = "platformctl"
      "platformctl.io/cluster"       = var.cluster_name
    }
  }

  lifecycle {
    precondition {
      condition     = !var.enable_training_operator || fileexists(local.training_operator_file)
      error_message = "The Training Operator manifests are missing: render them with `kubectl kustomize \"github.com/kubeflow/training-operator.git/manifests/overlays/standalone?ref=v1.9.2\" > modules/kubeflow/manifests/training-operator.yaml` (or set training_operator_manifest_file, or enable_training_operator = false)."
    }
  }
}

resource "kubernetes_manifest" "training_operator" {
  for_each = local.training_operator_manifests

  manifest = each.value

  field_manager {
    name            = "platformctl"
    force_conflicts = true
  }

  depends_on = [kubernetes_namespace_v1.kubeflow]
}

# The EKS AL2023 NVIDIA AMI ships the driver and the container toolkit, so the operator
# only runs the device plugin, feature discovery and the DCGM exporter.
resource "helm_release" "gpu_operator" {
  count = var.enable_gpu_operator ? 1 : 0

  name             = "gpu-operator"
  repository       = var.gpu_operator_repository
  chart            = "gpu-operator"
  version          = var.gpu_operator_version
  namespace        = var.gpu_operator_namespace
  create_namespace = true
  wait             = var.wait
  timeout          = 900

  set = [
    { name = "driver.enabled", value = "false" },
    { name = "toolkit.enabled", value = "false" },
    { name = "dcgmExporter.enabled", value = "true" },
  ]
}
