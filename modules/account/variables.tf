# Inputs of the account bootstrap. Names and tags here must match what the units create:
# resources are named "<org>-…" and tagged Organization=<org>, ManagedBy=platformctl by
# the provider default_tags that root.hcl generates.

variable "org" {
  description = "Organisation as platformctl uses it in names (the lowercased --org): resources are named \"<org>-…\" and tagged Organization=<org>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$", var.org))
    error_message = "org must be 3-32 characters of a-z, 0-9 and '-', not starting or ending with '-' (the lowercased --org of platformctl)."
  }
}

variable "github_repository" {
  description = "The repository whose workflows may assume the roles, as \"owner/name\" exactly as GitHub spells it (the OIDC subject is case-sensitive)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must look like \"owner/name\" (letters, digits, '-', and for the name also '.' and '_'), with no wildcards."
  }
}

variable "main_branch" {
  description = "The branch whose runs of deploy_workflows may deploy (the subject's job_workflow_ref ends in @refs/heads/<branch>, and the token's ref claim must be refs/heads/<branch>)."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.main_branch)) && !can(regex("[*?]", var.main_branch))
    error_message = "main_branch must be a plain branch name (letters, digits, '.', '_', '/', '-'); wildcards are not allowed."
  }
}

variable "environments" {
  description = "GitHub environments (one per platformctl environment deployed to this account) in which jobs of deploy_workflows on main_branch may assume the deploy role (subject repo:<owner>/<name>:environment:<env>:job_workflow_ref:…)."
  type        = list(string)

  validation {
    condition     = length(var.environments) > 0 && alltrue([for env in var.environments : can(regex("^[a-z0-9][a-z0-9-]{0,30}$", env))])
    error_message = "environments must list at least one environment name of a-z, 0-9 and '-' (as in platform.toml)."
  }
}

variable "regions" {
  description = "AWS regions of the environments in this account; each has a state bucket named terraform-state-<org>-<region>."
  type        = list(string)

  validation {
    condition     = length(var.regions) > 0 && alltrue([for region in var.regions : can(regex("^[a-z]{2,4}(-[a-z]+)?-[a-z]+-[0-9]+$", region))])
    error_message = "regions must list at least one AWS region name such as \"us-east-1\"."
  }
}

variable "create_oidc_provider" {
  description = "Create the GitHub OIDC provider (token.actions.githubusercontent.com). Set to false when the account already has one and pass its ARN in existing_oidc_provider_arn."
  type        = bool
  default     = true
}

variable "existing_oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider in this account; used only when create_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.existing_oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.existing_oidc_provider_arn))
    error_message = "existing_oidc_provider_arn must be the ARN of an IAM OIDC provider for token.actions.githubusercontent.com."
  }
}

variable "oidc_thumbprints" {
  description = "Certificate thumbprints of token.actions.githubusercontent.com. AWS validates GitHub's certificate against its trusted CAs and ignores these, but the API accepts a list."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]

  validation {
    condition     = length(var.oidc_thumbprints) > 0 && alltrue([for t in var.oidc_thumbprints : can(regex("^[0-9a-f]{40}$", t))])
    error_message = "oidc_thumbprints must be a non-empty list of 40-character lowercase hex SHA-1 thumbprints."
  }
}

variable "role_path" {
  description = "IAM path of the two GitHub roles and of the workload permissions boundary. The deploy role may manage \"<org>-…\" IAM roles only with that boundary attached (no IAM writes, no role assumption), may not remove it, and may touch nothing under this path, so it cannot widen its own rights."
  type        = string
  default     = "/platformctl/github/"

  validation {
    condition     = can(regex("^/([A-Za-z0-9_+=,.@-]+/)+$", var.role_path))
    error_message = "role_path must start and end with '/' and hold at least one path segment, e.g. \"/platformctl/github/\"."
  }
}

variable "max_session_hours" {
  description = "Longest session of the deploy role in hours; a first deploy of EKS, the mesh and Kubeflow can take more than one hour."
  type        = number
  default     = 3

  validation {
    condition     = var.max_session_hours >= 1 && var.max_session_hours <= 12 && floor(var.max_session_hours) == var.max_session_hours
    error_message = "max_session_hours must be a whole number from 1 to 12 (the IAM limits)."
  }
}

variable "attachable_policy_arns" {
  description = "Managed policies the deploy role may attach to \"<org>-…\" roles (cluster, node and add-on roles), besides the org's own customer-managed policies."
  type        = list(string)
  default = [
    "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    "arn:aws:iam::aws:policy/AmazonEKSVPCResourceController",
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy",
  ]

  validation {
    condition     = alltrue([for arn in var.attachable_policy_arns : can(regex("^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/", arn))])
    error_message = "attachable_policy_arns must hold IAM policy ARNs (arn:aws:iam::aws:policy/… or arn:aws:iam::<account>:policy/…)."
  }
}

variable "tags" {
  description = "Extra tags for the OIDC provider and the roles (ManagedBy and Organization are always set)."
  type        = map(string)
  default     = {}
}

variable "state_kms_key_arns" {
  description = "KMS keys of state buckets created with `platformctl bootstrap --kms-key` (SSE-KMS); both roles get kms:Decrypt and kms:GenerateDataKey (the plan role writes lock files). Empty for SSE-S3."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.state_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", arn))])
    error_message = "state_kms_key_arns must hold KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "deploy_workflows" {
  description = "Workflow files under .github/workflows whose jobs on main_branch, in one of the environments, may assume the deploy role."
  type        = list(string)
  default     = ["apply.yml", "destroy.yml"]

  validation {
    condition     = length(var.deploy_workflows) > 0 && alltrue([for w in var.deploy_workflows : can(regex("^[A-Za-z0-9._-]+\\.ya?ml$", w))])
    error_message = "deploy_workflows must list workflow file names such as \"apply.yml\" (no paths, no wildcards)."
  }
}

variable "pull_request_plan_workflows" {
  description = "Workflow files under .github/workflows whose pull_request jobs (without an environment) may assume the plan role."
  type        = list(string)
  default     = ["validate-plan.yml"]

  validation {
    condition     = alltrue([for w in var.pull_request_plan_workflows : can(regex("^[A-Za-z0-9._-]+\\.ya?ml$", w))])
    error_message = "pull_request_plan_workflows must list workflow file names such as \"validate-plan.yml\" (no paths, no wildcards)."
  }
}

variable "main_plan_workflows" {
  description = "Workflow files under .github/workflows whose jobs on main_branch (without an environment) may assume the plan role."
  type        = list(string)
  default     = ["drift.yml"]

  validation {
    condition     = alltrue([for w in var.main_plan_workflows : can(regex("^[A-Za-z0-9._-]+\\.ya?ml$", w))])
    error_message = "main_plan_workflows must list workflow file names such as \"drift.yml\" (no paths, no wildcards)."
  }
}
