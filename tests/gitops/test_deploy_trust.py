"""The trust policies of modules/account, decided for GitHub OIDC tokens of real job shapes.

The policies are the module's own, evaluated from its HCL (tests/fixtures/iam_policies.py).
A token's subject is rendered as GitHub renders it under the module's subject template
(include_claim_keys, in order; "repo" is repo:<owner>/<name>; "context" is
environment:<name> for a job with an environment, else pull_request for a pull request,
else ref:<ref>; any other key is <key>:<claim>; ':' inside a value becomes %3A), per
GitHub's OpenID Connect reference ("Customizing the subject claims for an organization or
repository"). The decision follows IAM's rules for exactly the operators these policies use
(StringEquals, StringLike); any other operator fails the test instead of being guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import pytest

from tests.fixtures import iam_policies as iam
from tests.gitops import contract

HOST = "token.actions.githubusercontent.com"
PROVIDER_ARN = f"arn:aws:iam::{iam.ACCOUNT_ID}:oidc-provider/{HOST}"
ACTION = "sts:AssumeRoleWithWebIdentity"
REPO = "ExampleOrg/platform"
ENVIRONMENTS = ["dev", "prod"]
INPUTS = {**iam.SAMPLE_INPUTS["account"], "github_repository": REPO, "environments": ENVIRONMENTS}
DEFAULT_TEMPLATE = ("repo", "context")

# Claims AWS STS offers as condition keys <host>:<claim> for GitHub's provider (besides aud
# and sub); a policy key outside these is never in the request, so it would refuse everything.
STS_GITHUB_KEYS = (
    "aud",
    "sub",
    "actor",
    "actor_id",
    "job_workflow_ref",
    "repository",
    "repository_id",
    "workflow",
    "ref",
    "environment",
    "enterprise_id",
)


@cache
def _evaluator() -> iam.Evaluator:
    return iam.Evaluator(iam.load_module("account"), INPUTS)


def trust(role: str) -> dict[str, Any]:
    return _evaluator().document(f"{role}_trust")


def template() -> tuple[str, ...]:
    return tuple(_evaluator().local("oidc_subject_claim_keys"))


# --------------------------------------------------------------------------- GitHub's side


@dataclass(frozen=True)
class Job:
    """One job of a workflow run, as far as its OIDC token depends on it."""

    workflow: str  # file name under .github/workflows
    event: str
    ref: str
    environment: str | None = None
    repository: str = REPO
    called: str | None = None  # job_workflow_ref when the job runs a reusable workflow
    aud: str = "sts.amazonaws.com"

    def claims(self) -> dict[str, str]:
        claims = {
            "aud": self.aud,
            "repository": self.repository,
            "ref": self.ref,
            "event_name": self.event,
            "workflow": self.workflow.rsplit(".", 1)[0],
            "job_workflow_ref": self.called
            or f"{self.repository}/.github/workflows/{self.workflow}@{self.ref}",
        }
        if self.environment is not None:
            claims["environment"] = self.environment
        return claims


def _escape(value: str) -> str:
    return value.replace(":", "%3A")


def github_subject(claims: dict[str, str], keys: tuple[str, ...]) -> str:
    """The `sub` GitHub issues for these claims under the subject template `keys`."""
    parts = []
    for key in keys:
        if key == "repo":
            parts.append(f"repo:{_escape(claims['repository'])}")
        elif key == "context":
            if "environment" in claims:
                parts.append(f"environment:{_escape(claims['environment'])}")
            elif claims["event_name"] == "pull_request":
                parts.append("pull_request")
            else:
                parts.append(f"ref:{_escape(claims['ref'])}")
        else:
            parts.append(f"{key}:{_escape(claims[key])}")
    return ":".join(parts)


def request_context(job: Job, keys: tuple[str, ...] | None = None) -> dict[str, str]:
    """The condition keys STS sets for AssumeRoleWithWebIdentity with this job's token."""
    claims = job.claims()
    claims["sub"] = github_subject(claims, template() if keys is None else keys)
    return {f"{HOST}:{k}": claims[k] for k in STS_GITHUB_KEYS if k in claims}


# --------------------------------------------------------------------------- IAM's side


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def string_like(pattern: str, value: str) -> bool:
    """IAM StringLike: case-sensitive; `*` any run of characters, `?` one character."""
    regex = "".join(
        "(?s:.*)" if c == "*" else "(?s:.)" if c == "?" else re.escape(c) for c in pattern
    )
    return re.fullmatch(regex, value) is not None


OPERATORS = {"StringEquals": lambda want, got: want == got, "StringLike": string_like}


def _condition_holds(operator: str, key: str, wanted: list[str], context: dict[str, str]) -> bool:
    if operator not in OPERATORS:
        raise AssertionError(f"condition operator {operator} is not modelled by this test")
    if any("${" in str(w) for w in wanted):
        raise AssertionError(f"policy variables in {key} are not modelled by this test")
    # Condition key names are case-insensitive; values are compared case-sensitively.
    present = {k.lower(): v for k, v in context.items()}
    if key.lower() not in present:
        return False
    return any(OPERATORS[operator](str(w), present[key.lower()]) for w in wanted)


