# What the roles may do. Where AWS supports it, writes are scoped to resources tagged
# Organization=<org> + ManagedBy=platformctl (the provider default_tags of every unit)
# or named "<org>-…"; reads that AWS cannot scope (Describe*/List*) are account-wide.

locals {
  arn_prefix = "arn:${local.partition}"

  org_tags_on_request = {
    "aws:RequestTag/Organization" = [var.org]
    "aws:RequestTag/ManagedBy"    = ["platformctl"]
  }
  org_tags_on_resource = {
    "aws:ResourceTag/Organization" = [var.org]
    "aws:ResourceTag/ManagedBy"    = ["platformctl"]
  }

  # The roles created by the units (cluster, node groups, add-ons); never the GitHub roles,
  # which live under var.role_path.
  org_role_arns = ["${local.arn_prefix}:iam::${local.account}:role/${var.org}-*"]
  with_boundary = {
    test     = "StringEquals"
    variable = "iam:PermissionsBoundary"
    values   = [aws_iam_policy.workload_boundary.arn]
  }
  org_policy = "${local.arn_prefix}:iam::${local.account}:policy/${var.org}-*"

  read_actions = [
    "autoscaling:Describe*",
    "ec2:Describe*",
    "ec2:GetManagedPrefixListEntries",
    "ec2:GetSecurityGroupsForVpc",
    "eks:Describe*",
    "eks:List*",
    "elasticfilesystem:Describe*",
    "elasticloadbalancing:Describe*",
    "fsx:Describe*",
    "fsx:ListTagsForResource",
    "iam:GetInstanceProfile",
    "iam:GetOpenIDConnectProvider",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListOpenIDConnectProviders",
    "iam:ListPolicyVersions",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "sts:GetCallerIdentity",
    "tag:GetResources",
  ]

  # Tags on a resource being created are checked with aws:RequestTag (above); these
  # are the create calls that may carry tags, so CreateTags is allowed only with them.
  ec2_tagged_creates = [
    "AllocateAddress",
    # Security group rules (aws_vpc_security_group_*_rule) are created with tags.
    "AuthorizeSecurityGroupEgress",
    "AuthorizeSecurityGroupIngress",
    "CreateFlowLogs",
    "CreateInternetGateway",
    "CreateLaunchTemplate",
    "CreateNatGateway",
    "CreateNetworkAcl",
    "CreateRouteTable",
    "CreateSecurityGroup",
    "CreateSubnet",
    "CreateVpc",
    "CreateVpcEndpoint",
  ]
}

