# main.tf: the kubeflow namespace (in the Istio ambient mesh), the Kubeflow Training
# Operator and the NVIDIA GPU operator.
#
# The Training Operator v1 (the API of the kubeflow-training SDK) has no upstream helm
# chart; upstream installs it with `kubectl apply --server-side -k
# manifests/overlays/standalone`. `platformctl chart training-operator` packages exactly
# those objects (minus the Namespace, which this module owns) as a chart, and the unit's
# terragrunt hook puts it at ./charts/ before every plan, apply and destroy. As one helm
# release its six ~600 KB CRDs stay out of the state, and plans stay fast.

locals {
  namespace = "kubeflow"
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
}

resource "helm_release" "training_operator" {
  count = var.enable_training_operator ? 1 : 0

  name      = "training-operator"
  chart     = var.training_operator_chart
  namespace = kubernetes_namespace_v1.kubeflow.metadata[0].name
  wait      = var.wait
  timeout   = var.timeout_seconds

  lifecycle {
    precondition {
      condition     = fileexists(var.training_operator_chart)
      error_message = "The Training Operator chart ${var.training_operator_chart} is missing: the unit's hook runs `platformctl chart training-operator --out charts` (or set enable_training_operator = false)."
    }
  }
}

# The EKS NVIDIA AMIs ship the driver and the container toolkit (Bottlerocket's also the
# device plugin), so the operator runs feature discovery, the DCGM exporter and, where the
# OS has none, the device plugin.
resource "helm_release" "gpu_operator" {
  count = var.enable_gpu_operator ? 1 : 0

  name             = "gpu-operator"
  repository       = var.gpu_operator_repository
  chart            = "gpu-operator"
  version          = var.gpu_operator_version
  namespace        = var.gpu_operator_namespace
  create_namespace = true
  wait             = var.wait
  timeout          = var.timeout_seconds

  set = [
    { name = "driver.enabled", value = "false" },
    { name = "toolkit.enabled", value = "false" },
    { name = "dcgmExporter.enabled", value = "true" },
    { name = "devicePlugin.enabled", value = tostring(var.gpu_operator_device_plugin) },
  ]
}
