# outputs.tf: where the mesh lives and what was installed.

output "istio_namespace" {
  description = "Namespace of istiod, the CNI node agent, ztunnel, Kiali and Prometheus."
  value       = helm_release.istiod.namespace
}

output "istio_version" {
  description = "Installed Istio version."
  value       = helm_release.istiod.version
}

output "ingress_namespace" {
  description = "Namespace of the istio-ingress gateway."
  value       = helm_release.istio_ingress.namespace
}

output "ingress_release_name" {
  description = "Helm release (and deployment/service) name of the ingress gateway; Gateway resources select it with istio: ingress."
  value       = helm_release.istio_ingress.name
}

output "releases" {
  description = "Installed helm releases by name with their chart versions."
  value = {
    for release in concat(
      [helm_release.istio_base, helm_release.istiod, helm_release.istio_cni, helm_release.ztunnel, helm_release.istio_ingress],
      helm_release.load_balancer_controller, helm_release.ebs_csi_driver, helm_release.efs_csi_driver,
      helm_release.cert_manager, helm_release.external_dns, helm_release.cluster_autoscaler,
      helm_release.prometheus, helm_release.kiali,
    ) : release.name => release.version
  }
}

output "prometheus_url" {
  description = "In-cluster URL of Prometheus (null when enable_prometheus is off)."
  value       = var.enable_prometheus ? local.prometheus_url : null
}

output "kiali_service" {
  description = "namespace/service of the Kiali console (null when enable_kiali is off); reach it with kubectl port-forward on port 20001."
  value       = var.enable_kiali ? "${var.istio_namespace}/kiali" : null
}

output "storage_class" {
  description = "Name of the default StorageClass (encrypted gp3)."
  value       = kubernetes_storage_class_v1.gp3.metadata[0].name
}
