# outputs.tf: what the mesh and kubeflow units read (cluster_name, cluster_endpoint,
# cluster_certificate_authority_data, node_security_group_id) and what operators and
# later installs need (OIDC provider, pod identity roles, node role).

output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_version" {
  description = "Kubernetes version of the control plane."
  value       = aws_eks_cluster.this.version
}

output "cluster_endpoint" {
  description = "HTTPS endpoint of the Kubernetes API server."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64-encoded certificate authority of the API server (for kubeconfigs and the kubernetes/helm providers)."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_oidc_issuer_url" {
  description = "OIDC issuer URL of the cluster (service account tokens)."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OpenID Connect provider of the cluster, for IAM roles for service accounts (null when enable_irsa is off)."
  value       = var.enable_irsa ? aws_iam_openid_connect_provider.this[0].arn : null
}

output "cluster_security_group_id" {
  description = "Security group attached to the control plane by this module (the source of the control plane's calls to the nodes)."
  value       = aws_security_group.cluster.id
}

output "node_security_group_id" {
  description = "Security group of the nodes of every managed node group (e.g. for FSx for Lustre or EFS mount targets)."
  value       = aws_security_group.node.id
}

output "node_role_arn" {
  description = "ARN of the IAM role of the nodes."
  value       = aws_iam_role.node.arn
}

output "node_role_name" {
  description = "Name of the IAM role of the nodes."
  value       = aws_iam_role.node.name
}

output "node_group_names" {
  description = "Managed node group names by role (the keys of var.node_groups)."
  value       = { for name, group in aws_eks_node_group.this : name => group.node_group_name }
}

output "node_group_arns" {
  description = "Managed node group ARNs by role."
  value       = { for name, group in aws_eks_node_group.this : name => group.arn }
}

output "node_group_autoscaling_group_names" {
  description = "Auto Scaling group of each managed node group by role (the groups the cluster autoscaler resizes)."
  value       = { for name, group in aws_eks_node_group.this : name => group.resources[0].autoscaling_groups[0].name }
}

output "pod_identity_role_arns" {
  description = "IAM role ARNs of the pod identities by controller (vpc-cni, aws-load-balancer-controller, external-dns, cert-manager, cluster-autoscaler, ebs-csi-driver, efs-csi-driver, fsx-csi-driver; those switched on); empty when enable_pod_identity is off."
  value       = { for name, role in aws_iam_role.pod_identity : name => role.arn }
}

output "pod_identity_service_accounts" {
  description = "namespace/service-account each pod identity role is associated with, by controller; the charts installing the controllers must use these service accounts."
  value       = { for name, identity in local.pod_identities : name => "${identity.namespace}/${identity.service_account}" }
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the cluster's Kubernetes secrets and control-plane logs."
  value       = aws_kms_key.this.arn
}

output "cluster_log_group_name" {
  description = "CloudWatch log group of the control-plane logs."
  value       = aws_cloudwatch_log_group.cluster.name
}

output "addons" {
  description = "Installed EKS managed add-ons by name with their versions (empty when enable_addons is off)."
  value       = { for name, addon in merge(aws_eks_addon.before_nodes, aws_eks_addon.after_nodes) : name => addon.addon_version }
}

output "vpc_id" {
  description = "VPC of the cluster (the AWS Load Balancer Controller needs it: pods cannot read it from instance metadata)."
  value       = var.vpc_id
}
