# variables.tf: inputs of the mesh module (passed by live/<org>/<env>/<region>/mesh).

variable "cluster_name" {
  description = "Name of the cluster the mesh runs on; Istio uses it as its cluster ID and Kiali shows it."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be 1-100 characters of letters, digits, hyphens and underscores, starting with a letter or digit."
  }
}

variable "enable_kiali" {
  description = "Install Kiali (chart kiali-server), the mesh console, in the Istio namespace."
  type        = bool
  default     = true
}

variable "enable_prometheus" {
  description = "Install Prometheus (prometheus-community chart prometheus) in the Istio namespace; Kiali reads mesh metrics from it."
  type        = bool
  default     = true
}

variable "istio_repository" {
  description = "Helm repository of the Istio charts (base, istiod, cni, ztunnel, gateway)."
  type        = string
  default     = "https://istio-release.storage.googleapis.com/charts"
  nullable    = false
}

variable "istio_version" {
  description = "Version of the Istio charts; every Istio component uses the same one."
  type        = string
  default     = "1.30.3"

  validation {
    condition     = can(regex("^1\\.[0-9]+\\.[0-9]+$", var.istio_version))
    error_message = "istio_version must be an Istio release such as 1.30.3."
  }
}

variable "kiali_repository" {
  description = "Helm repository of the kiali-server chart."
  type        = string
  default     = "https://kiali.org/helm-charts"
  nullable    = false
}

variable "kiali_version" {
  description = "Version of the kiali-server chart."
  type        = string
  default     = "2.17.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.kiali_version))
    error_message = "kiali_version must be a chart version such as 2.17.0."
  }
}

variable "prometheus_repository" {
  description = "Helm repository of the prometheus chart."
  type        = string
  default     = "https://prometheus-community.github.io/helm-charts"
  nullable    = false
}

variable "prometheus_version" {
  description = "Version of the prometheus chart."
  type        = string
  default     = "27.45.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.prometheus_version))
    error_message = "prometheus_version must be a chart version such as 27.45.0."
  }
}

variable "istio_namespace" {
  description = "Namespace of the Istio control plane, CNI, ztunnel, Kiali and Prometheus."
  type        = string
  default     = "istio-system"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.istio_namespace))
    error_message = "istio_namespace must be a Kubernetes namespace name (RFC 1123 label)."
  }
}

variable "ingress_namespace" {
  description = "Namespace of the istio-ingress gateway deployment."
  type        = string
  default     = "istio-ingress"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.ingress_namespace))
    error_message = "ingress_namespace must be a Kubernetes namespace name (RFC 1123 label)."
  }
}

variable "ingress_service_annotations" {
  description = "Annotations of the istio-ingress LoadBalancer service (merged over the health check on the status port 15021); the default asks the AWS Load Balancer Controller for an internet-facing NLB with IP targets."
  type        = map(string)
  default = {
    "service.beta.kubernetes.io/aws-load-balancer-type"            = "external"
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type" = "ip"
    "service.beta.kubernetes.io/aws-load-balancer-scheme"          = "internet-facing"
  }
}

variable "wait" {
  description = "Wait until every release's workloads are ready before marking it deployed."
  type        = bool
  default     = true
}

variable "timeout_seconds" {
  description = "How long helm waits for each release."
  type        = number
  default     = 600

  validation {
    condition     = var.timeout_seconds >= 60 && var.timeout_seconds <= 3600
    error_message = "timeout_seconds must be between 60 and 3600."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster, for the AWS Load Balancer Controller (pods cannot read it from instance metadata)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "enable_load_balancer_controller" {
  description = "Install the AWS Load Balancer Controller, which provisions the istio-ingress NLB (and ALBs for Ingresses)."
  type        = bool
  default     = true
}

variable "load_balancer_controller_repository" {
  description = "Helm repository of the aws-load-balancer-controller chart."
  type        = string
  default     = "https://aws.github.io/eks-charts"
  nullable    = false
}

variable "load_balancer_controller_version" {
  description = "Version of the aws-load-balancer-controller chart."
  type        = string
  default     = "3.5.0"
}

variable "ingress_service_type" {
  description = "Service type of the istio-ingress gateway: LoadBalancer (an NLB through the AWS Load Balancer Controller) or, where no cloud load balancer exists (the sandbox), ClusterIP."
  type        = string
  default     = "LoadBalancer"

  validation {
    condition     = contains(["LoadBalancer", "ClusterIP", "NodePort"], var.ingress_service_type)
    error_message = "ingress_service_type must be LoadBalancer, ClusterIP or NodePort."
  }
}

variable "region" {
  description = "AWS region of the cluster, for the controllers that call AWS APIs (pods cannot read it from instance metadata)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as us-east-1."
  }
}

variable "system_node_selector" {
  description = "Node labels of the pool the platform's controllers run on (the CPU group); empty to let the scheduler choose."
  type        = map(string)
  default     = {}
}

variable "enable_csi_charts" {
  description = "Install the EBS (and, with enable_efs_csi, the EFS) CSI driver from their charts; off where the eks unit installs them as EKS managed add-ons."
  type        = bool
  default     = false
}

variable "enable_efs_csi" {
  description = "Install the EFS CSI driver chart too (with enable_csi_charts; the EFS file system and its StorageClass are the kubeflow unit's)."
  type        = bool
  default     = false
}

variable "ebs_csi_driver_repository" {
  description = "Helm repository of the aws-ebs-csi-driver chart."
  type        = string
  default     = "https://kubernetes-sigs.github.io/aws-ebs-csi-driver"
  nullable    = false
}

variable "ebs_csi_driver_version" {
  description = "Version of the aws-ebs-csi-driver chart."
  type        = string
  default     = "2.64.0"
}

variable "efs_csi_driver_repository" {
  description = "Helm repository of the aws-efs-csi-driver chart."
  type        = string
  default     = "https://kubernetes-sigs.github.io/aws-efs-csi-driver"
  nullable    = false
}

variable "efs_csi_driver_version" {
  description = "Version of the aws-efs-csi-driver chart."
  type        = string
  default     = "4.4.1"
}

variable "storage_class_name" {
  description = "Name of the default StorageClass (encrypted gp3 through the EBS CSI driver)."
  type        = string
  default     = "gp3"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.storage_class_name))
    error_message = "storage_class_name must be a Kubernetes object name (RFC 1123 subdomain)."
  }
}

