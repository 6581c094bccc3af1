# chart_values.tf: chart, version and values of every helm release of this module, in one
# place that needs no provider: `make test` evaluates this file with variables.tf alone
# (real OpenTofu, tofu console) and runs `helm lint` and `helm template` on the result
# against each pinned chart. main.tf only adds where and when each release is installed.

locals {
  prometheus_url = "http://prometheus-server.${var.istio_namespace}.svc:80"

  # The NLB health-checks the gateway's status port: Envoy opens 80/443 only once a
  # Gateway configures listeners, but 15021 /healthz/ready answers as soon as it is ready.
  ingress_health_check_annotations = {
    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol" = "http"
    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port"     = "15021"
    "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path"     = "/healthz/ready"
  }

  chart_releases = {
    load_balancer_controller = {
      chart   = "aws-load-balancer-controller"
      version = var.load_balancer_controller_version
      # Pods cannot read instance metadata (hop limit 1), so region and VPC are given.
      values = {
        clusterName    = var.cluster_name
        region         = var.region
        vpcId          = var.vpc_id
        serviceAccount = { name = "aws-load-balancer-controller" }
        nodeSelector   = var.system_node_selector
      }
    }

    ebs_csi_driver = {
      chart   = "aws-ebs-csi-driver"
      version = var.ebs_csi_driver_version
      values = {
        controller = {
          region         = var.region
          serviceAccount = { name = "ebs-csi-controller-sa" }
          nodeSelector   = var.system_node_selector
        }
      }
    }

    efs_csi_driver = {
      chart   = "aws-efs-csi-driver"
      version = var.efs_csi_driver_version
      values = {
        controller = {
          serviceAccount = { name = "efs-csi-controller-sa" }
          nodeSelector   = var.system_node_selector
        }
      }
    }

    cert_manager = {
      chart   = "cert-manager"
      version = var.cert_manager_version
      values = {
        crds           = { enabled = true, keep = true }
        serviceAccount = { name = "cert-manager" }
        nodeSelector   = var.system_node_selector
        webhook        = { nodeSelector = var.system_node_selector }
        cainjector     = { nodeSelector = var.system_node_selector }
        startupapicheck = {
          nodeSelector = var.system_node_selector
        }
      }
    }

    external_dns = {
      chart   = "external-dns"
      version = var.external_dns_version
      values = {
        provider       = { name = "aws" }
        serviceAccount = { name = "external-dns" }
        # Records for Services, Ingresses and Istio Gateways of this cluster, in the
        # environment's zone only; the TXT owner keeps two clusters from fighting.
        sources       = ["service", "ingress", "istio-gateway"]
        domainFilters = var.dns_domain == "" ? [] : [var.dns_domain]
        txtOwnerId    = var.cluster_name
        policy        = "sync"
        extraArgs     = var.dns_zone_id == "" ? [] : ["--zone-id-filter=${var.dns_zone_id}"]
        env           = [{ name = "AWS_DEFAULT_REGION", value = var.region }]
        nodeSelector  = var.system_node_selector
      }
    }

    cluster_autoscaler = {
      chart   = "cluster-autoscaler"
      version = var.cluster_autoscaler_version
      values = {
        cloudProvider    = "aws"
        awsRegion        = var.region
        fullnameOverride = "cluster-autoscaler"
        # EKS tags each managed node group's Auto Scaling group with these two keys.
        autoDiscovery = { clusterName = var.cluster_name }
        rbac          = { serviceAccount = { name = "cluster-autoscaler" } }
        extraArgs = {
          expander                      = "least-waste"
          "balance-similar-node-groups" = true
          "skip-nodes-with-system-pods" = false
          "scale-down-unneeded-time"    = var.autoscaler_scale_down_unneeded_time
        }
        nodeSelector = var.system_node_selector
      }
    }

    istio_base = {
      chart   = "base"
      version = var.istio_version
      values  = {}
    }

    istiod = {
      chart   = "istiod"
      version = var.istio_version
      values = {
        profile = "ambient"
        global  = { multiCluster = { clusterName = var.cluster_name } }
        pilot   = { nodeSelector = var.system_node_selector }
      }
    }

    istio_cni = {
      chart   = "cni"
      version = var.istio_version
      values  = { profile = "ambient" }
    }

    ztunnel = {
      chart   = "ztunnel"
      version = var.istio_version
      values  = { multiCluster = { clusterName = var.cluster_name } }
    }

    istio_ingress = {
      chart   = "gateway"
      version = var.istio_version
      values = {
        service = {
          type = var.ingress_service_type
          annotations = var.ingress_service_type == "LoadBalancer" ? merge(
            local.ingress_health_check_annotations, var.ingress_service_annotations,
          ) : {}
        }
        nodeSelector = var.system_node_selector
      }
    }

    # The mesh needs the server (scraping istiod, ztunnel and the gateways through pod
    # annotations); the chart's extra exporters stay off.
    prometheus = {
      chart   = "prometheus"
      version = var.prometheus_version
      values = {
        alertmanager               = { enabled = false }
        "prometheus-pushgateway"   = { enabled = false }
        "kube-state-metrics"       = { enabled = false }
        "prometheus-node-exporter" = { enabled = false }
        server = {
          persistentVolume = {
            enabled      = var.prometheus_volume_size != ""
            size         = coalesce(var.prometheus_volume_size, "8Gi")
            storageClass = var.storage_class_name
          }
          retention    = var.prometheus_retention
          nodeSelector = var.system_node_selector
        }
      }
    }

    kiali = {
      chart   = "kiali-server"
      version = var.kiali_version
      values = {
        auth = { strategy = "token" }
        external_services = {
          prometheus = var.enable_prometheus ? { url = local.prometheus_url } : null
          istio      = { root_namespace = var.istio_namespace }
        }
        server            = { web_root = "/kiali" }
        deployment        = { cluster_wide_access = true, node_selector = var.system_node_selector }
        istio_namespace   = var.istio_namespace
        kubernetes_config = { cluster_name = var.cluster_name }
      }
    }
  }
}
