# fsx.tf: optional FSx for Lustre file system for training data, linked to the S3 bucket
# var.fsx_import_bucket by a data repository association (objects appear as files,
# results written under the path go back to the bucket), behind var.enable_fsx_lustre.
# The bucket is created here too (var.create_fsx_import_bucket), and the file system
# logs to its own log group: without one FSx creates /aws/fsx/lustre, with no retention
# and no key, outside what the deploy role manages.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_subnet" "fsx" {
  count = var.enable_fsx_lustre ? 1 : 0
  id    = var.subnet_id
}

locals {
  fsx_name = "${var.cluster_name}-training-data"
  # FSx accepts only log groups named /aws/fsx/…; the deploy role manages /aws/fsx/<org>-….
  fsx_log_group_name = "/aws/fsx/${local.fsx_name}"
  fsx_log_group_arn  = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.fsx_log_group_name}"
  fsx_import_bucket  = var.enable_fsx_lustre && var.create_fsx_import_bucket ? aws_s3_bucket.fsx_import[0].bucket : var.fsx_import_bucket
}

data "aws_iam_policy_document" "fsx_key" {
  count = var.enable_fsx_lustre ? 1 : 0

  #checkov:skip=CKV_AWS_111: a key policy names its own key as "*"; the account root must administer the key.
  #checkov:skip=CKV_AWS_356: a key policy names its own key as "*" (it cannot name other resources).
  #checkov:skip=CKV_AWS_109: a key policy names its own key as "*"; without root administration the key becomes unmanageable.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsUsesKeyForTheFileSystemLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.fsx_log_group_arn]
    }
  }
}

resource "aws_kms_key" "fsx" {
  count = var.enable_fsx_lustre ? 1 : 0

  description             = "Encrypts the FSx for Lustre training data file system of ${var.cluster_name} and its logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.fsx_key[0].json
  tags                    = merge(var.tags, { Name = local.fsx_name })
}

resource "aws_security_group" "fsx" {
  count = var.enable_fsx_lustre ? 1 : 0

  name_prefix = "${local.fsx_name}-"
  description = "FSx for Lustre training data of ${var.cluster_name}"
  vpc_id      = data.aws_subnet.fsx[0].vpc_id
  tags        = merge(var.tags, { Name = local.fsx_name })

  lifecycle {
    create_before_destroy = true
  }
}

locals {
  # Lustre: 988 and 1018-1023, from the nodes and between the file servers.
  fsx_rules = var.enable_fsx_lustre ? {
    "nodes-988"       = { from = 988, to = 988, source = var.node_security_group_id }
    "nodes-1018-1023" = { from = 1018, to = 1023, source = var.node_security_group_id }
    "self-988"        = { from = 988, to = 988, source = aws_security_group.fsx[0].id }
    "self-1018-1023"  = { from = 1018, to = 1023, source = aws_security_group.fsx[0].id }
  } : {}
}

resource "aws_vpc_security_group_ingress_rule" "fsx" {
  for_each = local.fsx_rules

  security_group_id            = aws_security_group.fsx[0].id
  description                  = "Lustre ${each.value.from}-${each.value.to} from ${startswith(each.key, "nodes") ? "the cluster nodes" : "the file servers"}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.from
  to_port                      = each.value.to
  referenced_security_group_id = each.value.source
}

resource "aws_vpc_security_group_egress_rule" "fsx" {
  for_each = local.fsx_rules

  security_group_id            = aws_security_group.fsx[0].id
  description                  = "Lustre ${each.value.from}-${each.value.to} to ${startswith(each.key, "nodes") ? "the cluster nodes" : "the file servers"}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.from
  to_port                      = each.value.to
  referenced_security_group_id = each.value.source
}

resource "aws_cloudwatch_log_group" "fsx" {
  count = var.enable_fsx_lustre ? 1 : 0

  name              = local.fsx_log_group_name
  retention_in_days = var.fsx_log_retention_days
  kms_key_id        = aws_kms_key.fsx[0].arn
  tags              = merge(var.tags, { Name = local.fsx_name })
}

resource "aws_fsx_lustre_file_system" "this" {
  count = var.enable_fsx_lustre ? 1 : 0

  storage_capacity            = var.fsx_storage_capacity_gib
  deployment_type             = "PERSISTENT_2"
  per_unit_storage_throughput = var.fsx_throughput_per_unit
  file_system_type_version    = "2.15"
  subnet_ids                  = [var.subnet_id]
  security_group_ids          = [aws_security_group.fsx[0].id]
  kms_key_id                  = aws_kms_key.fsx[0].arn
  data_compression_type       = "LZ4"

  log_configuration {
    level       = "WARN_ERROR"
    destination = aws_cloudwatch_log_group.fsx[0].arn
  }

  tags = merge(var.tags, { Name = local.fsx_name })
}

