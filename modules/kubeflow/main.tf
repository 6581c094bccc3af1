# main.tf: the kubeflow namespace, the Kubeflow Training Operator and the NVIDIA GPU
# operator.
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
    # Training pods stay out of the ambient data plane unless asked: multi-node traffic
    # (NCCL, Gloo) through ztunnel costs bandwidth and latency and gains little.
    labels = merge(
      {
        "app.kubernetes.io/managed-by" = "platformctl"
        "platformctl.io/cluster"       = var.cluster_name
      },
      var.training_in_mesh ? { "istio.io/dataplane-mode" = "ambient" } : {},
    )
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

resource "helm_release" "gpu_operator" {
  count = var.enable_gpu_operator ? 1 : 0

  name             = "gpu-operator"
  repository       = var.gpu_operator_repository
  chart            = local.chart_releases.gpu_operator.chart
  version          = local.chart_releases.gpu_operator.version
  namespace        = var.gpu_operator_namespace
  create_namespace = true
  wait             = var.wait
  timeout          = var.timeout_seconds
  values           = [yamlencode(local.chart_releases.gpu_operator.values)]
}

# The plan role reads helm's release Secrets here too (see the mesh module).
resource "kubernetes_role_binding_v1" "helm_release_reader" {
  for_each = var.helm_readers_group == "" ? toset([]) : toset(compact([
    local.namespace,
    var.enable_gpu_operator ? var.gpu_operator_namespace : "",
  ]))

  metadata {
    name      = "platformctl:helm-release-reader"
    namespace = each.value
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "platformctl:helm-release-reader"
  }
  subject {
    kind      = "Group"
    name      = var.helm_readers_group
    api_group = "rbac.authorization.k8s.io"
  }

  depends_on = [kubernetes_namespace_v1.kubeflow, helm_release.gpu_operator]
}
