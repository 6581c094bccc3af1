# main.tf: Istio in ambient mode (base CRDs, istiod, the CNI node agent, ztunnel) and the
# istio-ingress gateway, then Kiali and Prometheus, all as helm releases from the
# upstream chart repositories, installed in the order the Istio ambient guide gives.

locals {
  prometheus_url = "http://prometheus-server.${var.istio_namespace}.svc:80"
}

resource "helm_release" "istio_base" {
  name             = "istio-base"
  repository       = var.istio_repository
  chart            = "base"
  version          = var.istio_version
  namespace        = var.istio_namespace
  create_namespace = true
  wait             = var.wait
  timeout          = var.timeout_seconds
}

resource "helm_release" "istiod" {
  name       = "istiod"
  repository = var.istio_repository
  chart      = "istiod"
  version    = var.istio_version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds

  set = [
    { name = "profile", value = "ambient" },
    { name = "global.multiCluster.clusterName", value = var.cluster_name },
  ]

  depends_on = [helm_release.istio_base]
}

resource "helm_release" "istio_cni" {
  name       = "istio-cni"
  repository = var.istio_repository
  chart      = "cni"
  version    = var.istio_version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds

  set = [
    { name = "profile", value = "ambient" },
  ]

  depends_on = [helm_release.istiod]
}

resource "helm_release" "ztunnel" {
  name       = "ztunnel"
  repository = var.istio_repository
  chart      = "ztunnel"
  version    = var.istio_version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds

  set = [
    { name = "multiCluster.clusterName", value = var.cluster_name },
  ]

  depends_on = [helm_release.istio_cni]
}

resource "helm_release" "istio_ingress" {
  name             = "istio-ingress"
  repository       = var.istio_repository
  chart            = "gateway"
  version          = var.istio_version
  namespace        = var.ingress_namespace
  create_namespace = true
  wait             = var.wait
  timeout          = var.timeout_seconds

  values = [yamlencode({
    service = {
      type        = "LoadBalancer"
      annotations = var.ingress_service_annotations
    }
  })]

  depends_on = [helm_release.ztunnel]
}

resource "helm_release" "prometheus" {
  count = var.enable_prometheus ? 1 : 0

  name       = "prometheus"
  repository = var.prometheus_repository
  chart      = "prometheus"
  version    = var.prometheus_version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds

  # The mesh needs the server (scraping istiod, ztunnel and the gateways through
  # pod annotations); the chart's extra exporters stay off.
  values = [yamlencode({
    alertmanager               = { enabled = false }
    "prometheus-pushgateway"   = { enabled = false }
    "kube-state-metrics"       = { enabled = false }
    "prometheus-node-exporter" = { enabled = false }
    server = {
      persistentVolume = { enabled = false }
      retention        = "6h"
    }
  })]

  depends_on = [helm_release.istiod]
}

resource "helm_release" "kiali" {
  count = var.enable_kiali ? 1 : 0

  name       = "kiali-server"
  repository = var.kiali_repository
  chart      = "kiali-server"
  version    = var.kiali_version
  namespace  = var.istio_namespace
  wait       = var.wait
  timeout    = var.timeout_seconds

  values = [yamlencode({
    auth = { strategy = "token" }
    external_services = {
      prometheus = var.enable_prometheus ? { url = local.prometheus_url } : null
      istio      = { root_namespace = var.istio_namespace }
    }
    server = { web_root = "/kiali" }
    deployment = {
      cluster_wide_access = true
    }
    istio_namespace = var.istio_namespace
    kubernetes_config = {
      cluster_name = var.cluster_name
    }
  })]

  depends_on = [helm_release.istiod, helm_release.prometheus]
}
