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
