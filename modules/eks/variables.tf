# variables.tf: inputs of the eks module (passed by live/<org>/<env>/<region>/eks).

variable "cluster_name" {
  description = "Name of the EKS cluster; prefixes the names of its IAM roles, security groups and node groups."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,34}$", var.cluster_name))
    error_message = "cluster_name must be 1-35 characters of letters, digits, hyphens and underscores, starting with a letter or digit (the IAM role names it prefixes, such as <cluster_name>-aws-load-balancer-controller, are limited to 64)."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane, e.g. \"1.35\"; managed node groups follow it."
  type        = string

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a Kubernetes minor version such as \"1.35\"."
  }
}

variable "vpc_id" {
  description = "ID of the VPC of the cluster (output vpc_id of the vpc unit)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID (vpc-…)."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets, one per availability zone: the nodes and the control plane's network interfaces go there."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "private_subnet_ids must list at least two subnet IDs (subnet-…) in different availability zones."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets, one per availability zone; given to the control plane with the private ones (as eksctl does) so EKS sees the whole network. Nodes never go there."
  type        = list(string)

  validation {
    condition     = alltrue([for id in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "public_subnet_ids must be subnet IDs (subnet-…)."
  }
}

variable "endpoint_public_access_cidrs" {
  description = "CIDR blocks allowed to reach the public API endpoint (IAM authentication and access entries still apply); ignored when endpoint_private_only is on. Narrow it to the CI runners' and operators' egress addresses where they are fixed."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.endpoint_public_access_cidrs) > 0 && length(var.endpoint_public_access_cidrs) <= 40 && alltrue([for cidr in var.endpoint_public_access_cidrs : can(cidrhost(cidr, 0)) && !strcontains(cidr, ":")])
    error_message = "endpoint_public_access_cidrs must list 1-40 IPv4 CIDR blocks."
  }
}

variable "endpoint_private_only" {
  description = "Serve the Kubernetes API on the private endpoint only (reachable from the VPC and networks routed into it); CI runners and operators must then run inside or be routed into the VPC."
  type        = bool
  default     = false
}

