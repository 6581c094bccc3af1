# pod_identity.tf: IAM roles and EKS pod identity associations of the platform's
# controllers and CSI drivers, behind var.enable_pod_identity (the AWS emulator has no
# pod identity). Each role trusts only the pod identity service for this cluster.

locals {
  zone_arns = length(var.route53_zone_arns) + length(var.route53_zone_ids) > 0 ? concat(
    var.route53_zone_arns,
    [for id in var.route53_zone_ids : "arn:${local.partition}:route53:::hostedzone/${id}"],
  ) : ["arn:${local.partition}:route53:::hostedzone/*"]

  # The VPC CNI (aws-node) takes its credentials from pod identity instead of the node
  # role once the pod identity agent runs on every node, i.e. with the managed add-ons.
  cni_pod_identity = var.enable_pod_identity && var.enable_addons

  # name => whether it exists, where the controller's service account lives, the AWS
  # managed policies it gets and its own policy document (null when managed policies
  # suffice).
  pod_identities = {
    vpc-cni = {
      enabled          = local.cni_pod_identity
      namespace        = "kube-system"
      service_account  = "aws-node"
      managed_policies = ["AmazonEKS_CNI_Policy"]
      policy           = null
    }
    aws-load-balancer-controller = {
      enabled          = true
      namespace        = "kube-system"
      service_account  = "aws-load-balancer-controller"
      managed_policies = []
      policy           = data.aws_iam_policy_document.load_balancer_controller.json
    }
    external-dns = {
      enabled          = var.enable_external_dns
      namespace        = "external-dns"
      service_account  = "external-dns"
      managed_policies = []
      policy           = data.aws_iam_policy_document.external_dns.json
    }
    cert-manager = {
      enabled          = var.enable_cert_manager
      namespace        = "cert-manager"
      service_account  = "cert-manager"
      managed_policies = []
      policy           = data.aws_iam_policy_document.cert_manager.json
    }
    cluster-autoscaler = {
      enabled          = var.enable_cluster_autoscaler
      namespace        = "kube-system"
      service_account  = "cluster-autoscaler"
      managed_policies = []
      policy           = data.aws_iam_policy_document.cluster_autoscaler.json
    }
    ebs-csi-driver = {
      enabled          = true
      namespace        = "kube-system"
      service_account  = "ebs-csi-controller-sa"
      managed_policies = ["service-role/AmazonEBSCSIDriverPolicy"]
      policy           = null
    }
    efs-csi-driver = {
      enabled          = var.enable_efs_csi_driver
      namespace        = "kube-system"
      service_account  = "efs-csi-controller-sa"
      managed_policies = ["service-role/AmazonEFSCSIDriverPolicy"]
      policy           = null
    }
    fsx-csi-driver = {
      enabled          = true
      namespace        = "kube-system"
      service_account  = "fsx-csi-controller-sa"
      managed_policies = []
      policy           = data.aws_iam_policy_document.fsx_csi_driver.json
    }
  }

  enabled_pod_identities = var.enable_pod_identity ? { for name, identity in local.pod_identities : name => identity if identity.enabled } : {}
  pod_identity_managed_policies = merge([
    for name, identity in local.enabled_pod_identities : {
      for policy in identity.managed_policies : "${name}/${policy}" => { identity = name, policy = policy }
    }
  ]...)
}

data "aws_iam_policy_document" "pod_identity_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_eks_cluster.this.arn]
    }
  }
}

resource "aws_iam_role" "pod_identity" {
  for_each = local.enabled_pod_identities

  name                 = "${var.cluster_name}-${each.key}"
  permissions_boundary = local.permissions_boundary
  description          = "Pod identity of ${each.value.namespace}/${each.value.service_account} on EKS cluster ${var.cluster_name}"
  assume_role_policy   = data.aws_iam_policy_document.pod_identity_assume.json
  tags                 = var.tags
}

