# efs.tf: optional EFS file system shared by training pods (ReadWriteMany), with a mount
# target in every private subnet and a StorageClass through which the EFS CSI driver
# (an EKS add-on, or the mesh unit's chart) provisions one access point per volume,
# behind var.enable_efs.

locals {
  efs_name = "${var.cluster_name}-shared"
}

data "aws_iam_policy_document" "efs_key" {
  count = var.enable_efs ? 1 : 0

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
}

resource "aws_kms_key" "efs" {
  count = var.enable_efs ? 1 : 0

  description             = "Encrypts the shared EFS file system of ${var.cluster_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.efs_key[0].json
  tags                    = merge(var.tags, { Name = local.efs_name })
}

resource "aws_efs_file_system" "this" {
  count = var.enable_efs ? 1 : 0

  creation_token   = local.efs_name
  encrypted        = true
  kms_key_id       = aws_kms_key.efs[0].arn
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }

  tags = merge(var.tags, { Name = local.efs_name })
}

resource "aws_security_group" "efs" {
  count = var.enable_efs ? 1 : 0

  name_prefix = "${local.efs_name}-"
  description = "EFS mount targets of ${var.cluster_name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = local.efs_name })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "efs_from_nodes" {
  count = var.enable_efs ? 1 : 0

  security_group_id            = aws_security_group.efs[0].id
  description                  = "NFS from the nodes of ${var.cluster_name}"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = var.node_security_group_id
}

resource "aws_efs_mount_target" "this" {
  for_each = var.enable_efs ? toset(var.private_subnet_ids) : toset([])

  file_system_id  = aws_efs_file_system.this[0].id
  subnet_id       = each.value
  security_groups = [aws_security_group.efs[0].id]
}

resource "kubernetes_storage_class_v1" "efs" {
  count = var.enable_efs ? 1 : 0

  metadata {
    name = var.efs_storage_class_name
  }
  storage_provisioner = "efs.csi.aws.com"
  reclaim_policy      = "Delete"
  volume_binding_mode = "Immediate"
  parameters = {
    provisioningMode = "efs-ap"
    fileSystemId     = aws_efs_file_system.this[0].id
    directoryPerms   = "700"
    basePath         = "/volumes"
  }

  depends_on = [aws_efs_mount_target.this]
}
