# access.tf: EKS access entries for the admin, deployer and viewer principals, behind
# var.enable_access_entries (the AWS emulator has none). A principal listed twice gets the
# widest policy (admin over deployer over viewer).

locals {
  access_policy_prefix = "arn:${local.partition}:eks::aws:cluster-access-policy"
  role_arn_prefix      = "arn:${local.partition}:iam::${local.account_id}:role"
  deployer_arns        = concat(var.deployer_principal_arns, [for name in var.deployer_role_names : "${local.role_arn_prefix}/${name}"])
  viewer_arns          = [for name in var.viewer_role_names : "${local.role_arn_prefix}/${name}"]
  # principal ARN => its access policy and Kubernetes groups. AmazonEKSViewPolicy cannot
  # read Secrets, where helm keeps its releases, so a plan of the mesh and kubeflow units
  # would fail; the viewers' group gets exactly that read there, through the RBAC those
  # units create for var.viewer_kubernetes_groups.
  access_principals = var.enable_access_entries ? merge(
    { for arn in local.viewer_arns : arn => { policy = "AmazonEKSViewPolicy", groups = var.viewer_kubernetes_groups } },
    { for arn in local.deployer_arns : arn => { policy = var.deployer_access_policy, groups = [] } },
    { for arn in var.admin_principal_arns : arn => { policy = "AmazonEKSClusterAdminPolicy", groups = [] } },
  ) : {}
}

resource "aws_eks_access_entry" "this" {
  for_each = local.access_principals

  cluster_name      = aws_eks_cluster.this.name
  principal_arn     = each.key
  type              = "STANDARD"
  kubernetes_groups = each.value.groups
  tags              = var.tags
}

resource "aws_eks_access_policy_association" "this" {
  for_each = local.access_principals

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.this[each.key].principal_arn
  policy_arn    = "${local.access_policy_prefix}/${each.value.policy}"

  access_scope {
    type = "cluster"
  }
}
