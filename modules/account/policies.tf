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

  # Buckets "<org>-<env>-training-data-<region>" (the kubeflow unit's FSx import bucket).
  training_data_buckets = "${local.arn_prefix}:s3:::${var.org}-*-training-data-*"

  # What launches node instances (RunInstances) and network interfaces
  # (CreateNetworkInterface) may use only if it carries the org's tag.
  launch_into_org_resources = [
    "${local.arn_prefix}:ec2:*:${local.account}:launch-template/*",
    "${local.arn_prefix}:ec2:*:${local.account}:security-group/*",
    "${local.arn_prefix}:ec2:*:${local.account}:subnet/*",
  ]

  read_actions = [
    "autoscaling:Describe*",
    "ec2:Describe*",
    "ec2:GetManagedPrefixListEntries",
    "ec2:GetSecurityGroupsForVpc",
    "eks:Describe*",
    "eks:List*",
    "elasticfilesystem:Describe*",
    "elasticfilesystem:ListTagsForResource",
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
    # EKS's own AMI parameters and Canonical's Ubuntu EKS images (the GPU group's image).
    sid     = "EksAmiParameters"
    actions = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = [
      "${local.arn_prefix}:ssm:*:*:parameter/aws/service/eks/*",
      "${local.arn_prefix}:ssm:*:*:parameter/aws/service/canonical/ubuntu/eks/*",
    ]
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

  # EKS checks that the caller of CreateNodegroup and UpdateNodegroupVersion may run
  # instances from the node group's launch template and tag them, since the template has
  # TagSpecifications (EKS User Guide, "Customize managed nodes with launch templates").
  # Only from a launch template (ec2:LaunchTemplate); DenyLaunchOutsideOrgResources
  # keeps it to the org's templates ("<cluster>-<group>-…", but a template's ARN holds
  # its ID, not its name, so it goes by the org's tag), subnets and security groups.
  # The image is the EKS AMI of the node group's ami_type.
  statement {
    sid     = "Ec2RunInstancesFromLaunchTemplates"
    actions = ["ec2:RunInstances"]
    resources = [
      "${local.arn_prefix}:ec2:*:${local.account}:instance/*",
      "${local.arn_prefix}:ec2:*:${local.account}:volume/*",
      "${local.arn_prefix}:ec2:*:${local.account}:network-interface/*",
      "${local.arn_prefix}:ec2:*:${local.account}:launch-template/*",
      "${local.arn_prefix}:ec2:*:${local.account}:security-group/*",
      "${local.arn_prefix}:ec2:*:${local.account}:subnet/*",
      "${local.arn_prefix}:ec2:*::image/*",
    ]

    condition {
      test     = "ArnLike"
      variable = "ec2:LaunchTemplate"
      values   = ["${local.arn_prefix}:ec2:*:${local.account}:launch-template/*"]
    }
  }

  statement {
    sid     = "Ec2TagLaunchedInstances"
    actions = ["ec2:CreateTags"]
    resources = [
      "${local.arn_prefix}:ec2:*:${local.account}:instance/*",
      "${local.arn_prefix}:ec2:*:${local.account}:volume/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["RunInstances"]
    }
  }

  # EFS creates each mount target's network interface, and deletes it, with the caller's
  # rights (EFS API Reference, CreateMountTarget, DeleteMountTarget and
  # ModifyMountTargetSecurityGroups); the interface is EFS's and untagged. Created only in
  # the org's subnets with the org's security groups (DenyLaunchOutsideOrgResources);
  # deleting fails on an interface that is attached to anything.
  statement {
    sid     = "Ec2EfsMountTargetInterfaces"
    actions = ["ec2:CreateNetworkInterface"]
    resources = [
      "${local.arn_prefix}:ec2:*:${local.account}:network-interface/*",
      "${local.arn_prefix}:ec2:*:${local.account}:security-group/*",
      "${local.arn_prefix}:ec2:*:${local.account}:subnet/*",
    ]
  }

  statement {
    sid       = "Ec2EfsMountTargetInterfacesChange"
    actions   = ["ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"]
    resources = ["${local.arn_prefix}:ec2:*:${local.account}:network-interface/*"]
  }

  # Auto Scaling (eks unit): the cluster autoscaler's node-template tags on the node
  # groups' Auto Scaling groups, which EKS creates as "eks-<node group>-<uuid>" tagged
  # eks:cluster-name=<cluster> (a cluster is "<org>-…"); no other tag.
  statement {
    sid       = "AutoscalingNodeTemplateTags"
    actions   = ["autoscaling:CreateOrUpdateTags", "autoscaling:DeleteTags"]
    resources = ["${local.arn_prefix}:autoscaling:*:${local.account}:autoScalingGroup:*:autoScalingGroupName/eks-*"]

    condition {
      test     = "StringLike"
      variable = "aws:ResourceTag/eks:cluster-name"
      values   = ["${var.org}-*"]
    }

    condition {
      test     = "ForAllValues:StringLike"
      variable = "aws:TagKeys"
      values   = ["k8s.io/cluster-autoscaler/node-template/*"]
    }
  }

  # EKS (eks unit): CreateCluster has no resource-level permissions (Service Authorization
  # Reference), so it requires the org's tags; everything else only on clusters named
  # "<org>-…" and what lives under them.
  statement {
    sid       = "EksCreateTaggedClusters"
    actions   = ["eks:CreateCluster"]
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
    sid = "EksOrgClusters"
    actions = [
      "eks:AssociateAccessPolicy",
      "eks:AssociateEncryptionConfig",
      "eks:CreateAccessEntry",
      "eks:CreateAddon",
      "eks:CreateNodegroup",
      "eks:CreatePodIdentityAssociation",
      "eks:DeleteAccessEntry",
      "eks:DeleteAddon",
      "eks:DeleteCluster",
      "eks:DeleteNodegroup",
      "eks:DeletePodIdentityAssociation",
      "eks:DisassociateAccessPolicy",
      "eks:TagResource",
      "eks:UntagResource",
      "eks:UpdateAccessEntry",
      "eks:UpdateAddon",
      "eks:UpdateClusterConfig",
      "eks:UpdateClusterVersion",
      "eks:UpdateNodegroupConfig",
      "eks:UpdateNodegroupVersion",
      "eks:UpdatePodIdentityAssociation",
    ]
    resources = [
      "${local.arn_prefix}:eks:*:${local.account}:cluster/${var.org}-*",
      "${local.arn_prefix}:eks:*:${local.account}:nodegroup/${var.org}-*/*",
      "${local.arn_prefix}:eks:*:${local.account}:addon/${var.org}-*/*",
      "${local.arn_prefix}:eks:*:${local.account}:podidentityassociation/${var.org}-*/*",
      "${local.arn_prefix}:eks:*:${local.account}:access-entry/${var.org}-*/*",
    ]
  }

  # IAM (cluster, node group and add-on roles): only "<org>-…" roles and policies,
  # never the GitHub roles (they live under var.role_path, see the Deny below). Creating a
  # role and changing what it may do require the workload boundary (boundary.tf) on it.
  statement {
    sid = "IamOrgRolesWithBoundary"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
    ]
    resources = local.org_role_arns

    condition {
      test     = local.with_boundary.test
      variable = local.with_boundary.variable
      values   = local.with_boundary.values
    }
  }

  # Changing who may assume a role: UpdateAssumeRolePolicy carries no
  # iam:PermissionsBoundary key (Service Authorization Reference), so under the condition
  # above every trust change after creation would be denied. It is scoped by name alone:
  # the "<org>-…" roles are the units' roles, created with the boundary, which nothing
  # here may remove (DenyBoundaryRemoval), so a trust change cannot reach more than the
  # boundary allows, and the deploy role can never assume them (DenyAssumingOrgRoles).
  # CreateRole sets a trust policy just as freely. Keep other roles out of "<org>-…".
  statement {
    sid       = "IamOrgRolesTrust"
    actions   = ["iam:UpdateAssumeRolePolicy"]
    resources = local.org_role_arns
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

  # An FSx for Lustre data repository association needs its creator to be allowed to set
  # up the FSx S3 service-linked role (FSx for Lustre User Guide, "Permissions to use data
  # repositories in Amazon S3"); such a role has no boundary and only AWS edits it.
  statement {
    sid       = "IamFsxS3ServiceLinkedRole"
    actions   = ["iam:AttachRolePolicy", "iam:PutRolePolicy"]
    resources = ["${local.arn_prefix}:iam::${local.account}:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/*"]
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
      "kms:CreateGrant",
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

  # An alias call needs rights on the alias and on its key (KMS Developer Guide,
  # "Controlling access to aliases"); DenyAliasesOfOtherKeys keeps the keys to the org's.
  statement {
    sid     = "KmsOrgAliases"
    actions = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = [
      "${local.arn_prefix}:kms:*:${local.account}:alias/${var.org}-*",
      "${local.arn_prefix}:kms:*:${local.account}:alias/eks/${var.org}-*",
      "${local.arn_prefix}:kms:*:${local.account}:key/*",
    ]
  }

  # CloudWatch Logs (EKS control-plane logs, VPC flow logs, FSx for Lustre logs, whose
  # group name must start with /aws/fsx).
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
      "${local.arn_prefix}:logs:*:${local.account}:log-group:/aws/fsx/${var.org}-*",
      "${local.arn_prefix}:logs:*:${local.account}:log-group:/aws/fsx/${var.org}-*:*",
    ]
  }

  # S3 (the training data buckets of the kubeflow unit): the settings it makes, never a
  # bucket policy, ACL or lifecycle rule, each of which could grant or delete what the
  # objects' own permissions (next statement) do not.
  statement {
    sid = "S3TrainingDataBuckets"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketTagging",
      "s3:PutBucketVersioning",
      "s3:PutEncryptionConfiguration",
    ]
    resources = [local.training_data_buckets]
  }

  # A data repository association's creator must be able to read and write the linked
  # bucket (FSx for Lustre User Guide, "Permissions to use data repositories in Amazon
  # S3"): the object access here, the bucket reads in OrgBucketsConfiguration.
  statement {
    sid       = "S3TrainingDataObjects"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.training_data_buckets}/*"]
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
      "elasticfilesystem:ModifyMountTargetSecurityGroups",
      "elasticfilesystem:PutFileSystemPolicy",
      "elasticfilesystem:PutLifecycleConfiguration",
      "elasticfilesystem:TagResource",
      "elasticfilesystem:UntagResource",
      "elasticfilesystem:UpdateFileSystem",
      "fsx:DeleteDataRepositoryAssociation",
      "fsx:DeleteFileSystem",
      "fsx:TagResource",
      "fsx:UntagResource",
      "fsx:UpdateDataRepositoryAssociation",
      "fsx:UpdateFileSystem",
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

  # Launch only from the org's launch templates, into the org's subnets and security
  # groups (Ec2RunInstancesFromLaunchTemplates, Ec2EfsMountTargetInterfaces); change a
  # network interface's security groups only to the org's. EKS launches a node group from
  # its own copy of the group's template (tagged eks:cluster-name, not Organization), so
  # a resource of an "<org>-…" cluster counts as the org's too.
  statement {
    sid       = "DenyLaunchOutsideOrgResources"
    effect    = "Deny"
    actions   = ["ec2:CreateNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute", "ec2:RunInstances"]
    resources = local.launch_into_org_resources

    condition {
      test     = "StringNotEquals"
      variable = "aws:ResourceTag/Organization"
      values   = [var.org]
    }

    condition {
      test     = "StringNotLike"
      variable = "aws:ResourceTag/eks:cluster-name"
      values   = ["${var.org}-*"]
    }
  }

  statement {
    sid       = "DenyAliasesOfOtherKeys"
    effect    = "Deny"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["${local.arn_prefix}:kms:*:${local.account}:key/*"]

    condition {
      test     = "StringNotEquals"
      variable = "aws:ResourceTag/Organization"
      values   = [var.org]
    }
  }

  statement {
    sid       = "DenyStateBucketSettings"
    effect    = "Deny"
    actions   = ["s3:DeleteBucket", "s3:PutBucket*", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"]
    resources = [for bucket in local.state_buckets : "${local.arn_prefix}:s3:::${bucket}"]
  }
}
