# addons.tf: EKS managed add-ons, behind var.enable_addons (the AWS emulator has none).
# vpc-cni, kube-proxy and the pod identity agent come before the nodes; coredns needs
# nodes to schedule on, so it comes after them.

locals {
  addons_before_nodes = var.enable_addons ? toset(["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]) : toset([])
  addons_after_nodes  = var.enable_addons ? toset(["coredns"]) : toset([])
}

resource "aws_eks_addon" "before_nodes" {
  for_each = local.addons_before_nodes

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.value
  addon_version               = lookup(var.addon_versions, each.value, null)
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags
}

resource "aws_eks_addon" "after_nodes" {
  for_each = local.addons_after_nodes

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.value
  addon_version               = lookup(var.addon_versions, each.value, null)
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags

  depends_on = [aws_eks_node_group.this]
}