resource "aws_iam_role_policy" "pod_identity" {
  for_each = { for name, identity in local.enabled_pod_identities : name => identity if identity.policy != null }

  name   = each.key
  role   = aws_iam_role.pod_identity[each.key].id
  policy = each.value.policy
}

resource "aws_iam_role_policy_attachment" "pod_identity" {
  for_each = local.pod_identity_managed_policies

  role       = aws_iam_role.pod_identity[each.value.identity].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value.policy}"
}

resource "aws_eks_pod_identity_association" "this" {
  for_each = local.enabled_pod_identities

  cluster_name    = aws_eks_cluster.this.name
  namespace       = each.value.namespace
  service_account = each.value.service_account
  role_arn        = aws_iam_role.pod_identity[each.key].arn
  tags            = var.tags
}

# ------------------------------------------------------------------ policy documents

data "aws_iam_policy_document" "external_dns" {
  statement {
    sid       = "ChangeRecordsOfTheZones"
    actions   = ["route53:ChangeResourceRecordSets"]
    resources = local.zone_arns
  }
  statement {
    #checkov:skip=CKV_AWS_356: Route 53 list actions do not support resource-level permissions.
    sid       = "ListZonesAndRecords"
    actions   = ["route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResources", "route53:ListTagsForResource"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "cert_manager" {
  statement {
    sid       = "ReadChanges"
    actions   = ["route53:GetChange"]
    resources = ["arn:${local.partition}:route53:::change/*"]
  }
  statement {
    sid       = "SolveDns01Challenges"
    actions   = ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"]
    resources = local.zone_arns
  }
  statement {
    sid       = "FindZones"
    actions   = ["route53:ListHostedZonesByName"]
    resources = ["*"]
  }
}

# The driver creates FSx for Lustre file systems for dynamically provisioned volumes,
# linked to S3 buckets through the FSx service-linked roles.
data "aws_iam_policy_document" "fsx_csi_driver" {
  statement {
    sid       = "FsxS3DataSourceServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"]
    resources = ["arn:${local.partition}:iam::*:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/*"]
  }
  statement {
    sid       = "FsxServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "iam:AWSServiceName"
      values   = ["fsx.amazonaws.com"]
    }
  }
  statement {
    #checkov:skip=CKV_AWS_356: the driver creates file systems whose ARNs are not known in advance and lists the buckets they import from.
    #checkov:skip=CKV_AWS_111: creating file systems for dynamically provisioned volumes cannot be constrained to known ARNs.
    sid = "ManageFileSystems"
    actions = [
      "s3:ListBucket",
      "fsx:CreateFileSystem",
      "fsx:DeleteFileSystem",
      "fsx:DescribeFileSystems",
      "fsx:TagResource",
      "fsx:UpdateFileSystem",
    ]
    resources = ["*"]
  }
}

# The cluster autoscaler's policy (upstream cloudprovider/aws/README.md, "Full Cluster
# Autoscaler Features Policy", with auto-discovery): read everywhere, and resize or shrink
# only the Auto Scaling groups EKS tagged as this cluster's node groups.
data "aws_iam_policy_document" "cluster_autoscaler" {
  statement {
    #checkov:skip=CKV_AWS_356: describe actions of Auto Scaling and EC2 do not support resource-level permissions.
    sid = "DiscoverNodeGroups"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }

  # Labels and taints of a managed node group at zero nodes come from EKS.
  statement {
    sid       = "DescribeOwnNodeGroups"
    actions   = ["eks:DescribeNodegroup"]
    resources = ["arn:${local.partition}:eks:${local.region}:${local.account_id}:nodegroup/${var.cluster_name}/*/*"]
  }

  statement {
    sid = "ScaleOwnNodeGroups"
    actions = [
      "autoscaling:SetDesiredCapacity",
      "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    resources = ["arn:${local.partition}:autoscaling:${local.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/k8s.io/cluster-autoscaler/${var.cluster_name}"
      values   = ["owned"]
    }
  }
}
