# node_groups.tf: the node IAM role and one managed node group per entry of
# var.node_groups (CPU and GPU), each with a launch template that gives it an encrypted
# gp3 root volume, IMDSv2 and the node security group, and the cluster autoscaler's
# node-template tags on each group's Auto Scaling group.

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
  # The VPC CNI's policy stays on the node role only where aws-node has no pod identity
  # of its own (local.cni_pod_identity, pod_identity.tf).
  for_each = toset(concat(
    ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"],
    local.cni_pod_identity ? [] : ["AmazonEKS_CNI_Policy"],
  ))

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

resource "aws_launch_template" "node" {
  for_each = var.node_groups

  name_prefix            = "${var.cluster_name}-${each.key}-"
  description            = "Node group ${each.key} of EKS cluster ${var.cluster_name}"
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.node.id]

  # An image EKS does not build brings its own bootstrap (node_images.tf); EKS's own AMI
  # types get theirs from EKS.
  image_id  = each.value.ami_type == "CUSTOM" ? nonsensitive(data.aws_ssm_parameter.node_image[each.key].value) : null
  user_data = each.value.ami_type == "CUSTOM" ? base64encode(local.node_bootstrap[each.key]) : null

  # Bottlerocket keeps images and containers on its data volume (xvdb); AL2023 (xvda) and
  # Ubuntu (sda1) on their root.
  block_device_mappings {
    device_name = startswith(each.value.ami_type, "BOTTLEROCKET_") ? "/dev/xvdb" : (each.value.ami_type == "CUSTOM" ? "/dev/sda1" : "/dev/xvda")
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

  # The VPC CNI, kube-proxy and the pod identity agent must exist before nodes join, or
  # they never get Ready; so must the pod identity associations (aws-node's above all),
  # because a pod gets its pod identity credentials only when it is created (addons.tf).
  depends_on = [
    aws_iam_role_policy_attachment.node,
    aws_eks_addon.before_nodes,
    aws_eks_pod_identity_association.this,
    aws_iam_role_policy.pod_identity,
    aws_iam_role_policy_attachment.pod_identity,
  ]

  lifecycle {
    # desired_size sets the size at creation; afterwards the cluster autoscaler moves it
    # within [min_size, max_size] (a group with min_size 0 can rest at zero nodes).
    ignore_changes = [scaling_config[0].desired_size]
  }
}

# ------------------------------------------------------- cluster autoscaler hints

locals {
  taint_effects        = { NO_SCHEDULE = "NoSchedule", NO_EXECUTE = "NoExecute", PREFER_NO_SCHEDULE = "PreferNoSchedule" }
  node_template_prefix = "k8s.io/cluster-autoscaler/node-template"

  # group => its node-template tags (key below node_template_prefix => value). A group at
  # zero nodes has no node the cluster autoscaler could copy labels, taints and GPUs from;
  # it reads them from these tags of the group's Auto Scaling group (upstream
  # cloudprovider/aws/README.md). One tag per taint key: a key tainted with two effects
  # keeps the first.
  node_templates = {
    for name, group in var.node_groups : name => merge(
      { for key, value in group.labels : "label/${key}" => value },
      { for key, values in { for taint in group.taints : "taint/${taint.key}" => "${taint.value == null ? "" : taint.value}:${local.taint_effects[taint.effect]}"... } : key => values[0] },
      group.gpus > 0 ? { "resources/nvidia.com/gpu" = tostring(group.gpus) } : {},
    )
  }
  node_template_tags = var.enable_cluster_autoscaler && var.enable_node_template_tags ? merge([
    for name, tags in local.node_templates : {
      for key, value in tags : "${name}/${key}" => { group = name, key = "${local.node_template_prefix}/${key}", value = value }
    }
  ]...) : {}
}

resource "aws_autoscaling_group_tag" "node_template" {
  for_each = local.node_template_tags

  autoscaling_group_name = aws_eks_node_group.this[each.value.group].resources[0].autoscaling_groups[0].name

  tag {
    key                 = each.value.key
    value               = each.value.value
    propagate_at_launch = false
  }
}
