# pod_identity.tf: IAM roles and EKS pod identity associations of the platform's
# controllers and CSI drivers, behind var.enable_pod_identity (the AWS emulator has no
# pod identity). Each role trusts only the pod identity service for this cluster.

locals {
  zone_arns = length(var.route53_zone_arns) > 0 ? var.route53_zone_arns : ["arn:${local.partition}:route53:::hostedzone/*"]

  # name => where the controller's service account lives, the AWS managed policies it
  # gets and its own policy document (null when managed policies suffice).
  pod_identities = {
    aws-load-balancer-controller = {
      namespace        = "kube-system"
      service_account  = "aws-load-balancer-controller"
      managed_policies = []
      policy           = data.aws_iam_policy_document.load_balancer_controller.json
    }
    external-dns = {
      namespace        = "external-dns"
      service_account  = "external-dns"
      managed_policies = []
      policy           = data.aws_iam_policy_document.external_dns.json
    }
    cert-manager = {
      namespace        = "cert-manager"
      service_account  = "cert-manager"
      managed_policies = []
      policy           = data.aws_iam_policy_document.cert_manager.json
    }
    ebs-csi-driver = {
      namespace        = "kube-system"
      service_account  = "ebs-csi-controller-sa"
      managed_policies = ["service-role/AmazonEBSCSIDriverPolicy"]
      policy           = null
    }
    efs-csi-driver = {
      namespace        = "kube-system"
      service_account  = "efs-csi-controller-sa"
      managed_policies = ["service-role/AmazonEFSCSIDriverPolicy"]
      policy           = null
    }
    fsx-csi-driver = {
      namespace        = "kube-system"
      service_account  = "fsx-csi-controller-sa"
      managed_policies = []
      policy           = data.aws_iam_policy_document.fsx_csi_driver.json
    }
  }

  enabled_pod_identities = var.enable_pod_identity ? local.pod_identities : {}
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

# The AWS Load Balancer Controller's policy (upstream docs/install/iam_policy.json):
# read everywhere, change only resources tagged elbv2.k8s.aws/cluster.
data "aws_iam_policy_document" "load_balancer_controller" {
  #checkov:skip=CKV_AWS_111: the write actions are limited by elbv2.k8s.aws/cluster tag conditions (the upstream policy), which the check does not evaluate.
  statement {
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    #checkov:skip=CKV_AWS_356: describe and list actions do not support resource-level permissions.
    sid = "Describe"
    actions = [
      "ec2:DescribeAccountAttributes",
      "ec2:DescribeAddresses",
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInternetGateways",
      "ec2:DescribeVpcs",
      "ec2:DescribeVpcPeeringConnections",
      "ec2:DescribeSubnets",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeInstances",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeTags",
      "ec2:GetCoipPoolUsage",
      "ec2:DescribeCoipPools",
      "ec2:GetSecurityGroupsForVpc",
      "ec2:DescribeIpamPools",
      "ec2:DescribeRouteTables",
      "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeListenerCertificates",
      "elasticloadbalancing:DescribeSSLPolicies",
      "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetGroupAttributes",
      "elasticloadbalancing:DescribeTargetHealth",
      "elasticloadbalancing:DescribeTags",
      "elasticloadbalancing:DescribeTrustStores",
      "elasticloadbalancing:DescribeListenerAttributes",
      "elasticloadbalancing:DescribeCapacityReservation",
    ]
    resources = ["*"]
  }

  statement {
    #checkov:skip=CKV_AWS_356: certificates, web ACLs and Shield protections are chosen per Ingress at run time.
    sid = "CertificatesAndFirewalls"
    actions = [
      "cognito-idp:DescribeUserPoolClient",
      "acm:ListCertificates",
      "acm:DescribeCertificate",
      "iam:ListServerCertificates",
      "iam:GetServerCertificate",
      "waf-regional:GetWebACL",
      "waf-regional:GetWebACLForResource",
      "waf-regional:AssociateWebACL",
      "waf-regional:DisassociateWebACL",
      "wafv2:GetWebACL",
      "wafv2:GetWebACLForResource",
      "wafv2:AssociateWebACL",
      "wafv2:DisassociateWebACL",
      "shield:GetSubscriptionState",
      "shield:DescribeProtection",
      "shield:CreateProtection",
      "shield:DeleteProtection",
    ]
    resources = ["*"]
  }

  statement {
    #checkov:skip=CKV_AWS_356: the controller creates security groups whose IDs are not known in advance; it tags them at creation (next statement).
    sid       = "CreateSecurityGroups"
    actions   = ["ec2:CreateSecurityGroup"]
    resources = ["*"]
  }

  statement {
    sid       = "TagSecurityGroupsAtCreation"
    actions   = ["ec2:CreateTags"]
    resources = ["arn:${local.partition}:ec2:*:*:security-group/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["CreateSecurityGroup"]
    }
    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid       = "RetagOwnSecurityGroups"
    actions   = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = ["arn:${local.partition}:ec2:*:*:security-group/*"]
    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["true"]
    }
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    #checkov:skip=CKV_AWS_356: limited by the condition to security groups the controller tagged as its own.
    sid       = "ManageOwnSecurityGroups"
    actions   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"]
    resources = ["*"]
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    #checkov:skip=CKV_AWS_356: load balancers and target groups are created at run time; the condition requires the cluster tag.
    sid       = "CreateTaggedLoadBalancers"
    actions   = ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]
    resources = ["*"]
    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    #checkov:skip=CKV_AWS_356: listeners and rules belong to load balancers created at run time.
    sid = "ManageListenersAndRules"
    actions = [
      "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:CreateRule",
      "elasticloadbalancing:DeleteRule",
    ]
    resources = ["*"]
  }

  statement {
    sid     = "RetagOwnLoadBalancers"
    actions = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
    resources = [
      "arn:${local.partition}:elasticloadbalancing:*:*:targetgroup/*/*",
      "arn:${local.partition}:elasticloadbalancing:*:*:loadbalancer/net/*/*",
      "arn:${local.partition}:elasticloadbalancing:*:*:loadbalancer/app/*/*",
    ]
    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["true"]
    }
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid     = "TagListenersAndRules"
    actions = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
    resources = [
      "arn:${local.partition}:elasticloadbalancing:*:*:listener/net/*/*/*",
      "arn:${local.partition}:elasticloadbalancing:*:*:listener/app/*/*/*",
      "arn:${local.partition}:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
      "arn:${local.partition}:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
    ]
  }

  statement {
    #checkov:skip=CKV_AWS_356: limited by the condition to load balancers and target groups the controller tagged as its own.
    sid = "ManageOwnLoadBalancers"
    actions = [
      "elasticloadbalancing:ModifyLoadBalancerAttributes",
      "elasticloadbalancing:SetIpAddressType",
      "elasticloadbalancing:SetSecurityGroups",
      "elasticloadbalancing:SetSubnets",
      "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:ModifyTargetGroupAttributes",
      "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:ModifyListenerAttributes",
      "elasticloadbalancing:ModifyCapacityReservation",
      "elasticloadbalancing:ModifyIpPools",
    ]
    resources = ["*"]
    condition {
      test     = "Null"
      variable = "aws:ResourceTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid     = "TagAtCreation"
    actions = ["elasticloadbalancing:AddTags"]
    resources = [
      "arn:${local.partition}:elasticloadbalancing:*:*:targetgroup/*/*",
      "arn:${local.partition}:elasticloadbalancing:*:*:loadbalancer/net/*/*",
      "arn:${local.partition}:elasticloadbalancing:*:*:loadbalancer/app/*/*",
    ]
    condition {
      test     = "StringEquals"
      variable = "elasticloadbalancing:CreateAction"
      values   = ["CreateTargetGroup", "CreateLoadBalancer"]
    }
    condition {
      test     = "Null"
      variable = "aws:RequestTag/elbv2.k8s.aws/cluster"
      values   = ["false"]
    }
  }

  statement {
    sid       = "RegisterTargets"
    actions   = ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]
    resources = ["arn:${local.partition}:elasticloadbalancing:*:*:targetgroup/*/*"]
  }

  statement {
    #checkov:skip=CKV_AWS_356: listeners and rules belong to load balancers created at run time.
    sid = "ModifyListenersAndRules"
    actions = [
      "elasticloadbalancing:SetWebAcl",
      "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:AddListenerCertificates",
      "elasticloadbalancing:RemoveListenerCertificates",
      "elasticloadbalancing:ModifyRule",
      "elasticloadbalancing:SetRulePriorities",
    ]
    resources = ["*"]
  }
}
