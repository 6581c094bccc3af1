# node_images.tf: node groups on an image EKS does not build (ami_type CUSTOM), such as
# Canonical's Ubuntu EKS image for the GPU group (the OS NVIDIA's GPU operator supports on
# EKS). The image comes from its publisher's public SSM parameter; EKS adds no bootstrap
# to such a launch template, so it carries one: /etc/eks/bootstrap.sh with the cluster's
# endpoint and CA (no DescribeCluster call from the node) and the group's labels and
# taints as kubelet flags.

locals {
  custom_image_groups = { for name, group in var.node_groups : name => group if group.ami_type == "CUSTOM" }

  node_bootstrap = {
    for name, group in local.custom_image_groups : name => join("\n", [
      "#!/bin/bash",
      "set -euo pipefail",
      join(" ", [
        "/etc/eks/bootstrap.sh", var.cluster_name,
        "--apiserver-endpoint", aws_eks_cluster.this.endpoint,
        "--b64-cluster-ca", aws_eks_cluster.this.certificate_authority[0].data,
        "--kubelet-extra-args",
        "'${join(" ", compact([
          "--node-labels=${join(",", [for key, value in merge(group.labels, { "eks.amazonaws.com/nodegroup" = name }) : "${key}=${value}"])}",
          length(group.taints) == 0 ? "" : "--register-with-taints=${join(",", [for taint in group.taints : "${taint.key}=${taint.value == null ? "" : taint.value}:${local.taint_effects[taint.effect]}"])}",
        ]))}'",
      ]),
      "",
    ])
  }
}

data "aws_ssm_parameter" "node_image" {
  for_each = local.custom_image_groups

  name = each.value.image_ssm_parameter
}