def _action_matches(pattern: str, action: str) -> bool:
    return string_like(pattern.lower(), action.lower())


def _applies(statement: dict[str, Any], principal: str, context: dict[str, str]) -> bool:
    if "NotPrincipal" in statement or "NotAction" in statement:
        raise AssertionError("NotPrincipal/NotAction are not modelled by this test")
    principals = statement["Principal"]
    if principals != "*" and principal not in _as_list(principals.get("Federated", [])):
        return False
    if not any(_action_matches(a, ACTION) for a in _as_list(statement["Action"])):
        return False
    return all(
        _condition_holds(operator, key, _as_list(wanted), context)
        for operator, keys in statement.get("Condition", {}).items()
        for key, wanted in keys.items()
    )


def may_assume(
    document: dict[str, Any], context: dict[str, str], principal: str = PROVIDER_ARN
) -> bool:
    """Whether the trust policy lets this web identity assume the role (an explicit Deny wins)."""
    matching = [s for s in document["Statement"] if _applies(s, principal, context)]
    if any(s["Effect"] == "Deny" for s in matching):
        return False
    return any(s["Effect"] == "Allow" for s in matching)


# --------------------------------------------------------------------------- cases

MAIN = "refs/heads/main"
APPLY_ON_MAIN = Job("apply.yml", "push", MAIN, environment="dev")

DEPLOY_ALLOWED = {
    "apply.yml pushed to main, environment dev": APPLY_ON_MAIN,
    "apply.yml on main, environment prod": replace(APPLY_ON_MAIN, environment="prod"),
    "apply.yml dispatched on main": replace(APPLY_ON_MAIN, event="workflow_dispatch"),
    "destroy.yml dispatched on main": Job("destroy.yml", "workflow_dispatch", MAIN, "dev"),
}

DEPLOY_REFUSED = {
    "same environment, branch feature/x": replace(
        APPLY_ON_MAIN, event="workflow_dispatch", ref="refs/heads/feature/x"
    ),
    "a branch named like main": replace(APPLY_ON_MAIN, ref="refs/heads/main-old"),
    "tag refs/tags/v1": replace(APPLY_ON_MAIN, ref="refs/tags/v1"),
    "pull request job naming the environment": Job(
        "validate-plan.yml", "pull_request", "refs/pull/7/merge", "dev"
    ),
    "pull request that runs apply.yml": replace(
        APPLY_ON_MAIN, event="pull_request", ref="refs/pull/7/merge"
    ),
    "another repository of the owner": replace(APPLY_ON_MAIN, repository="ExampleOrg/other"),
    "a fork": replace(APPLY_ON_MAIN, repository="someone/platform"),
    "a repository named with a different case": replace(
        APPLY_ON_MAIN, repository="exampleorg/platform"
    ),
    "another workflow file on main": replace(APPLY_ON_MAIN, workflow="evil.yml"),
    "drift.yml on main in the environment": replace(APPLY_ON_MAIN, workflow="drift.yml"),
    "apply.yml on main without an environment": replace(APPLY_ON_MAIN, environment=None),
    "an environment not listed": replace(APPLY_ON_MAIN, environment="staging"),
    "a job of feature/x calling apply.yml@main as a reusable workflow": replace(
        APPLY_ON_MAIN,
        workflow="caller.yml",
        ref="refs/heads/feature/x",
        called=f"{REPO}/.github/workflows/apply.yml@{MAIN}",
    ),
    "another audience": replace(APPLY_ON_MAIN, aud="https://github.com/ExampleOrg"),
}

PLAN_ALLOWED = {
    "validate-plan.yml on a pull request": Job(
        "validate-plan.yml", "pull_request", "refs/pull/42/merge"
    ),
    "drift.yml scheduled on main": Job("drift.yml", "schedule", MAIN),
    "drift.yml dispatched on main": Job("drift.yml", "workflow_dispatch", MAIN),
}

PLAN_REFUSED = {
    "drift.yml dispatched on feature/x": Job("drift.yml", "workflow_dispatch", "refs/heads/x"),
    "validate-plan.yml pushed to a branch": Job("validate-plan.yml", "push", "refs/heads/x"),
    "pull request of another repository": Job(
        "validate-plan.yml", "pull_request", "refs/pull/42/merge", repository="someone/platform"
    ),
    "pull request job in an environment": Job(
        "validate-plan.yml", "pull_request", "refs/pull/42/merge", environment="dev"
    ),
    "another workflow on a pull request": Job("evil.yml", "pull_request", "refs/pull/42/merge"),
    "tag refs/tags/v1": Job("drift.yml", "push", "refs/tags/v1"),
}