variable "cluster_log_types" {
  description = "Control-plane log types sent to CloudWatch Logs."
  type        = list(string)
  default     = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  validation {
    condition     = alltrue([for t in var.cluster_log_types : contains(["api", "audit", "authenticator", "controllerManager", "scheduler"], t)])
    error_message = "cluster_log_types may only contain api, audit, authenticator, controllerManager and scheduler."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the control-plane logs (platform.toml log_retention_days sets it per environment)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs supports (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "node_groups" {
  description = "Managed node groups by role (e.g. cpu, gpu): instance types, AMI type, root volume size (gp3, GiB), scaling bounds, Kubernetes labels and taints."
  type = map(object({
    instance_types = list(string)
    ami_type       = string
    disk_size_gb   = number
    min_size       = number
    desired_size   = number
    max_size       = number
    labels         = optional(map(string), {})
    taints = optional(list(object({
      key    = string
      value  = optional(string)
      effect = string
    })), [])
    capacity_type = optional(string, "ON_DEMAND")
    # With ami_type CUSTOM: the public SSM parameter naming the node image (such as
    # Canonical's Ubuntu EKS image); the launch template then bootstraps the node.
    image_ssm_parameter = optional(string, "")
    # NVIDIA GPUs per node (the fewest of the instance types): the cluster autoscaler's
    # hint for a group it scales up from zero nodes.
    gpus = optional(number, 0)
  }))

  validation {
    condition     = length(var.node_groups) > 0 && alltrue([for name, _ in var.node_groups : can(regex("^[a-z0-9][a-z0-9-]{0,38}$", name))])
    error_message = "node_groups must have at least one group; group names are 1-39 lowercase letters, digits and hyphens."
  }
  validation {
    condition     = alltrue([for g in var.node_groups : length(g.instance_types) > 0])
    error_message = "every node group needs at least one instance type."
  }
  validation {
    condition = alltrue([for g in var.node_groups : contains([
      "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA",
      "AL2023_x86_64_NEURON", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64", "BOTTLEROCKET_x86_64_NVIDIA",
      "BOTTLEROCKET_ARM_64_NVIDIA", "CUSTOM",
    ], g.ami_type)])
    error_message = "ami_type must be an AL2023 or Bottlerocket EKS AMI type (e.g. AL2023_x86_64_STANDARD, BOTTLEROCKET_x86_64_NVIDIA; AL2023_x86_64_NVIDIA needs AWS provider 5.69 or later), or CUSTOM with image_ssm_parameter."
  }
  validation {
    condition     = alltrue([for g in var.node_groups : (g.ami_type == "CUSTOM") == (g.image_ssm_parameter != "")])
    error_message = "a node group has ami_type CUSTOM exactly when it names image_ssm_parameter."
  }
  validation {
    condition     = alltrue([for g in var.node_groups : g.disk_size_gb >= 20 && g.disk_size_gb <= 16384 && floor(g.disk_size_gb) == g.disk_size_gb])
    error_message = "disk_size_gb must be a whole number of GiB between 20 and 16384."
  }
  validation {
    condition     = alltrue([for g in var.node_groups : g.min_size >= 0 && g.min_size <= g.desired_size && g.desired_size <= g.max_size && g.max_size >= 1])
    error_message = "every node group needs 0 <= min_size <= desired_size <= max_size and max_size >= 1."
  }
  validation {
    condition     = alltrue(flatten([for g in var.node_groups : [for t in g.taints : contains(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], t.effect)]]))
    error_message = "taint effect must be NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE."
  }
  validation {
    condition     = alltrue([for g in var.node_groups : contains(["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"], g.capacity_type)])
    error_message = "capacity_type must be ON_DEMAND, SPOT or CAPACITY_BLOCK."
  }
  validation {
    condition     = alltrue([for g in var.node_groups : g.gpus >= 0 && floor(g.gpus) == g.gpus])
    error_message = "gpus must be a whole number of GPUs per node, 0 for none."
  }
}

variable "system_node_group" {
  description = "Key of var.node_groups whose nodes run the cluster's own add-ons (coredns, the CSI controllers); those add-ons wait for this group only, so a group that starts at zero nodes (GPU) never holds them up."
  type        = string
  default     = "cpu"

  validation {
    condition     = contains(keys(var.node_groups), var.system_node_group)
    error_message = "system_node_group must be one of the keys of node_groups."
  }
}

variable "enable_addons" {
  description = "Install the EKS managed add-ons vpc-cni, kube-proxy, eks-pod-identity-agent, coredns and aws-ebs-csi-driver (and aws-efs-csi-driver with enable_efs_csi_driver); off where the AWS emulator lacks them."
  type        = bool
  default     = true
}

variable "addon_versions" {
  description = "Versions of the managed add-ons by name; an add-on left out gets the default version EKS picks for the cluster version."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name, _ in var.addon_versions : contains(["vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver", "aws-efs-csi-driver"], name)])
    error_message = "addon_versions keys must be vpc-cni, coredns, kube-proxy, eks-pod-identity-agent, aws-ebs-csi-driver or aws-efs-csi-driver."
  }
}

variable "enable_efs_csi_driver" {
  description = "Install the EFS CSI driver (EKS add-on aws-efs-csi-driver with enable_addons) and create its pod identity (with enable_pod_identity)."
  type        = bool
  default     = false
}

variable "enable_cluster_autoscaler" {
  description = "Prepare the node groups for the cluster autoscaler: its pod identity kube-system/cluster-autoscaler (with enable_pod_identity) and, with enable_node_template_tags, the node-template tags on the node groups' Auto Scaling groups."
  type        = bool
  default     = true
}

variable "enable_node_template_tags" {
  description = "Tag each node group's Auto Scaling group with k8s.io/cluster-autoscaler/node-template/… (labels, taints, GPUs) so the cluster autoscaler can scale a group up from zero nodes (with enable_cluster_autoscaler). Off where the AWS emulator creates no Auto Scaling group for a node group."
  type        = bool
  default     = true
}

variable "enable_external_dns" {
  description = "Create the pod identity of External DNS (external-dns/external-dns), which changes records in route53_zone_ids/route53_zone_arns (with enable_pod_identity)."
  type        = bool
  default     = true
}

variable "enable_cert_manager" {
  description = "Create the pod identity of cert-manager (cert-manager/cert-manager), which solves DNS-01 challenges in route53_zone_ids/route53_zone_arns (with enable_pod_identity)."
  type        = bool
  default     = true
}

variable "enable_access_entries" {
  description = "Use EKS access entries only (authentication mode API: no aws-auth ConfigMap) and grant the admin, deployer and viewer principals access (off where the AWS emulator lacks them)."
  type        = bool
  default     = true
}

variable "bootstrap_cluster_creator_admin" {
  description = "Give the principal that creates the cluster admin access through an access entry. Turn off when that principal is listed in admin_principal_arns or deployer_principal_arns (an entry would exist twice)."
  type        = bool
  default     = true
}

variable "admin_principal_arns" {
  description = "IAM role or user ARNs of the people who administer the cluster (operators, break-glass); they get cluster-admin access (AmazonEKSClusterAdminPolicy) through access entries."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "admin_principal_arns must be IAM role or user ARNs."
  }
}

