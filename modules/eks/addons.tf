# addons.tf: EKS managed add-ons, behind var.enable_addons (the AWS emulator has none).
#
# Order at creation:
#   1. vpc-cni, kube-proxy and eks-pod-identity-agent, before any node: a node without the
#      CNI never gets Ready, and the agent must run where aws-node starts.
#   2. The pod identity associations (pod_identity.tf), also before any node: EKS's pod
#      identity webhook sets the credentials of a pod when the pod is created, and the
#      aws-node pods are created as the nodes join. An association made later reaches only
#      aws-node pods started after it (node_groups.tf waits for them).
#   3. The node groups.
#   4. coredns and the CSI drivers, which need nodes to schedule on: they wait for the
#      system node group only (var.system_node_group), never for a group that starts at
#      zero nodes; their pod identities exist by then (step 2).

locals {
  addons_before_nodes = var.enable_addons ? toset(["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]) : toset([])
  addons_after_nodes = var.enable_addons ? toset(concat(
    ["coredns", "aws-ebs-csi-driver"],
    var.enable_efs_csi_driver ? ["aws-efs-csi-driver"] : [],
  )) : toset([])
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

  # The system node group's cluster_name is this cluster's name: reading it makes these
  # add-ons wait for that group alone (depends_on cannot name one key of a for_each).
  cluster_name                = aws_eks_node_group.this[var.system_node_group].cluster_name
  addon_name                  = each.value
  addon_version               = lookup(var.addon_versions, each.value, null)
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags

  depends_on = [
    aws_eks_pod_identity_association.this,
    aws_iam_role_policy.pod_identity,
    aws_iam_role_policy_attachment.pod_identity,
  ]
}
