# main.tf: the EKS control plane: IAM role, KMS key for Kubernetes secrets and the
# control-plane logs, the log group, security groups, the cluster itself and its OIDC
# provider.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition      = data.aws_partition.current.partition
  account_id     = data.aws_caller_identity.current.account_id
  region         = data.aws_region.current.name
  log_group_name = "/aws/eks/${var.cluster_name}/cluster"
  # IAM role names start with the cluster name, so with "<org>-": the deploy role of the
  # account module may only create roles named "<org>-*". They are never truncated (a cut
  # name could lose that prefix); platform.toml validation keeps the longest under 64.
  permissions_boundary = var.permissions_boundary_policy == "" ? null : "arn:${local.partition}:iam::${local.account_id}:policy/${var.permissions_boundary_policy}"
  cluster_role_name    = "${var.cluster_name}-cluster"
  node_role_name       = "${var.cluster_name}-node"
}

# ------------------------------------------------------------------------------ KMS

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_111: a key policy names its own key as "*"; the account root must administer the key.
  #checkov:skip=CKV_AWS_356: a key policy names its own key as "*" (it cannot name other resources).
  #checkov:skip=CKV_AWS_109: a key policy names its own key as "*"; without root administration the key becomes unmanageable.
  # A key policy must name the key as "*"; the account root keeps control of the key.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsUsesKeyForTheControlPlaneLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Encrypts the Kubernetes secrets and control-plane logs of EKS cluster ${var.cluster_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = merge(var.tags, { Name = var.cluster_name })
}

resource "aws_kms_alias" "this" {
  name          = "alias/eks/${var.cluster_name}"
  target_key_id = aws_kms_key.this.key_id
}

# EKS writes the control-plane logs here; creating the group first sets retention and
# encryption instead of getting EKS's unencrypted never-expiring default.
resource "aws_cloudwatch_log_group" "cluster" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = var.tags
}

# ------------------------------------------------------------------ cluster IAM role

data "aws_iam_policy_document" "cluster_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name                 = local.cluster_role_name
  permissions_boundary = local.permissions_boundary
  description          = "Control plane of EKS cluster ${var.cluster_name}"
  assume_role_policy   = data.aws_iam_policy_document.cluster_assume.json
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  for_each = toset(["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"])

  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

# The control plane encrypts secrets with the cluster's key.
data "aws_iam_policy_document" "cluster_kms" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role_policy" "cluster_kms" {
  name   = "encrypt-secrets"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_kms.json
}

# ------------------------------------------------------------------ security groups

