# root.hcl: shared configuration every unit of exampleorg includes.
# Rendered by platformctl from templates/root.hcl.j2; edit the template, not this file.

locals {
  org        = "exampleorg"
  env_vars   = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  region_cfg = read_terragrunt_config(find_in_parent_folders("region.hcl"))
  env        = local.env_vars.locals.env
  sandbox    = local.env_vars.locals.sandbox
  region     = local.region_cfg.locals.region
  component  = basename(get_terragrunt_dir())

  # The environment's AWS account ("": the caller's) and the role assumed there ({}: none).
  account_id  = local.env_vars.locals.account_id
  assume_role = local.env_vars.locals.assume_role

  # The sandbox talks to the local AWS emulator started by `platformctl sandbox up`.
  aws_endpoint = local.env_vars.locals.aws_endpoint
  sandbox_services = [
    "autoscaling", "cloudwatchlogs", "ec2", "efs", "eks", "elb", "elbv2", "fsx", "iam",
    "kms", "resourcegroupstaggingapi", "s3", "sts",
  ]
}

# Terragrunt drives OpenTofu.
terraform_binary = "tofu"

# A unit's command runs again (after init) when its output matches one of these transient
# errors; [retries] in platform.toml bounds the attempts and the pause. Each pattern names
# the error code or sentence, never a bare word, so a configuration error fails at once.
# OpenTofu wraps diagnostics at 78 columns, hence \s+ between words.
errors {
  retry "transient" {
    retryable_errors = [
      # AWS throttling once the SDK's own retries are spent (IAM/EKS "Throttling: Rate
      # exceeded", EC2 RequestLimitExceeded, S3 SlowDown, API Gateway and Lambda).
      "\\b(Throttling|ThrottlingException|TooManyRequestsException|RequestLimitExceeded|SlowDown):\\s",
      # IAM eventual consistency: a role or instance profile created in the same apply is
      # not yet visible to EKS (CreateCluster, CreateNodegroup) or EC2.
      "InvalidParameterException:\\s+Role\\s+with\\s+arn:\\s+\\S+\\s+could\\s+not\\s+be\\s+assumed\\s+because\\s+it\\s+does\\s+not\\s+exist\\s+or\\s+the\\s+trusted\\s+entity\\s+is\\s+not\\s+correct",
      "InvalidParameterException:\\s+The\\s+provided\\s+role\\s+doesn't\\s+have\\s+the\\s+Amazon\\s+EKS\\s+Managed\\s+Policies\\s+associated\\s+with\\s+it",
      "InvalidParameterValue:\\s+Value\\s+\\([^)]*\\)\\s+for\\s+parameter\\s+iamInstanceProfile\\.(name|arn)\\s+is\\s+invalid",
      # EKS busy with an earlier operation on the same cluster or node group.
      "ResourceInUseException:\\s+[^.]{0,200}\\bin\\s+progress",
      "ResourceInUseException:\\s+Cluster\\s+has\\s+nodegroups\\s+attached",
      # The Kubernetes API of a cluster that is starting, scaling or behind a moving load
      # balancer, and admission webhooks whose pods are not serving yet.
      "the\\s+server\\s+is\\s+currently\\s+unable\\s+to\\s+handle\\s+the\\s+request",
      "the\\s+server\\s+has\\s+received\\s+too\\s+many\\s+requests",
      "etcdserver:\\s+(request\\s+timed\\s+out|leader\\s+changed)",
      "failed\\s+calling\\s+webhook\\s+[\\s\\S]{0,300}?no\\s+endpoints\\s+available\\s+for\\s+service",
      # The connection itself: reset, lost, or a request that timed out (not a waiter that
      # ran out of time, which a retry would only repeat).
      "connection\\s+reset\\s+by\\s+peer",
      "http2:\\s+client\\s+connection\\s+lost",
      "dial\\s+tcp\\s+\\S+:\\s+i/o\\s+timeout",
      "net/http:\\s+TLS\\s+handshake\\s+timeout",
      "Client\\.Timeout\\s+exceeded\\s+while\\s+awaiting\\s+headers",
      "(Get|Post|Put|Patch|Delete)\\s+\"https://[^\"]+\":\\s+context\\s+deadline\\s+exceeded",
    ]
    max_attempts       = 3
    sleep_interval_sec = 10
  }

  # Terragrunt's own list (provider and module downloads, backend timeouts).
  retry "terragrunt_defaults" {
    retryable_errors   = get_default_retryable_errors()
    max_attempts       = 3
    sleep_interval_sec = 10
  }
}

remote_state {
  backend = "s3"
  # `platformctl bootstrap` creates the bucket (versioned, encrypted, public access
  # blocked, TLS only); terragrunt must neither create a weaker one nor change it.
  disable_init = true
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
  # env.hcl adds the sandbox's emulator settings, or the account, role and bucket (one per
  # account and region) of an environment that names its account_id (an empty map elsewhere).
  config = merge(
    {
      bucket       = "terraform-state-${local.org}-${local.region}"
      key          = "${local.env}/${local.component}/terraform.tfstate"
      region       = local.region
      encrypt      = true
      use_lockfile = true
    },
    local.env_vars.locals.backend_extra
  )
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-PROVIDER
    provider "aws" {
      region = "${local.region}"
    %{if local.sandbox~}
      access_key                  = "sandbox"
      secret_key                  = "sandbox"
      skip_credentials_validation = true
      skip_region_validation      = true
      skip_metadata_api_check     = true
      s3_use_path_style           = true
      endpoints {
    %{for service in local.sandbox_services~}
        ${service} = "${local.aws_endpoint}"
    %{endfor~}
      }
    %{endif~}
    %{if local.account_id != ""~}
      allowed_account_ids = ["${local.account_id}"]
    %{endif~}
    %{if length(local.assume_role) > 0~}
      assume_role {
    %{for key, value in local.assume_role~}
        ${key} = "${value}"
    %{endfor~}
      }
    %{endif~}
      default_tags {
        tags = {
          Organization = "${local.org}"
          Environment  = "${local.env}"
          Component    = "${local.component}"
          ManagedBy    = "platformctl"
        }
      }
    }
  PROVIDER
}

generate "versions" {
  path      = "versions_root.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-VERSIONS
    terraform {
      required_version = ">= 1.11.0"
    }
  VERSIONS
}
