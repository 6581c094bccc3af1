# boundary.tf: the permissions boundary of every role the deploy role creates (cluster,
# node group, flow-log and controller roles). The deploy role may create or change an
# "<org>-…" role only with this boundary attached, may not remove it, cannot edit this
# policy (it lives under var.role_path, denied to it) and cannot assume any role it
# creates, so the roles it makes can never do more than the platform's workloads need:
# no IAM writes, no role assumption.

resource "aws_iam_policy" "workload_boundary" {
  name        = "${var.org}-platform-boundary"
  path        = var.role_path
  description = "Permissions boundary of the roles platformctl's units create for ${var.org}."
  policy      = data.aws_iam_policy_document.workload_boundary.json
  tags        = local.tags
}

# A boundary grants nothing: it caps what the attached identity policies can grant, so it
# lists the services the platform's roles use, not the resources they may touch.
data "aws_iam_policy_document" "workload_boundary" {
  #checkov:skip=CKV_AWS_111: a permissions boundary caps rights and grants none; resources are scoped by each role's own policy
  #checkov:skip=CKV_AWS_356: a permissions boundary caps rights and grants none; resources are scoped by each role's own policy
  #checkov:skip=CKV_AWS_108: a permissions boundary caps rights and grants none; S3 reads are those of the FSx data repository role
  #checkov:skip=CKV_AWS_109: a permissions boundary caps rights and grants none; KMS grants are what the EBS CSI driver needs
  #checkov:skip=CKV_AWS_107: a permissions boundary caps rights and grants none; ECR tokens are what nodes pull images with
  statement {
    sid = "PlatformWorkloads"
    actions = [
      # Cluster, nodes, VPC CNI, load balancer controller, CSI drivers.
      "autoscaling:*",
      "ec2:*",
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:DescribeImages",
      "ecr:DescribeRepositories",
      "ecr:GetAuthorizationToken",
      "ecr:GetDownloadUrlForLayer",
      "ecr:ListImages",
      "eks:*",
      "eks-auth:AssumeRoleForPodIdentity",
      "elasticfilesystem:*",
      "elasticloadbalancing:*",
      "fsx:*",
      "acm:DescribeCertificate",
      "acm:ListCertificates",
      "cognito-idp:DescribeUserPoolClient",
      "shield:GetSubscriptionState",
      "waf-regional:GetWebACLForResource",
      "wafv2:GetWebACLForResource",
      "iam:GetServerCertificate",
      "iam:ListServerCertificates",
      # external-dns and cert-manager.
      "route53:ChangeResourceRecordSets",
      "route53:GetChange",
      "route53:ListHostedZones",
      "route53:ListHostedZonesByName",
      "route53:ListResourceRecordSets",
      "route53:ListTagsForResource",
      # Logs (control plane, flow logs), metrics, keys for secrets and volumes.
      "cloudwatch:PutMetricData",
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
      "kms:CreateGrant",
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey*",
      "kms:ListGrants",
      "kms:ReEncrypt*",
      "kms:RevokeGrant",
      # Training data (FSx data repository associations), SSM for node access.
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject",
      "ssm:DescribeInstanceInformation",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:UpdateInstanceInformation",
      "ssmmessages:*",
      "ec2messages:*",
      "sts:GetCallerIdentity",
      "tag:GetResources",
      "iam:CreateServiceLinkedRole",
    ]
    resources = ["*"]
  }
}
