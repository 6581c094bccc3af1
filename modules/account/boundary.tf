# boundary.tf: the permissions boundary of every role the deploy role creates (cluster,
# node group, flow-log and controller roles). The deploy role may create or change an
# "<org>-…" role only with this boundary attached, may not remove it, cannot edit this
# policy (it lives under var.role_path, denied to it) and cannot assume any role it
# creates, so the roles it makes can never do more than the platform's workloads need:
# no IAM writes (but the FSx S3 service-linked role's setup), no role assumption, data and
# keys of the org only.

resource "aws_iam_policy" "workload_boundary" {
  name        = "${var.org}-platform-boundary"
  path        = var.role_path
  description = "Permissions boundary of the roles platformctl's units create for ${var.org}."
  policy      = data.aws_iam_policy_document.workload_boundary.json
  tags        = local.tags
}

# A boundary grants nothing: it caps what the attached policies grant, so anything a
# role's policy grants that is missing here is denied. It lists what the policies of the
# units' roles use: the eks module's cluster role (AmazonEKSClusterPolicy,
# AmazonEKSVPCResourceController, its key), node role (AmazonEKSWorkerNodePolicy,
# AmazonEKS_CNI_Policy, AmazonEC2ContainerRegistryPullOnly, AmazonSSMManagedInstanceCore)
# and pod identities (AWS Load Balancer Controller, External DNS, cert-manager, the
# cluster autoscaler, the VPC CNI, the EBS, EFS and FSx CSI drivers), the vpc module's
# flow-log role. Services the roles' own policies scope are listed whole; data (S3) and
# keys (KMS) are the org's only. tests/modules/test_iam_policies.py checks every action of
# those policies against it.
data "aws_iam_policy_document" "workload_boundary" {
  #checkov:skip=CKV_AWS_111: a permissions boundary caps rights and grants none; resources are scoped by each role's own policy
  #checkov:skip=CKV_AWS_356: a permissions boundary caps rights and grants none; resources are scoped by each role's own policy
  #checkov:skip=CKV_AWS_107: a permissions boundary caps rights and grants none; ECR tokens are what nodes pull images with
  statement {
    sid = "PlatformServices"
    actions = [
      # Cluster, nodes, VPC CNI, load balancer controller, cluster autoscaler, CSI drivers.
      "autoscaling:*",
      "ec2:*",
      "eks:*",
      "eks-auth:AssumeRoleForPodIdentity",
      "elasticfilesystem:*",
      "elasticloadbalancing:*",
      "fsx:*",
      # Node images.
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:BatchImportUpstreamImage",
      "ecr:GetAuthorizationToken",
      "ecr:GetDownloadUrlForLayer",
      # The load balancer controller's certificates, web ACLs and Shield protections.
      "acm:DescribeCertificate",
      "acm:ListCertificates",
      "cognito-idp:DescribeUserPoolClient",
      "iam:GetServerCertificate",
      "iam:ListServerCertificates",
      "shield:CreateProtection",
      "shield:DeleteProtection",
      "shield:DescribeProtection",
      "shield:GetSubscriptionState",
      "waf-regional:AssociateWebACL",
      "waf-regional:DisassociateWebACL",
      "waf-regional:GetWebACL",
      "waf-regional:GetWebACLForResource",
      "wafv2:AssociateWebACL",
      "wafv2:DisassociateWebACL",
      "wafv2:GetWebACL",
      "wafv2:GetWebACLForResource",
      # External DNS and cert-manager.
      "route53:ChangeResourceRecordSets",
      "route53:GetChange",
      "route53:ListHostedZones",
      "route53:ListHostedZonesByName",
      "route53:ListResourceRecordSets",
      "route53:ListTagsForResource",
      "route53:ListTagsForResources",
      # VPC flow logs.
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
      # SSM agent on the nodes (AmazonSSMManagedInstanceCore).
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
      "ssm:DescribeAssociation",
      "ssm:DescribeDocument",
      "ssm:GetDeployablePatchSnapshotForInstance",
      "ssm:GetDocument",
      "ssm:GetManifest",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:ListAssociations",
      "ssm:ListInstanceAssociations",
      "ssm:PutComplianceItems",
      "ssm:PutConfigurePackageResult",
      "ssm:PutInventory",
      "ssm:UpdateAssociationStatus",
      "ssm:UpdateInstanceAssociationStatus",
      "ssm:UpdateInstanceInformation",
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }

  # The load balancer controller and the cluster (Elastic Load Balancing), the FSx CSI
  # driver (FSx, and its S3 data repositories).
  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["elasticloadbalancing.amazonaws.com", "fsx.amazonaws.com", "s3.data-source.lustre.fsx.amazonaws.com"]
    }
  }

  # FSx sets up its S3 service-linked role with the rights of whoever links a bucket (the
  # FSx CSI driver for dynamically provisioned volumes); only AWS edits such a role.
  statement {
    sid       = "FsxS3ServiceLinkedRole"
    actions   = ["iam:AttachRolePolicy", "iam:PutRolePolicy"]
    resources = ["${local.arn_prefix}:iam::${local.account}:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/*"]
  }

  # Training data: the org's buckets ("<org>-…") only.
  statement {
    sid       = "OrgBuckets"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket"]
    resources = ["${local.arn_prefix}:s3:::${var.org}-*"]
  }

  statement {
    sid       = "OrgObjects"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.arn_prefix}:s3:::${var.org}-*/*"]
  }

  # Keys: the org's (tagged by the units' provider default_tags), e.g. the cluster's
  # secrets key.
  statement {
    sid = "OrgKeys"
    actions = [
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey*",
      "kms:ListGrants",
      "kms:ReEncrypt*",
      "kms:RevokeGrant",
    ]
    resources = ["${local.arn_prefix}:kms:*:${local.account}:key/*"]

    dynamic "condition" {
      for_each = local.org_tags_on_resource
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = condition.value
      }
    }
  }

  # EBS encrypts the CSI driver's volumes (the encrypted gp3 StorageClass) with the
  # account's aws/ebs key unless told otherwise, calling KMS with the driver's rights;
  # such a key is not the org's, so it may be used through EC2 only.
  statement {
    sid = "KeysThroughEc2"
    actions = [
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]
    resources = ["${local.arn_prefix}:kms:*:${local.account}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [for region in var.regions : "ec2.${region}.amazonaws.com"]
    }
  }
}
