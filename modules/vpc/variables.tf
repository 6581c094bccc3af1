# variables.tf: inputs of the vpc module (passed by live/<org>/<env>/<region>/vpc).

variable "name" {
  description = "Name of the VPC; prefixes the Name tag of every resource of the module."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,53}$", var.name))
    error_message = "name must be 2-54 characters of lowercase letters, digits and hyphens, starting with a letter or digit (the flow-log role <name>-flow-logs is limited to 64)."
  }
}

variable "cluster_name" {
  description = "Name of the EKS cluster that uses this VPC; subnets are tagged kubernetes.io/cluster/<cluster_name>=shared."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be 1-100 characters of letters, digits, hyphens and underscores, starting with a letter or digit."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC, e.g. 10.0.0.0/16."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR block with a prefix length between /16 and /24."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread the subnets over, one public and one private subnet each (e.g. three zones); the first one holds the NAT gateway when nat_gateways is \"one\"."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least two distinct zones (EKS needs subnets in two zones or more)."
  }
}

variable "private_subnets" {
  description = "CIDR blocks of the private subnets (nodes, pods, internal load balancers), one per availability zone in the same order."
  type        = list(string)

  validation {
    condition     = length(var.private_subnets) >= 2 && alltrue([for cidr in var.private_subnets : can(cidrhost(cidr, 0))])
    error_message = "private_subnets must list at least two IPv4 CIDR blocks, one per availability zone."
  }
}

variable "public_subnets" {
  description = "CIDR blocks of the public subnets (NAT gateways, internet-facing load balancers), one per availability zone in the same order."
  type        = list(string)

  validation {
    condition     = length(var.public_subnets) >= 2 && alltrue([for cidr in var.public_subnets : can(cidrhost(cidr, 0))])
    error_message = "public_subnets must list at least two IPv4 CIDR blocks, one per availability zone."
  }
}

variable "nat_gateways" {
  description = "\"per-az\": one NAT gateway (and Elastic IP) per availability zone, so losing a zone cuts no other zone off the internet; \"one\": a single NAT gateway in the first zone for every private subnet (cheaper: one gateway's hourly charge, but cross-zone data charges and one zone's outage cuts all egress)."
  type        = string
  default     = "per-az"

  validation {
    condition     = contains(["one", "per-az"], var.nat_gateways)
    error_message = "nat_gateways must be \"one\" or \"per-az\"."
  }
}

variable "enable_flow_logs" {
  description = "Record VPC flow logs (all traffic) to a KMS-encrypted CloudWatch log group."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "Days CloudWatch keeps the VPC flow logs (platform.toml log_retention_days sets it per environment)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention CloudWatch Logs supports (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "tags" {
  description = "Extra tags for every resource of the module (the provider adds the organisation's default tags)."
  type        = map(string)
  default     = {}
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
