output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the roles trust."
  value       = local.oidc_provider_arn
}

output "deploy_role_arn" {
  description = "Role for apply and destroy; set it as the GitHub variable AWS_DEPLOY_ROLE_ARN (repository or per environment)."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Name of the deploy role (for EKS access entries: cluster admin)."
  value       = aws_iam_role.deploy.name
}

output "plan_role_arn" {
  description = "Read-only role for pull-request plans and drift checks; set it as the GitHub variable AWS_PLAN_ROLE_ARN."
  value       = aws_iam_role.plan.arn
}

output "plan_role_name" {
  description = "Name of the plan role (for EKS access entries: view)."
  value       = aws_iam_role.plan.name
}

output "trusted_subjects" {
  description = "The OIDC subjects each role accepts, for review."
  value = {
    deploy = local.deploy_subjects
    plan   = local.plan_subjects
  }
}

output "github_variables" {
  description = "Repository variables the workflows read (Settings -> Secrets and variables -> Actions -> Variables)."
  value = {
    AWS_DEPLOY_ROLE_ARN = aws_iam_role.deploy.arn
    AWS_PLAN_ROLE_ARN   = aws_iam_role.plan.arn
    ORG_NAME            = var.org
  }
}

output "workload_boundary_arn" {
  description = "Permissions boundary every role created by the units must carry (the units pass it as permissions_boundary_arn)."
  value       = aws_iam_policy.workload_boundary.arn
}

output "github_oidc_subject_template" {
  description = "Body of the one-time PUT /repos/{owner}/{repo}/actions/oidc/customization/sub (docs/gitops.md): the repository's OIDC subject template that both trust policies expect."
  value = {
    use_default        = false
    include_claim_keys = local.oidc_subject_claim_keys
  }
}
