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
  default     = "1.28.0"

  validation {
    condition     = can(regex("^1\\.[0-9]+\\.[0-9]+$", var.istio_version))
    error_message = "istio_version must be an Istio release such as 1.28.0."
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
  description = "Annotations of the istio-ingress LoadBalancer service; the default asks the AWS Load Balancer Controller for an internet-facing NLB with IP targets."
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
