"""The AWS names derived from (org, environment, region), and the limits they must fit.

Each entry is a name the templates or modules/ build, with the AWS limit of its kind
(for a `name_prefix`, the limit less the 26 characters OpenTofu appends). The org and
environment names are checked against all of them before anything is rendered, so a
long org fails with one sentence here rather than halfway through an apply.
tests/model/test_naming.py checks that every pattern still appears in templates/ or
modules/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from platformctl.errors import UsageError, quote

if TYPE_CHECKING:
    from platformctl.model.config import Environment, Org

PREFIX_SUFFIX = 26  # OpenTofu's unique suffix after a name_prefix
# The longest key of local.pod_identities in modules/eks/pod_identity.tf.
LONGEST_POD_IDENTITY = "aws-load-balancer-controller"


@dataclass(frozen=True)
class DerivedName:
    """One derived name: what it is, where it is built, how to build it, its limit."""

    what: str
    source: str  # the file that builds it, and the pattern as written there
    pattern: str
    build: Callable[[str, str, str], str]  # (org, env, region) -> name
    limit: int


def _cluster(org: str, env: str) -> str:
    return f"{org}-{env}-eks"


DERIVED: tuple[DerivedName, ...] = (
    DerivedName(
        "the S3 state bucket",
        "templates/root.hcl.j2",
        "terraform-state-${local.org}-${local.region}",
        lambda o, e, r: f"terraform-state-{o}-{r}",
        63,
    ),
    DerivedName(
        "the S3 training data bucket",
        "platformctl/model/naming.py",
        "{org}-{env}-training-data-{region}",
        lambda o, e, r: f"{o}-{e}-training-data-{r}",
        63,
    ),
    DerivedName(
        "the EKS cluster name",
        "platformctl/model/naming.py",
        "{org}-{env}-eks",
        lambda o, e, r: _cluster(o, e),
        100,
    ),
    DerivedName(
        "the GitHub deploy role (IAM)",
        "modules/account/main.tf",
        "${var.org}-github-deploy",
        lambda o, e, r: f"{o}-github-deploy",
        64,
    ),
    DerivedName(
        "the GitHub plan role (IAM)",
        "modules/account/main.tf",
        "${var.org}-github-plan",
        lambda o, e, r: f"{o}-github-plan",
        64,
    ),
    DerivedName(
        "the EKS cluster role (IAM)",
        "modules/eks/main.tf",
        "${var.cluster_name}-cluster",
        lambda o, e, r: f"{_cluster(o, e)}-cluster",
        64,
    ),
    DerivedName(
        "the EKS node role (IAM)",
        "modules/eks/main.tf",
        "${var.cluster_name}-node",
        lambda o, e, r: f"{_cluster(o, e)}-node",
        64,
    ),
    DerivedName(
        "the pod identity role of the AWS Load Balancer Controller (IAM)",
        "modules/eks/pod_identity.tf",
        "${var.cluster_name}-${each.key}",
        lambda o, e, r: f"{_cluster(o, e)}-{LONGEST_POD_IDENTITY}",
        64,
    ),
    DerivedName(
        "the VPC flow log role (IAM)",
        "modules/vpc/flow_logs.tf",
        "${var.name}-flow-logs",
        lambda o, e, r: f"{o}-{e}-vpc-flow-logs",
        64,
    ),
    DerivedName(
        "the permissions boundary policy (IAM)",
        "modules/account/boundary.tf",
        "${var.org}-platform-boundary",
        lambda o, e, r: f"{o}-platform-boundary",
        128,
    ),
    DerivedName(
        "the cluster security group name prefix",
        "modules/eks/main.tf",
        "${var.cluster_name}-cluster-",
        lambda o, e, r: f"{_cluster(o, e)}-cluster-",
        255 - PREFIX_SUFFIX,
    ),
    DerivedName(
        "the node launch template name prefix",
        "modules/eks/node_groups.tf",
        "${var.cluster_name}-${each.key}-",
        lambda o, e, r: f"{_cluster(o, e)}-cpu-",
        128 - PREFIX_SUFFIX,
    ),
    DerivedName(
        "the FSx security group name prefix",
        "modules/kubeflow/fsx.tf",
        "${var.cluster_name}-training-data",
        lambda o, e, r: f"{_cluster(o, e)}-training-data-",
        255 - PREFIX_SUFFIX,
    ),
    DerivedName(
        "the EKS secrets KMS alias",
        "modules/eks/main.tf",
        "alias/eks/${var.cluster_name}",
        lambda o, e, r: f"alias/eks/{_cluster(o, e)}",
        256,
    ),
)


# The state bucket of an environment that names its account_id (every account ID has 12
# digits): unique per account and region. Without account_id it keeps its old name.
ACCOUNT_STATE_BUCKET = DerivedName(
    "the S3 state bucket",
    "platformctl/model/naming.py",
    "terraform-state-{org.name}-{env.account_id}-{env.region}",
    lambda o, e, r: f"terraform-state-{o}-{'0' * 12}-{r}",
    63,
)


def check(org: str, env: str, region: str, *, with_account: bool = False) -> None:
    """Raise UsageError naming the first derived name that would exceed its AWS limit."""
    for item in (*DERIVED, ACCOUNT_STATE_BUCKET) if with_account else DERIVED:
        name = item.build(org, env, region)
        if len(name) > item.limit:
            raise UsageError(
                f"org {quote(org)} with environment {quote(env)} in {region} makes {item.what} "
                f"{len(name)} characters long ({quote(name)}), over the AWS limit of "
                f"{item.limit}: shorten the org or the environment name by "
                f"{len(name) - item.limit}."
            )


HELM_READERS_GROUP = "platformctl:helm-release-readers"


def state_bucket(org: Org, env: Environment) -> str:
    """terraform-state-<org>[-<account_id>]-<region>: the account only when platform.toml names it."""
    if env.account_id:
        return f"terraform-state-{org.name}-{env.account_id}-{env.region}"
    return f"terraform-state-{org.name}-{env.region}"


def resource_names(org: Org, env: Environment) -> dict[str, str]:
    """The AWS names of an environment's main resources (one source for every template).

    Raises UsageError when the org and environment names are too long for any of them.
    """
    check(org.name, env.name, env.region, with_account=bool(env.account_id))
    prefix = f"{org.name}-{env.name}"
    return {
        "vpc": f"{prefix}-vpc",
        "cluster": _cluster(org.name, env.name),
        "data_bucket": f"{prefix}-training-data-{env.region}",
        "state_bucket": state_bucket(org, env),
        # The permissions boundary that modules/account creates (under its default
        # role_path) and that roles made by the deploy role must carry. The sandbox has no
        # account bootstrap, so its roles carry none.
        "permissions_boundary": ""
        if env.sandbox
        else f"platformctl/github/{org.name}-platform-boundary",
        # The GitOps roles of modules/account (deploy: cluster admin; plan: view).
        "deploy_role": f"platformctl/github/{org.name}-github-deploy",
        "plan_role": f"platformctl/github/{org.name}-github-plan",
        # The Kubernetes group of the plan role's access entry: it may read helm's release
        # Secrets (RBAC in the mesh and kubeflow units), which EKS's view policy does not.
        "helm_readers_group": HELM_READERS_GROUP,
    }
