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

  # The sandbox talks to the local AWS emulator started by `platformctl sandbox up`.
  aws_endpoint = local.env_vars.locals.aws_endpoint
  sandbox_services = [
    "autoscaling", "cloudwatchlogs", "ec2", "efs", "eks", "elb", "elbv2", "fsx", "iam",
    "kms", "resourcegroupstaggingapi", "s3", "sts",
  ]
}

# Terragrunt drives OpenTofu.
terraform_binary = "tofu"

remote_state {
  backend = "s3"
  # `platformctl bootstrap` creates the bucket (versioned, encrypted, public access
  # blocked, TLS only); terragrunt must neither create a weaker one nor change it.
  disable_init = true
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
  # env.hcl adds the sandbox's emulator settings (an empty map elsewhere).
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