variable "enable_cert_manager" {
  description = "Install cert-manager (with its CRDs) in namespace cert-manager; its pod identity may solve DNS-01 challenges in the environment's hosted zone."
  type        = bool
  default     = true
}

variable "cert_manager_repository" {
  description = "Helm repository of the cert-manager chart."
  type        = string
  default     = "https://charts.jetstack.io"
  nullable    = false
}

variable "cert_manager_version" {
  description = "Version of the cert-manager chart."
  type        = string
  default     = "v1.21.1"
}

variable "enable_external_dns" {
  description = "Install External DNS in namespace external-dns, writing records for the cluster's Services, Ingresses and Istio Gateways into the hosted zone dns_zone_id."
  type        = bool
  default     = false
}

variable "dns_zone_id" {
  description = "Route 53 hosted zone External DNS manages (empty: none)."
  type        = string
  default     = ""

  validation {
    condition     = var.dns_zone_id == "" || can(regex("^Z[0-9A-Z]{1,31}$", var.dns_zone_id))
    error_message = "dns_zone_id must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ."
  }
}

variable "dns_domain" {
  description = "Domain of that zone (External DNS's domain filter), such as dev.example.com."
  type        = string
  default     = ""
}

variable "external_dns_repository" {
  description = "Helm repository of the external-dns chart."
  type        = string
  default     = "https://kubernetes-sigs.github.io/external-dns"
  nullable    = false
}

variable "external_dns_version" {
  description = "Version of the external-dns chart."
  type        = string
  default     = "1.21.1"
}

variable "enable_cluster_autoscaler" {
  description = "Install the cluster autoscaler, which scales each node group between its min and max (the GPU group from zero)."
  type        = bool
  default     = true
}

variable "cluster_autoscaler_repository" {
  description = "Helm repository of the cluster-autoscaler chart."
  type        = string
  default     = "https://kubernetes.github.io/autoscaler"
  nullable    = false
}

variable "cluster_autoscaler_version" {
  description = "Version of the cluster-autoscaler chart (its app version must match the cluster's Kubernetes minor)."
  type        = string
  default     = "9.59.0"
}

variable "autoscaler_scale_down_unneeded_time" {
  description = "How long a node must be unneeded before the autoscaler removes it (GPU nodes cost most while idle)."
  type        = string
  default     = "10m"

  validation {
    condition     = can(regex("^[0-9]+(s|m|h)$", var.autoscaler_scale_down_unneeded_time))
    error_message = "autoscaler_scale_down_unneeded_time must be a duration such as 10m."
  }
}

variable "prometheus_volume_size" {
  description = "Size of Prometheus's persistent volume (on the default StorageClass), such as 20Gi; empty keeps the data on the pod (lost on restart)."
  type        = string
  default     = "20Gi"

  validation {
    condition     = var.prometheus_volume_size == "" || can(regex("^[0-9]+(Mi|Gi|Ti)$", var.prometheus_volume_size))
    error_message = "prometheus_volume_size must be empty or a size such as 20Gi."
  }
}

variable "prometheus_retention" {
  description = "How long Prometheus keeps samples."
  type        = string
  default     = "15d"

  validation {
    condition     = can(regex("^[0-9]+(h|d|w)$", var.prometheus_retention))
    error_message = "prometheus_retention must be a duration such as 15d."
  }
}

variable "helm_readers_group" {
  description = "Kubernetes group of the plan role's access entry (eks module), granted get/list of Secrets in the release namespaces so it can read helm release state; empty: none."
  type        = string
  default     = ""
}
