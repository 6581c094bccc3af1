# main.tf: the AWS Load Balancer Controller, Istio in ambient mode (base CRDs, istiod, the
# CNI node agent, ztunnel) and the istio-ingress gateway, then Kiali and Prometheus, all as
# helm releases, installed in the order the Istio ambient guide gives.

data "aws_region" "current" {}

locals {
  prometheus_url = "http://prometheus-server.${var.istio_namespace}.svc:80"
}

# The controller provisions the NLB of the istio-ingress Service (and ALBs of Ingresses).
# It is installed first and, through depends_on, removed last: it must still run while
# the gateway's Service is deleted, or the load balancer outlives the cluster. Pods cannot
# read instance metadata (hop limit 1), so region and VPC are given; its AWS rights come
# from the pod identity the eks module gives its service account.
resource "helm_release" "load_balancer_controller" {
  count = var.enable_load_balancer_controller ? 1 : 0

  name       = "aws-load-balancer-controller"
  repository = var.load_balancer_controller_repository
  chart      = "aws-load-balancer-controller"
  version    = var.load_balancer_controller_version
  namespace  = "kube-system"
  wait       = var.wait
  timeout    = var.timeout_seconds

  set = [
    { name = "clusterName", value = var.cluster_name },
    { name = "region", value = data.aws_region.current.name },
    { name = "vpcId", value = var.vpc_id },
    { name = "serviceAccount.name", value = "aws-load-balancer-controller" },
  ]
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
      type        = var.ingress_service_type
      annotations = var.ingress_service_type == "LoadBalancer" ? var.ingress_service_annotations : {}
    }
  })]

  depends_on = [helm_release.ztunnel, helm_release.load_balancer_controller]
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