resource "aws_fsx_data_repository_association" "this" {
  count = var.enable_fsx_lustre ? 1 : 0

  file_system_id                   = aws_fsx_lustre_file_system.this[0].id
  data_repository_path             = "s3://${local.fsx_import_bucket}/${var.fsx_import_prefix}"
  file_system_path                 = var.fsx_file_system_path
  batch_import_meta_data_on_create = true

  s3 {
    auto_import_policy {
      events = ["NEW", "CHANGED", "DELETED"]
    }
    auto_export_policy {
      events = ["NEW", "CHANGED", "DELETED"]
    }
  }

  tags = var.tags

  depends_on = [
    aws_s3_bucket_public_access_block.fsx_import,
    aws_s3_bucket_server_side_encryption_configuration.fsx_import,
    aws_s3_bucket_versioning.fsx_import,
  ]
}

# ------------------------------------------------------------------ import bucket

# The training data bucket ("<org>-<env>-training-data-<region>"). It lives and dies with
# the file system's unit, but is never emptied by OpenTofu: destroying it fails while it
# holds objects (or object versions), so data goes only when someone deletes it. No
# bucket policy, ACL or lifecycle rule: the deploy role may set none of them (each could
# grant or delete data beyond its own rights).
resource "aws_s3_bucket" "fsx_import" {
  #checkov:skip=CKV_AWS_18: access logging needs a log bucket this module does not own; CloudTrail data events are the account's choice.
  #checkov:skip=CKV_AWS_144: cross-region replication of training data is the account's choice, not the platform's.
  #checkov:skip=CKV_AWS_145: SSE-S3 lets the FSx S3 service-linked role and the people who upload training data use the bucket without key grants.
  #checkov:skip=CKV2_AWS_62: nothing consumes event notifications; FSx's auto import watches the bucket itself.
  #checkov:skip=CKV2_AWS_61: lifecycle rules can delete data; the deploy role may not set them (see above).
  count = var.enable_fsx_lustre && var.create_fsx_import_bucket ? 1 : 0

  bucket        = var.fsx_import_bucket
  force_destroy = false
  tags          = merge(var.tags, { Name = var.fsx_import_bucket })
}

resource "aws_s3_bucket_ownership_controls" "fsx_import" {
  count = length(aws_s3_bucket.fsx_import)

  bucket = aws_s3_bucket.fsx_import[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "fsx_import" {
  count = length(aws_s3_bucket.fsx_import)

  bucket                  = aws_s3_bucket.fsx_import[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "fsx_import" {
  count = length(aws_s3_bucket.fsx_import)

  bucket = aws_s3_bucket.fsx_import[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "fsx_import" {
  count = length(aws_s3_bucket.fsx_import)

  bucket = aws_s3_bucket.fsx_import[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Lustre clients (the nodes) must accept the file servers' connections on 988 and
# 1018-1023 as well; the node security group (eks module) opens them to this group only.
resource "aws_vpc_security_group_ingress_rule" "nodes_from_fsx" {
  for_each = var.enable_fsx_lustre ? { "988" = [988, 988], "1018-1023" = [1018, 1023] } : {}

  security_group_id            = var.node_security_group_id
  description                  = "Lustre ${each.key} from the FSx for Lustre file servers of ${var.cluster_name}"
  ip_protocol                  = "tcp"
  from_port                    = each.value[0]
  to_port                      = each.value[1]
  referenced_security_group_id = aws_security_group.fsx[0].id
  tags                         = var.tags
}

# The FSx for Lustre CSI driver mounts the file system into training pods; its controller
# uses the pod identity role the eks module creates for fsx-csi-controller-sa.
resource "helm_release" "fsx_csi_driver" {
  count = var.enable_fsx_lustre ? 1 : 0

  name       = "aws-fsx-csi-driver"
  repository = var.fsx_csi_driver_repository
  chart      = local.chart_releases.fsx_csi_driver.chart
  version    = local.chart_releases.fsx_csi_driver.version
  namespace  = "kube-system"
  wait       = var.wait
  timeout    = var.timeout_seconds
  values     = [yamlencode(local.chart_releases.fsx_csi_driver.values)]
}