@pytest.mark.parametrize("job", DEPLOY_ALLOWED.values(), ids=DEPLOY_ALLOWED.keys())
def test_deploy_role_accepts_the_deploy_workflows_on_main(job: Job) -> None:
    context = request_context(job)
    assert may_assume(trust("deploy"), context), context


@pytest.mark.parametrize("job", DEPLOY_REFUSED.values(), ids=DEPLOY_REFUSED.keys())
def test_deploy_role_refuses_every_other_job(job: Job) -> None:
    context = request_context(job)
    assert not may_assume(trust("deploy"), context), context


@pytest.mark.parametrize("job", PLAN_ALLOWED.values(), ids=PLAN_ALLOWED.keys())
def test_plan_role_accepts_pull_requests_and_drift_on_main(job: Job) -> None:
    context = request_context(job)
    assert may_assume(trust("plan"), context), context


@pytest.mark.parametrize("job", PLAN_REFUSED.values(), ids=PLAN_REFUSED.keys())
def test_plan_role_refuses_other_jobs(job: Job) -> None:
    context = request_context(job)
    assert not may_assume(trust("plan"), context), context


def test_the_subject_of_the_deploy_job_is_the_documented_one() -> None:
    sub = request_context(APPLY_ON_MAIN)[f"{HOST}:sub"]
    assert sub == (
        f"repo:{REPO}:environment:dev:job_workflow_ref:{REPO}/.github/workflows/apply.yml@{MAIN}"
    )


@pytest.mark.parametrize("role", ["deploy", "plan"])
def test_tokens_under_githubs_default_template_are_refused(role: str) -> None:
    """Until the repository's template is set, the branch-agnostic subject is not enough."""
    for job in [*DEPLOY_ALLOWED.values(), *PLAN_ALLOWED.values()]:
        context = request_context(job, DEFAULT_TEMPLATE)
        assert not may_assume(trust(role), context), context


def test_another_identity_provider_is_refused() -> None:
    context = request_context(APPLY_ON_MAIN)
    other = f"arn:aws:iam::{iam.ACCOUNT_ID}:oidc-provider/gitlab.com"
    assert not may_assume(trust("deploy"), context, principal=other)


def test_policies_use_only_keys_sts_sets_for_github() -> None:
    for role in ("deploy", "plan"):
        for statement in trust(role)["Statement"]:
            for keys in statement.get("Condition", {}).values():
                for key in keys:
                    host, _, claim = key.partition(":")
                    assert host == HOST and claim in STS_GITHUB_KEYS, f"{role}: {key}"


def test_the_deploy_trust_matches_exact_values_only() -> None:
    (statement,) = trust("deploy")["Statement"]
    assert set(statement["Condition"]) == {"StringEquals"}
    assert set(statement["Condition"]["StringEquals"]) == {
        f"{HOST}:aud",
        f"{HOST}:sub",
        f"{HOST}:ref",
    }


def test_string_like_follows_iam_wildcards() -> None:
    assert string_like("a*c", "a/b:c")
    assert string_like("a?c", "abc") and not string_like("a?c", "abbc")
    assert not string_like("A*", "a") and not string_like("a.c", "abc")


# --------------------------------------------------------------------------- the workflows


def _role_jobs() -> list[tuple[str, str, dict[str, Any], set[str]]]:
    """(workflow file, role, job, trigger events) of every job that assumes an AWS role."""
    found = []
    for path in contract.workflow_files():
        doc = contract.load(path)
        events = set(contract.triggers(doc))
        for job in (doc.get("jobs") or {}).values():
            for step in job.get("steps") or []:
                if "configure-aws-credentials@" in str(step.get("uses", "")):
                    arn = str(step["with"]["role-to-assume"])
                    role = "deploy" if "AWS_DEPLOY_ROLE_ARN" in arn else "plan"
                    assert role == "deploy" or "AWS_PLAN_ROLE_ARN" in arn, f"{path.name}: {arn}"
                    found.append((path.name, role, job, events))
    return found


def test_every_job_that_assumes_a_role_is_trusted() -> None:
    """Each workflow job that assumes a role, in every event it runs on from main (or on a
    pull request), gets a token the role accepts."""
    jobs = _role_jobs()
    assert {role for _, role, _, _ in jobs} == {"deploy", "plan"}
    for name, role, job, events in jobs:
        environments = ENVIRONMENTS if "environment" in job else [None]
        for event in events:
            ref = "refs/pull/42/merge" if event == "pull_request" else MAIN
            for environment in environments:
                context = request_context(Job(name, event, ref, environment))
                assert may_assume(trust(role), context), f"{name} ({event}): {context}"


def test_docs_show_the_subject_template_of_the_module() -> None:
    body = json.dumps({"use_default": False, "include_claim_keys": list(template())})
    gitops = (contract.REPO / "docs" / "gitops.md").read_text(encoding="utf-8")
    assert "PUT /repos/{owner}/{repo}/actions/oidc/customization/sub" in gitops
    assert body in gitops, f"docs/gitops.md does not show the body {body}"
