# node_groups.tf: the node IAM role and one managed node group per entry of
# var.node_groups (CPU and GPU), each with a launch template that gives it an encrypted
# gp3 root volume, IMDSv2 and the node security group.

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name                 = local.node_role_name
  permissions_boundary = local.permissions_boundary
  description          = "Nodes of EKS cluster ${var.cluster_name}"
  assume_role_policy   = data.aws_iam_policy_document.node_assume.json
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
  ])

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

resource "aws_launch_template" "node" {
  for_each = var.node_groups

  name_prefix            = "${var.cluster_name}-${each.key}-"
  description            = "Node group ${each.key} of EKS cluster ${var.cluster_name}"
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.node.id]

  # Bottlerocket keeps images and containers on its data volume (xvdb); AL2023 on its root.
  block_device_mappings {
    device_name = startswith(each.value.ami_type, "BOTTLEROCKET_") ? "/dev/xvdb" : "/dev/xvda"
    ebs {
      volume_type           = "gp3"
      volume_size           = each.value.disk_size_gb
      encrypted             = true
      delete_on_termination = true
    }
  }

  # IMDSv2 only, one hop: host-network pods (the VPC CNI, kube-proxy) still reach it,
  # other pods cannot borrow the node role; they get credentials from pod identity.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.cluster_name}-${each.key}" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = "${var.cluster_name}-${each.key}" })
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_eks_node_group" "this" {
  for_each = var.node_groups

  cluster_name    = aws_eks_cluster.this.name
  node_group_name = each.key
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.private_subnet_ids
  instance_types  = each.value.instance_types
  ami_type        = each.value.ami_type
  capacity_type   = each.value.capacity_type
  labels          = each.value.labels

  scaling_config {
    min_size     = each.value.min_size
    desired_size = each.value.desired_size
    max_size     = each.value.max_size
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.node[each.key].id
    version = aws_launch_template.node[each.key].latest_version
  }

  dynamic "taint" {
    for_each = each.value.taints
    content {
      key    = taint.value.key
      value  = taint.value.value
      effect = taint.value.effect
    }
  }

  tags = merge(var.tags, { Name = "${var.cluster_name}-${each.key}" })

  # The VPC CNI and kube-proxy must exist before nodes join, or they never get Ready.
  depends_on = [
    aws_iam_role_policy_attachment.node,
    aws_eks_addon.before_nodes,
  ]

  lifecycle {
    # The cluster autoscaler moves desired_size within [min_size, max_size].
    ignore_changes = [scaling_config[0].desired_size]
  }
}
