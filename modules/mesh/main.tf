# main.tf: the cluster's platform services, as helm releases, in dependency order:
# the AWS Load Balancer Controller, storage (EBS and EFS CSI drivers where they are not EKS
# add-ons, the default gp3 StorageClass), cert-manager, External DNS, the cluster
# autoscaler, then Istio in ambient mode (base CRDs, istiod, the CNI node agent, ztunnel,
# the istio-ingress gateway, in the order the Istio ambient guide gives), Prometheus and
# Kiali. Charts, versions and values are in chart_values.tf; each controller's AWS rights
# come from the pod identity the eks module gives its service account.

locals {
  r = local.chart_releases

  # Namespaces whose helm releases the plan role must read (helm keeps release state in
  # Secrets there): granted on top of EKS's view policy, nothing else.
  release_namespaces = toset(compact([
    "kube-system",
    var.istio_namespace,
    var.ingress_namespace,
    var.enable_cert_manager ? "cert-manager" : "",
    var.enable_external_dns ? "external-dns" : "",
  ]))
}

# The controller provisions the NLB of the istio-ingress Service (and ALBs of Ingresses).
# It is installed first and, through depends_on, removed last: it must still run while
# the gateway's Service is deleted, or the load balancer outlives the cluster. Its Service
# webhook fails closed (failurePolicy Fail), so every release that creates a Service
# waits for it.
resource "helm_release" "load_balancer_controller" {
  count = var.enable_load_balancer_controller ? 1 : 0

  name       = "aws-load-balancer-controller"
  repository = var.load_balancer_controller_repository
  chart      = local.r.load_balancer_controller.chart
  version    = local.r.load_balancer_controller.version
  namespace  = "kube-system"
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.r.load_balancer_controller.values)]
}

# ------------------------------------------------------------------------ storage

# On EKS the CSI drivers are managed add-ons of the eks unit; where add-ons are off (the
# sandbox) the same drivers come from their charts.
resource "helm_release" "ebs_csi_driver" {
  count = var.enable_csi_charts ? 1 : 0

  name       = "aws-ebs-csi-driver"
  repository = var.ebs_csi_driver_repository
  chart      = local.r.ebs_csi_driver.chart
  version    = local.r.ebs_csi_driver.version
  namespace  = "kube-system"
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.r.ebs_csi_driver.values)]

  depends_on = [helm_release.load_balancer_controller]
}

resource "helm_release" "efs_csi_driver" {
  count = var.enable_csi_charts && var.enable_efs_csi ? 1 : 0

  name       = "aws-efs-csi-driver"
  repository = var.efs_csi_driver_repository
  chart      = local.r.efs_csi_driver.chart
  version    = local.r.efs_csi_driver.version
  namespace  = "kube-system"
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.r.efs_csi_driver.values)]

  depends_on = [helm_release.load_balancer_controller]
}

# The cluster's default StorageClass: encrypted gp3 through the EBS CSI driver, bound where
# the pod lands (a volume lives in one availability zone).
resource "kubernetes_storage_class_v1" "gp3" {
  metadata {
    name = var.storage_class_name
    annotations = {
      "storageclass.kubernetes.io/is-default-class" = "true"
    }
  }
  storage_provisioner    = "ebs.csi.aws.com"
  reclaim_policy         = "Delete"
  volume_binding_mode    = "WaitForFirstConsumer"
  allow_volume_expansion = true
  parameters = {
    type      = "gp3"
    encrypted = "true"
  }

  depends_on = [helm_release.ebs_csi_driver]
}

# ------------------------------------------------------------- DNS and certificates

resource "helm_release" "cert_manager" {
  count = var.enable_cert_manager ? 1 : 0

  name             = "cert-manager"
  repository       = var.cert_manager_repository
  chart            = local.r.cert_manager.chart
  version          = local.r.cert_manager.version
  namespace        = "cert-manager"
  create_namespace = true
  wait             = var.wait
  timeout          = var.timeout_seconds
  values           = [yamlencode(local.r.cert_manager.values)]

  depends_on = [helm_release.load_balancer_controller]
}

resource "helm_release" "external_dns" {
  count = var.enable_external_dns ? 1 : 0

  name             = "external-dns"
  repository       = var.external_dns_repository
  chart            = local.r.external_dns.chart
  version          = local.r.external_dns.version
  namespace        = "external-dns"
  create_namespace = true
  wait             = var.wait
  timeout          = var.timeout_seconds
  values           = [yamlencode(local.r.external_dns.values)]

  lifecycle {
    precondition {
      condition     = var.dns_zone_id != "" && var.dns_domain != ""
      error_message = "External DNS needs the environment's hosted zone: set dns.zone_id and dns.domain in platform.toml."
    }
  }

  depends_on = [helm_release.load_balancer_controller]
}