# Attached to the control plane's network interfaces (in addition to the security group
# EKS creates): the nodes reach the API server through it, and it is the source of the
# control plane's calls to the nodes (kubelet, admission webhooks).
resource "aws_security_group" "cluster" {
  name_prefix = "${var.cluster_name}-cluster-"
  description = "EKS control plane of ${var.cluster_name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.cluster_name}-cluster" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "cluster_api_from_nodes" {
  security_group_id            = aws_security_group.cluster.id
  description                  = "Nodes and pods to the Kubernetes API"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.node.id
}

resource "aws_vpc_security_group_egress_rule" "cluster_to_nodes" {
  security_group_id            = aws_security_group.cluster.id
  description                  = "Control plane to the nodes (kubelet, webhooks, Istio)"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.node.id
}

# The nodes of every managed node group (through their launch templates).
resource "aws_security_group" "node" {
  name_prefix = "${var.cluster_name}-node-"
  description = "Nodes of EKS cluster ${var.cluster_name}"
  vpc_id      = var.vpc_id
  tags = merge(var.tags, {
    Name                                        = "${var.cluster_name}-node"
    "kubernetes.io/cluster/${var.cluster_name}" = "owned"
  })

  lifecycle {
    create_before_destroy = true
  }
}

locals {
  # Ports the control plane (the cluster security group) calls on the nodes.
  node_ingress_from_cluster = {
    kubelet       = { port = 10250, description = "Control plane to kubelet" }
    webhooks_443  = { port = 443, description = "Control plane to admission webhooks on 443" }
    webhooks_9443 = { port = 9443, description = "Control plane to controller webhooks on 9443 (AWS Load Balancer Controller)" }
    istio_webhook = { port = 15017, description = "Istio: control plane to the istiod injection and validation webhooks" }
    istio_xds     = { port = 15012, description = "Istio: istiod xDS and CA (mTLS certificates) for ztunnel and gateways" }
  }
}

resource "aws_vpc_security_group_ingress_rule" "node_from_cluster" {
  for_each = local.node_ingress_from_cluster

  security_group_id            = aws_security_group.node.id
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.cluster.id
}

resource "aws_vpc_security_group_ingress_rule" "node_to_node" {
  security_group_id            = aws_security_group.node.id
  description                  = "Node to node: pod networking, DNS, ztunnel HBONE"
  ip_protocol                  = "-1"
  referenced_security_group_id = aws_security_group.node.id
}

resource "aws_vpc_security_group_egress_rule" "node_all" {
  #checkov:skip=CKV_AWS_382: nodes pull images from public registries and call AWS APIs through the NAT gateways; egress cannot be narrowed to fixed addresses.
  security_group_id = aws_security_group.node.id
  description       = "Nodes to the internet (images, AWS APIs) through the NAT gateways"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

# -------------------------------------------------------------------------- cluster

# Real environments add upgrade_policy (platform.toml support_type) through
# upgrade_policy_override.tf, which the eks unit generates: the argument needs AWS
# provider 5.61, this module only 5.46.
resource "aws_eks_cluster" "this" {
  #checkov:skip=CKV_AWS_39: the public endpoint is a per-environment choice (platform.toml endpoint.private_only); CI runners outside the VPC need it, and it is limited by var.endpoint_public_access_cidrs, IAM authentication and access entries.
  #checkov:skip=CKV_AWS_38: the allowed addresses are a per-environment choice (platform.toml endpoint.public_cidrs); GitHub-hosted runners have no fixed addresses, so an environment they deploy may have to allow all.
  name                      = var.cluster_name
  version                   = var.kubernetes_version
  role_arn                  = aws_iam_role.cluster.arn
  enabled_cluster_log_types = var.cluster_log_types

  vpc_config {
    # Private and public subnets, as eksctl does; EKS places the control plane's
    # network interfaces in them, the node groups use the private ones only.
    subnet_ids              = concat(var.private_subnet_ids, var.public_subnet_ids)
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    endpoint_public_access  = !var.endpoint_private_only
    public_access_cidrs     = var.endpoint_private_only ? null : var.endpoint_public_access_cidrs
  }

  # Authentication mode API: access entries only, no aws-auth ConfigMap (EKS creates the
  # node groups' entries itself). The AWS emulator has no access entries (and returns no
  # access configuration), so the block is only sent when they are on; a cluster without
  # it keeps the service default. A cluster moves from API_AND_CONFIG_MAP to API in
  # place, never back.
  dynamic "access_config" {
    for_each = var.enable_access_entries ? [1] : []
    content {
      authentication_mode                         = "API"
      bootstrap_cluster_creator_admin_permissions = var.bootstrap_cluster_creator_admin
    }
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.this.arn
    }
  }

  tags = merge(var.tags, { Name = var.cluster_name })

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_kms,
    aws_cloudwatch_log_group.cluster,
  ]
}

# IAM roles for service accounts (IRSA) for workloads that do not use pod identity.
# AWS trusts the EKS issuer's certificate itself and ignores the thumbprint, but provider
# versions before 5.81 require the argument.
resource "aws_iam_openid_connect_provider" "this" {
  count = var.enable_irsa ? 1 : 0

  url             = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.oidc_thumbprints
  tags            = merge(var.tags, { Name = "${var.cluster_name}-irsa" })
}