variable "deployer_principal_arns" {
  description = "IAM role ARNs of the deployers (CI) that apply the mesh and kubeflow units; they get deployer_access_policy through access entries."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.deployer_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "deployer_principal_arns must be IAM role or user ARNs."
  }
}

variable "deployer_access_policy" {
  description = "EKS access policy of the deployer principals. The mesh and kubeflow units install CRDs and cluster roles, which needs AmazonEKSClusterAdminPolicy."
  type        = string
  default     = "AmazonEKSClusterAdminPolicy"

  validation {
    condition     = contains(["AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"], var.deployer_access_policy)
    error_message = "deployer_access_policy must be AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy, AmazonEKSEditPolicy or AmazonEKSViewPolicy."
  }
}

variable "enable_pod_identity" {
  description = "Create the IAM roles and EKS pod identity associations of the platform's controllers and CSI drivers (off where the AWS emulator lacks them)."
  type        = bool
  default     = true
}

variable "enable_irsa" {
  description = "Register the cluster's OIDC issuer as an IAM OpenID Connect provider, for workloads that use IAM roles for service accounts instead of pod identity."
  type        = bool
  default     = true
}

variable "route53_zone_ids" {
  description = "Route 53 hosted zone IDs External DNS and cert-manager may change (added to route53_zone_arns); both empty means every zone of the account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.route53_zone_ids : can(regex("^Z[A-Z0-9]{1,31}$", id))])
    error_message = "route53_zone_ids must be Route 53 hosted zone IDs such as Z0123456789ABCDEFGHIJ."
  }
}

variable "route53_zone_arns" {
  description = "Route 53 hosted zone ARNs External DNS and cert-manager may change; with route53_zone_ids empty too, every zone of the account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.route53_zone_arns : can(regex("^arn:aws[a-z-]*:route53:::hostedzone/[A-Z0-9]+$", arn))])
    error_message = "route53_zone_arns must be Route 53 hosted zone ARNs (arn:aws:route53:::hostedzone/…)."
  }
}

variable "tags" {
  description = "Extra tags for every resource of the module (the provider adds the organisation's default tags)."
  type        = map(string)
  default     = {}
}

variable "oidc_thumbprints" {
  description = "Certificate thumbprints for the IRSA OIDC provider. AWS validates the EKS issuer against its trusted CAs and ignores them; older AWS provider versions require a non-empty list (the default is the issuer's root CA)."
  type        = list(string)
  default     = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]

  validation {
    condition     = length(var.oidc_thumbprints) > 0 && alltrue([for t in var.oidc_thumbprints : can(regex("^[0-9a-f]{40}$", t))])
    error_message = "oidc_thumbprints must be a non-empty list of 40-character lowercase hex SHA-1 thumbprints."
  }
}

variable "permissions_boundary_policy" {
  description = "Path and name of the IAM permissions boundary every role of this module carries (\"platformctl/github/<org>-platform-boundary\", created by modules/account); empty for none."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]*$", var.permissions_boundary_policy))
    error_message = "permissions_boundary_policy must be an IAM policy path and name without a leading slash, or empty."
  }
}

variable "deployer_role_names" {
  description = "IAM roles (path/name, in this account) of the deployers, e.g. the GitOps deploy role \"platformctl/github/<org>-github-deploy\" of modules/account; they get deployer_access_policy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.deployer_role_names : can(regex("^([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]+$", name))])
    error_message = "deployer_role_names must be IAM role names, optionally with their path (no leading slash)."
  }
}

variable "viewer_role_names" {
  description = "IAM roles (path/name, in this account) that only read the cluster, e.g. the GitOps plan role \"platformctl/github/<org>-github-plan\" of modules/account (pull-request and drift plans); they get AmazonEKSViewPolicy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.viewer_role_names : can(regex("^([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]+$", name))])
    error_message = "viewer_role_names must be IAM role names, optionally with their path (no leading slash)."
  }
}

variable "viewer_kubernetes_groups" {
  description = "Kubernetes groups the viewer roles' access entries carry on top of AmazonEKSViewPolicy, e.g. the group the mesh and kubeflow units let read helm's release Secrets (the view policy cannot), so a plan of those units by the plan role can read their releases."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.viewer_kubernetes_groups : can(regex("^[A-Za-z0-9][A-Za-z0-9:._-]{0,99}$", g)) && !startswith(g, "system:") && !startswith(g, "eks:")])
    error_message = "viewer_kubernetes_groups must be Kubernetes group names that do not start with system: or eks: (EKS reserves those)."
  }
}