# ------------------------------------------------------------------ node autoscaling

# Scales every managed node group between its min and max (the GPU group from zero) for
# pending pods; the node-template tags on each group's Auto Scaling group (eks module) tell
# it what a node of an empty group would offer.
resource "helm_release" "cluster_autoscaler" {
  count = var.enable_cluster_autoscaler ? 1 : 0

  name       = "cluster-autoscaler"
  repository = var.cluster_autoscaler_repository
  chart      = local.r.cluster_autoscaler.chart
  version    = local.r.cluster_autoscaler.version
  namespace  = "kube-system"
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.r.cluster_autoscaler.values)]

  depends_on = [helm_release.load_balancer_controller]
}

# --------------------------------------------------------------------------- Istio

resource "helm_release" "istio_base" {
  name             = "istio-base"
  repository       = var.istio_repository
  chart            = local.r.istio_base.chart
  version          = local.r.istio_base.version
  namespace        = var.istio_namespace
  create_namespace = true
  wait             = var.wait
  timeout          = var.timeout_seconds
  values           = [yamlencode(local.r.istio_base.values)]

  depends_on = [helm_release.load_balancer_controller]
}

resource "helm_release" "istiod" {
  name       = "istiod"
  repository = var.istio_repository
  chart      = local.r.istiod.chart
  version    = local.r.istiod.version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.r.istiod.values)]

  depends_on = [helm_release.istio_base]
}

resource "helm_release" "istio_cni" {
  name       = "istio-cni"
  repository = var.istio_repository
  chart      = local.r.istio_cni.chart
  version    = local.r.istio_cni.version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.r.istio_cni.values)]

  depends_on = [helm_release.istiod]
}

resource "helm_release" "ztunnel" {
  name       = "ztunnel"
  repository = var.istio_repository
  chart      = local.r.ztunnel.chart
  version    = local.r.ztunnel.version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.r.ztunnel.values)]

  depends_on = [helm_release.istio_cni]
}

resource "helm_release" "istio_ingress" {
  name             = "istio-ingress"
  repository       = var.istio_repository
  chart            = local.r.istio_ingress.chart
  version          = local.r.istio_ingress.version
  namespace        = var.ingress_namespace
  create_namespace = true
  wait             = var.wait
  timeout          = var.timeout_seconds
  values           = [yamlencode(local.r.istio_ingress.values)]

  depends_on = [helm_release.ztunnel, helm_release.load_balancer_controller, helm_release.external_dns]
}

# ------------------------------------------------------------------ observability

resource "helm_release" "prometheus" {
  count = var.enable_prometheus ? 1 : 0

  name       = "prometheus"
  repository = var.prometheus_repository
  chart      = local.r.prometheus.chart
  version    = local.r.prometheus.version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.r.prometheus.values)]

  depends_on = [helm_release.istiod, kubernetes_storage_class_v1.gp3]
}

resource "helm_release" "kiali" {
  count = var.enable_kiali ? 1 : 0

  name       = "kiali-server"
  repository = var.kiali_repository
  chart      = local.r.kiali.chart
  version    = local.r.kiali.version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.r.kiali.values)]

  depends_on = [helm_release.istiod, helm_release.prometheus]
}

# ------------------------------------------------------- plan role: helm release state

# EKS's view policy does not cover Secrets, where helm keeps release state, so a plan by
# the read-only role would fail "secrets is forbidden". Its access entry puts it in
# var.helm_readers_group (eks module); this grants that group get/list of Secrets in the
# release namespaces and nothing more.
resource "kubernetes_cluster_role_v1" "helm_release_reader" {
  count = var.helm_readers_group == "" ? 0 : 1

  metadata {
    name = "platformctl:helm-release-reader"
  }
  rule {
    api_groups = [""]
    resources  = ["secrets"]
    verbs      = ["get", "list"]
  }
}

resource "kubernetes_role_binding_v1" "helm_release_reader" {
  for_each = var.helm_readers_group == "" ? toset([]) : local.release_namespaces

  metadata {
    name      = "platformctl:helm-release-reader"
    namespace = each.value
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = kubernetes_cluster_role_v1.helm_release_reader[0].metadata[0].name
  }
  subject {
    kind      = "Group"
    name      = var.helm_readers_group
    api_group = "rbac.authorization.k8s.io"
  }

  depends_on = [helm_release.istio_base, helm_release.istio_ingress, helm_release.cert_manager, helm_release.external_dns]
}
