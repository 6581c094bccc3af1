# The GitHub OIDC provider and the two roles GitHub Actions assumes:
#   deploy: apply and destroy, only a job of apply.yml or destroy.yml on the main branch that
#           runs in one of the listed GitHub environments (where required reviewers gate it);
#   plan:   read-only plans of pull requests and the nightly drift check on main.
# Both trusts expect the repository's customised OIDC subject template
# (local.oidc_subject_claim_keys, set once as docs/gitops.md shows).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  repo      = var.github_repository

  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.existing_oidc_provider_arn

  # GitHub's default subject, repo:<owner>/<name>:environment:<env>, is the same for a job of
  # any branch that names the environment; job_workflow_ref adds the workflow file and its ref.
  oidc_subject_claim_keys = ["repo", "context", "job_workflow_ref"]
  workflows_path          = "${local.repo}/.github/workflows"
  main_ref                = "refs/heads/${var.main_branch}"

  deploy_subjects = flatten([
    for env in var.environments : [
      for workflow in var.deploy_workflows :
      "repo:${local.repo}:environment:${env}:job_workflow_ref:${local.workflows_path}/${workflow}@${local.main_ref}"
    ]
  ])
  # `*` can only be a pull request's number: GitHub gives the context pull_request with the
  # ref refs/pull/<number>/merge, and escapes every ':' inside a claim value as %3A.
  plan_subjects = concat(
    [for workflow in var.pull_request_plan_workflows : "repo:${local.repo}:pull_request:job_workflow_ref:${local.workflows_path}/${workflow}@refs/pull/*/merge"],
    [for workflow in var.main_plan_workflows : "repo:${local.repo}:ref:${local.main_ref}:job_workflow_ref:${local.workflows_path}/${workflow}@${local.main_ref}"],
  )

  # An environment that names its account_id keeps its state in
  # terraform-state-<org>-<account>-<region>; one that does not, in the older name.
  state_buckets = flatten([for region in var.regions : [
    "terraform-state-${var.org}-${region}",
    "terraform-state-${var.org}-${local.account}-${region}",
  ]])

  tags = merge(var.tags, {
    Organization = var.org
    ManagedBy    = "platformctl"
    Component    = "account"
  })
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url             = "https://${local.oidc_host}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.oidc_thumbprints
  tags            = local.tags
}

data "aws_iam_policy_document" "deploy_trust" {
  statement {
    sid     = "GitHubMainAndEnvironments"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    # Exact subjects, no wildcards: other branches, tags, workflows, forks and pull requests
    # are refused.
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:sub"
      values   = local.deploy_subjects
    }

    # The ref that started the run: job_workflow_ref names a called reusable workflow, so
    # this also refuses another branch's job that calls apply.yml@main.
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:ref"
      values   = [local.main_ref]
    }
  }
}

data "aws_iam_policy_document" "plan_trust" {
  statement {
    sid     = "GitHubPullRequestsAndMain"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "${local.oidc_host}:sub"
      values   = local.plan_subjects
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.org}-github-deploy"
  path                 = var.role_path
  description          = "GitHub Actions of ${local.repo}: platformctl deploy/destroy (${join(", ", var.deploy_workflows)} on ${var.main_branch}, environments ${join(", ", var.environments)})."
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust.json
  max_session_duration = var.max_session_hours * 3600
  tags                 = local.tags

  lifecycle {
    precondition {
      condition     = var.create_oidc_provider || var.existing_oidc_provider_arn != null
      error_message = "With create_oidc_provider = false, set existing_oidc_provider_arn to the account's GitHub OIDC provider."
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${var.org}-github-plan"
  path                 = var.role_path
  description          = "GitHub Actions of ${local.repo}: read-only platformctl plans (pull requests, drift)."
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "deploy" {
  name   = "platformctl-deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

resource "aws_iam_role_policy" "deploy_state" {
  name   = "platformctl-state"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.state_read_write.json
}

resource "aws_iam_role_policy" "plan" {
  name   = "platformctl-plan"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.read.json
}

resource "aws_iam_role_policy" "plan_state" {
  name   = "platformctl-state"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.state_read_lock.json
}