# Reads for plans and refreshes: account-wide where AWS has no resource-level scoping,
# bucket-level (not object) reads of the org's buckets, and the EKS AMI parameters.
data "aws_iam_policy_document" "read" {
  statement {
    sid       = "Describe"
    actions   = local.read_actions
    resources = ["*"]
  }

  statement {
    sid = "OrgBucketsConfiguration"
    actions = [
      "s3:GetAccelerateConfiguration",
      "s3:GetBucket*",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:ListBucket",
    ]
    resources = ["${local.arn_prefix}:s3:::${var.org}-*"]
  }

  statement {
    sid       = "EksAmiParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = ["${local.arn_prefix}:ssm:*::parameter/aws/service/eks/*"]
  }
}

# The plan role: read the state of every environment and write only the lock files
# (OpenTofu's S3 lock is the object "<key>.tflock"); never the state itself.
data "aws_iam_policy_document" "state_read_lock" {
  statement {
    sid       = "StateBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"]
    resources = [for bucket in local.state_buckets : "${local.arn_prefix}:s3:::${bucket}"]
  }

  statement {
    sid       = "StateRead"
    actions   = ["s3:GetObject"]
    resources = [for bucket in local.state_buckets : "${local.arn_prefix}:s3:::${bucket}/*"]
  }

  statement {
    sid       = "LockFiles"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [for bucket in local.state_buckets : "${local.arn_prefix}:s3:::${bucket}/*.tflock"]
  }

  dynamic "statement" {
    for_each = length(var.state_kms_key_arns) > 0 ? [var.state_kms_key_arns] : []
    content {
      sid       = "StateKms"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = statement.value
    }
  }
}

# The deploy role: read and write state objects (not the buckets' own settings, which
# `platformctl bootstrap` owns).
data "aws_iam_policy_document" "state_read_write" {
  statement {
    sid       = "StateBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"]
    resources = [for bucket in local.state_buckets : "${local.arn_prefix}:s3:::${bucket}"]
  }

  statement {
    sid       = "StateObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [for bucket in local.state_buckets : "${local.arn_prefix}:s3:::${bucket}/*"]
  }

  dynamic "statement" {
    for_each = length(var.state_kms_key_arns) > 0 ? [var.state_kms_key_arns] : []
    content {
      sid       = "StateKms"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = statement.value
    }
  }
}

data "aws_iam_policy_document" "deploy" {
  source_policy_documents = [data.aws_iam_policy_document.read.json]

  # EC2 (vpc unit, node launch templates): create only with the org's tags ...
  statement {
    sid       = "Ec2CreateTagged"
    actions   = [for action in local.ec2_tagged_creates : "ec2:${action}"]
    resources = ["*"]

    dynamic "condition" {
      for_each = local.org_tags_on_request
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = condition.value
      }
    }
  }

  statement {
    sid       = "Ec2TagOnCreate"
    actions   = ["ec2:CreateTags"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = local.ec2_tagged_creates
    }
  }

  # AWS creates a VPC's default security group untagged; aws_default_security_group
  # adopts it by tagging it first (then revokes its rules as a tagged resource). Only a
  # group that carries no Organization tag yet can be claimed, and only with the org's.
  statement {
    sid       = "Ec2AdoptDefaultSecurityGroup"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.arn_prefix}:ec2:*:${local.account}:security-group/*"]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/Organization"
      values   = ["true"]
    }

    dynamic "condition" {
      for_each = local.org_tags_on_request
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = condition.value
      }
    }
  }

  # ... and change or delete only what carries them.
  statement {
    sid = "Ec2ManageTagged"
    actions = [
      "ec2:Associate*",
      "ec2:Attach*",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateLaunchTemplateVersion",
      "ec2:CreateNetworkAclEntry",
      "ec2:CreateRoute",
      "ec2:CreateTags",
      "ec2:Delete*",
      "ec2:Detach*",
      "ec2:Disassociate*",
      "ec2:Modify*",
      "ec2:ReleaseAddress",
      "ec2:Replace*",
      "ec2:RevokeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress",
      "ec2:UpdateSecurityGroupRuleDescriptions*",
    ]
    resources = ["*"]

    dynamic "condition" {
      for_each = local.org_tags_on_resource
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = condition.value
      }
    }
  }

  # EKS (eks unit): clusters named "<org>-…" and everything under them.
  statement {
    sid     = "EksOrgClusters"
    actions = ["eks:*"]
    resources = [
      "${local.arn_prefix}:eks:*:${local.account}:cluster/${var.org}-*",
      "${local.arn_prefix}:eks:*:${local.account}:*/${var.org}-*/*",
    ]
  }

  # IAM (cluster, node group and add-on roles): only "<org>-…" roles and policies,
  # never the GitHub roles (they live under var.role_path, see the Deny below). Creating a
  # role, and changing what it may do or who may assume it, requires the workload
  # boundary (boundary.tf) on it.
  statement {
    sid = "IamOrgRolesWithBoundary"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = local.org_role_arns

    condition {
      test     = local.with_boundary.test
      variable = local.with_boundary.variable
      values   = local.with_boundary.values
    }
  }

  statement {
    sid = "IamOrgRoles"
    actions = [
      "iam:DeleteRole",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:CreateInstanceProfile",
      "iam:DeleteInstanceProfile",
      "iam:AddRoleToInstanceProfile",
      "iam:RemoveRoleFromInstanceProfile",
      "iam:TagInstanceProfile",
    ]
    resources = concat(local.org_role_arns, ["${local.arn_prefix}:iam::${local.account}:instance-profile/${var.org}-*"])
  }

  statement {
    sid       = "IamAttachKnownPolicies"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = local.org_role_arns

    condition {
      test     = "ArnLike"
      variable = "iam:PolicyARN"
      values   = concat(var.attachable_policy_arns, [local.org_policy])
    }

    condition {
      test     = local.with_boundary.test
      variable = local.with_boundary.variable
      values   = local.with_boundary.values
    }
  }

  statement {
    sid = "IamOrgPolicies"
    actions = [
      "iam:CreatePolicy",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicy",
      "iam:DeletePolicyVersion",
      "iam:TagPolicy",
      "iam:UntagPolicy",
    ]
    resources = [local.org_policy]
  }

  statement {
    sid       = "IamPassOrgRoles"
    actions   = ["iam:PassRole"]
    resources = local.org_role_arns

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["eks.amazonaws.com", "ec2.amazonaws.com", "pods.eks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    }
  }

  # IRSA: the cluster's own OIDC provider (oidc.eks.<region>.amazonaws.com/id/…).
  statement {
    sid = "IamClusterOidcProviders"
    actions = [
      "iam:CreateOpenIDConnectProvider",
      "iam:DeleteOpenIDConnectProvider",
      "iam:TagOpenIDConnectProvider",
      "iam:UntagOpenIDConnectProvider",
      "iam:UpdateOpenIDConnectProviderThumbprint",
      "iam:AddClientIDToOpenIDConnectProvider",
    ]
    resources = ["${local.arn_prefix}:iam::${local.account}:oidc-provider/oidc.eks.*.amazonaws.com/id/*"]
  }

  statement {
    sid       = "IamServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "eks.amazonaws.com",
        "eks-nodegroup.amazonaws.com",
        "autoscaling.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "spot.amazonaws.com",
        "elasticfilesystem.amazonaws.com",
        "fsx.amazonaws.com",
        "s3.data-source.lustre.fsx.amazonaws.com",
      ]
    }
  }

  # KMS (EKS secrets encryption): keys created with the org's tags, aliases "<org>-…".
  statement {
    sid       = "KmsCreateTagged"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]

    dynamic "condition" {
      for_each = local.org_tags_on_request
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = condition.value
      }
    }
  }

  statement {
    sid = "KmsManageTagged"
    actions = [
      "kms:CreateAlias",
      "kms:CreateGrant",
      "kms:DeleteAlias",
      "kms:DisableKey",
      "kms:EnableKeyRotation",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateKeyDescription",
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

  statement {
    sid     = "KmsOrgAliases"
    actions = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = [
      "${local.arn_prefix}:kms:*:${local.account}:alias/${var.org}-*",
      "${local.arn_prefix}:kms:*:${local.account}:alias/eks/${var.org}-*",
    ]
  }

  # CloudWatch Logs (EKS control-plane logs, VPC flow logs).
  statement {
    sid = "LogsOrgClusters"
    actions = [
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:PutRetentionPolicy",
      "logs:TagLogGroup",
      "logs:TagResource",
      "logs:UntagLogGroup",
      "logs:UntagResource",
      "logs:AssociateKmsKey",
      "logs:DisassociateKmsKey",
    ]
    resources = [
      "${local.arn_prefix}:logs:*:${local.account}:log-group:/aws/eks/${var.org}-*",
      "${local.arn_prefix}:logs:*:${local.account}:log-group:/aws/eks/${var.org}-*:*",
      "${local.arn_prefix}:logs:*:${local.account}:log-group:/aws/vpc/${var.org}-*",
      "${local.arn_prefix}:logs:*:${local.account}:log-group:/aws/vpc/${var.org}-*:*",
    ]
  }

  # S3 (training data buckets "<org>-<env>-training-data-<region>"): bucket settings only.
  statement {
    sid = "S3OrgBuckets"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:DeleteBucketPolicy",
      "s3:PutAccelerateConfiguration",
      "s3:PutBucket*",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = ["${local.arn_prefix}:s3:::${var.org}-*"]
  }

  # EFS / FSx for Lustre (kubeflow unit, optional): tagged on create, then by tag.
  statement {
    sid = "FileSystemsCreateTagged"
    actions = [
      "elasticfilesystem:CreateFileSystem",
      "elasticfilesystem:TagResource",
      "fsx:CreateDataRepositoryAssociation",
      "fsx:CreateFileSystem",
      "fsx:TagResource",
    ]
    resources = ["*"]

    dynamic "condition" {
      for_each = local.org_tags_on_request
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = condition.value
      }
    }
  }

  statement {
    sid = "FileSystemsManageTagged"
    actions = [
      "elasticfilesystem:CreateMountTarget",
      "elasticfilesystem:DeleteFileSystem",
      "elasticfilesystem:DeleteMountTarget",
      "elasticfilesystem:PutLifecyclePolicy",
      "elasticfilesystem:PutFileSystemPolicy",
      "elasticfilesystem:UpdateFileSystem",
      "elasticfilesystem:UntagResource",
      "fsx:DeleteDataRepositoryAssociation",
      "fsx:DeleteFileSystem",
      "fsx:UpdateDataRepositoryAssociation",
      "fsx:UpdateFileSystem",
      "fsx:UntagResource",
    ]
    resources = ["*"]

    dynamic "condition" {
      for_each = local.org_tags_on_resource
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = condition.value
      }
    }
  }

  # Never touch the GitHub roles, their provider, the workload boundary, or the state
  # buckets' own settings; never take a role's boundary off; never assume a role it made.
  statement {
    sid     = "DenySelfEscalation"
    effect  = "Deny"
    actions = ["iam:*"]
    resources = [
      "${local.arn_prefix}:iam::${local.account}:role${var.role_path}*",
      "${local.arn_prefix}:iam::${local.account}:policy${var.role_path}*",
      "${local.arn_prefix}:iam::${local.account}:oidc-provider/${local.oidc_host}",
    ]
  }

  statement {
    sid       = "DenyBoundaryRemoval"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary"]
    resources = ["*"]
  }

  statement {
    sid       = "DenyAssumingOrgRoles"
    effect    = "Deny"
    actions   = ["sts:AssumeRole", "sts:TagSession"]
    resources = local.org_role_arns
  }

  statement {
    sid       = "DenyStateBucketSettings"
    effect    = "Deny"
    actions   = ["s3:DeleteBucket", "s3:PutBucket*", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"]
    resources = [for bucket in local.state_buckets : "${local.arn_prefix}:s3:::${bucket}"]
  }
}
