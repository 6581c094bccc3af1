# chart_values.tf: chart, version and values of the helm releases of this module that come
# from a chart repository, in one place that needs no provider: `make test` evaluates this
# file with variables.tf alone (real OpenTofu, tofu console) and runs `helm lint` and
# `helm template` on the result against each pinned chart. The Training Operator's chart
# is packaged by platformctl from the pinned manifests and checked where it is built.

locals {
  chart_releases = {
    # The operator's driver and container toolkit are on for node images that ship neither
    # (Ubuntu, which NVIDIA's platform-support matrix lists for EKS) and off for images
    # that ship both (the EKS NVIDIA AMIs). Feature discovery, the device plugin and the
    # DCGM exporter run either way, on the GPU nodes only (their taint is tolerated).
    gpu_operator = {
      chart   = "gpu-operator"
      version = var.gpu_operator_version
      values = {
        driver       = { enabled = var.gpu_operator_driver }
        toolkit      = { enabled = var.gpu_operator_driver }
        devicePlugin = { enabled = var.gpu_operator_device_plugin }
        dcgmExporter = { enabled = true }
        gfd          = { enabled = true }
        # The chart's own tolerations cover the GPU taint (nvidia.com/gpu, NoSchedule).
        operator = { nodeSelector = merge({ "kubernetes.io/os" = "linux" }, var.system_node_selector) }
        "node-feature-discovery" = {
          master = { nodeSelector = var.system_node_selector }
          gc     = { nodeSelector = var.system_node_selector }
        }
      }
    }

    fsx_csi_driver = {
      chart   = "aws-fsx-csi-driver"
      version = var.fsx_csi_driver_version
      # Pods cannot reach instance metadata (hop limit 1), so the region is given.
      values = {
        controller = {
          region       = var.region
          nodeSelector = var.system_node_selector
        }
      }
    }
  }
}
