"""The main job on the sandbox: deploy vpc, eks, mesh and kubeflow, train, re-plan, destroy.

The tests run in file order against one sandbox (the module fixture): each stage builds on
the one before, as a user's session would. The AWS side is checked with boto3 against the
emulator, the cluster side with the Kubernetes client against the local control plane.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO
from tests.e2e.conftest import ENV, ORG, Sandbox

pytestmark = [pytest.mark.real, pytest.mark.e2e]

ORG_TAG = [{"Name": "tag:Organization", "Values": [ORG.lower()]}]
CLUSTER = f"{ORG.lower()}-{ENV}-eks"
ENTRY_RE = re.compile(r"\n(?=\d{4}-\d\d-\d\dT)")
FIELD_RE = re.compile(r'(rpc\.service|rpc\.method|http\.url|net\.peer\.name)=("[^"]*"|\S+)')
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _unit_rows(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (env,) = result["environments"]
    return {unit["name"]: unit for unit in env["units"]}


def test_deploy_vpc_creates_the_network(sandbox: Sandbox) -> None:
    sandbox.run("deploy", "vpc", "--org", ORG, "--env", ENV, "--yes").check()

    ec2 = sandbox.aws("ec2")
    (vpc,) = ec2.describe_vpcs(Filters=ORG_TAG)["Vpcs"]
    assert vpc["CidrBlock"] == "10.1.0.0/16"
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = ec2.describe_subnets(Filters=vpc_filter)["Subnets"]
    assert len(subnets) == 6
    assert len({s["AvailabilityZone"] for s in subnets}) == 3
    nats = ec2.describe_nat_gateways(Filters=vpc_filter)["NatGateways"]
    assert len([n for n in nats if n["State"] == "available"]) == 3
    flow_logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])
    assert len(flow_logs["FlowLogs"]) == 1


def test_deploy_eks_creates_the_cluster_and_node_groups(sandbox: Sandbox) -> None:
    sandbox.run("deploy", "eks", "--org", ORG, "--env", ENV, "--yes").check()

    eks = sandbox.aws("eks")
    cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
    assert cluster["version"] == "1.35"
    assert cluster["encryptionConfig"][0]["resources"] == ["secrets"]
    groups = {
        name: eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=name)["nodegroup"]
        for name in eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]
    }
    by_pool = {g["labels"]["platformctl.io/pool"]: g for g in groups.values()}
    assert set(by_pool) == {"cpu", "gpu"}
    assert by_pool["gpu"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
    ]
    assert by_pool["gpu"]["labels"]["nvidia.com/gpu.present"] == "true"
    assert by_pool["cpu"].get("taints", []) == []
    # As on AWS: a node group created without remote access has none (the emulator is
    # corrected to say so; see platformctl.sandbox.emulator).
    assert all(not g.get("remoteAccess") for g in groups.values())

    roles = [r["RoleName"] for r in sandbox.aws("iam").list_roles()["Roles"]]
    assert f"{CLUSTER}-cluster" in roles
    assert f"{CLUSTER}-node" in roles
    keys = _org_keys(sandbox)
    assert any(k["KeyState"] == "Enabled" for k in keys)


def test_deploy_mesh_installs_istio_ambient_kiali_prometheus(sandbox: Sandbox) -> None:
    sandbox.run("deploy", "mesh", "--org", ORG, "--env", ENV, "--yes").check()

    releases = _helm_releases(sandbox)
    for name in (
        "aws-load-balancer-controller",
        "istio-base",
        "istiod",
        "istio-cni",
        "ztunnel",
        "istio-ingress",
        "kiali-server",
        "prometheus",
    ):
        assert releases.get(name) == "deployed", (name, releases)
    apps = _api(sandbox, "AppsV1Api")
    ingress = apps.read_namespaced_deployment("istio-ingress", "istio-ingress")
    annotations = ingress.spec.template.metadata.annotations or {}
    assert "kubectl.kubernetes.io/restartedAt" in annotations  # post-install restarted it
    service = _api(sandbox, "CoreV1Api").read_namespaced_service("istio-ingress", "istio-ingress")
    assert service.spec.type == "ClusterIP"  # no cloud load balancer in the sandbox


def test_deploy_kubeflow_installs_the_training_stack(sandbox: Sandbox) -> None:
    sandbox.run("deploy", "kubeflow", "--org", ORG, "--env", ENV, "--yes").check()

    releases = _helm_releases(sandbox)
    assert releases.get("training-operator") == "deployed", releases
    assert releases.get("gpu-operator") == "deployed", releases
    crds = _api(sandbox, "ApiextensionsV1Api").list_custom_resource_definition().items
    assert "pytorchjobs.kubeflow.org" in {c.metadata.name for c in crds}
    apps = _api(sandbox, "AppsV1Api")
    operator = apps.read_namespaced_deployment("training-operator", "kubeflow")
    assert (operator.status.available_replicas or 0) >= 1


def _submit(sandbox: Sandbox, name: str, *options: str) -> Any:
    example = str(REPO / "examples" / "pytorch-ddp")
    done = sandbox.run(
        *("train", "submit", example, "--org", ORG, "--env", ENV, "--json", "--name", name),
        *("--namespace", "kubeflow"),
        *("--epochs", "1", "--wait", "--timeout", "300", *options),
    ).check()
    assert done.json()["phase"] == "Succeeded", done.out
    selector = f"training.kubeflow.org/job-name={name}"
    return _api(sandbox, "CoreV1Api").list_namespaced_pod("kubeflow", label_selector=selector).items


def test_a_distributed_training_job_succeeds(sandbox: Sandbox) -> None:
    pods = _submit(sandbox, "ddp-cpu", "--workers", "2")
    assert len(pods) == 3  # master + 2 workers, created by the running operator
    nodes = {p.spec.node_name for p in pods}
    assert all(n and "gpu" not in n for n in nodes), nodes

    (master,) = _submit(sandbox, "ddp-gpu", "--workers", "0", "--gpus", "1")
    assert "gpu" in master.spec.node_name


def test_replan_shows_no_changes_in_any_unit(sandbox: Sandbox) -> None:
    done = sandbox.run("plan-all", "--org", ORG, "--env", ENV, "--json")
    units = _unit_rows(done.json())
    assert set(units) == {"vpc", "eks", "mesh", "kubeflow"}
    for name, unit in units.items():
        assert unit["status"] != "failed", unit["error_tail"]
        assert (unit["add"], unit["change"], unit["replace"], unit["destroy"]) == (0, 0, 0, 0), (
            f"{name} is not idempotent: {unit}"
        )
        assert not unit["used_mock_outputs"]
    assert done.code == 0, done.err[-3000:]


def test_destroy_all_leaves_nothing_of_the_org(sandbox: Sandbox) -> None:
    done = sandbox.run("destroy", "all", "--org", ORG, "--env", ENV, "--yes").check()
    # destroy all ends with the inventory of the environment, which must be empty.
    assert f"0 resources left tagged for {ORG.lower()}/{ENV} in " in done.out, done.out[-3000:]

    assert _helm_releases(sandbox) == {}
    assert sandbox.aws("ec2").describe_vpcs(Filters=ORG_TAG)["Vpcs"] == []
    assert sandbox.aws("eks").list_clusters()["clusters"] == []
    roles = [r["RoleName"] for r in sandbox.aws("iam").list_roles()["Roles"]]
    assert [r for r in roles if r.startswith(ORG.lower())] == []
    # KMS keys cannot be deleted at once on AWS either: every key of the org is scheduled.
    assert all(k["KeyState"] == "PendingDeletion" for k in _org_keys(sandbox))


def _requests(log: str) -> list[dict[str, str]]:
    """The fields of every "HTTP Request Sent" entry of a provider debug log.

    An entry is a timestamped line and its indented continuation lines; bodies (lines
    starting with "|") are left out, since a policy document in a body names hosts such as
    ec2.amazonaws.com that nobody dialled.
    """
    found = []
    for entry in ENTRY_RE.split(log):
        if "HTTP Request Sent" not in entry:
            continue
        fields = "\n".join(line for line in entry.splitlines() if not line.lstrip().startswith("|"))
        found.append({k: v.strip('"') for k, v in FIELD_RE.findall(fields)})
    return found


def test_providers_only_talked_to_loopback(sandbox: Sandbox) -> None:
    """Every request in the providers' debug log of the whole run went to 127.0.0.1."""
    log = sandbox.tf_log.read_text(encoding="utf-8", errors="replace")
    requests = _requests(log)
    assert len(requests) > 100, "the provider debug log shows too few requests to judge"
    assert all("http.url" in r for r in requests), [r for r in requests if "http.url" not in r][:3]
    hosts = {urlsplit(r["http.url"]).hostname for r in requests}
    hosts |= {r["net.peer.name"] for r in requests if "net.peer.name" in r}
    assert hosts <= LOOPBACK, f"requests left the machine: {sorted(hosts - LOOPBACK)}"
    assert "169.254.169.254" not in log


def test_control_plane_never_dialled_out(sandbox: Sandbox) -> None:
    from platformctl.sandbox.controlplane import egress_findings

    assert egress_findings(sandbox.root) == []


def _helm_releases(sandbox: Sandbox) -> dict[str, str]:
    """name -> status of the newest revision of every Helm release (Helm's own Secrets)."""
    secrets = _api(sandbox, "CoreV1Api").list_secret_for_all_namespaces(label_selector="owner=helm")
    newest: dict[str, tuple[int, str]] = {}
    for secret in secrets.items:
        labels = secret.metadata.labels
        version = int(labels.get("version", "0"))
        if version >= newest.get(labels["name"], (-1, ""))[0]:
            newest[labels["name"]] = (version, labels.get("status", ""))
    return {name: status for name, (_, status) in newest.items()}


def _api(sandbox: Sandbox, name: str) -> Any:
    """A Kubernetes client API (CoreV1Api, AppsV1Api, …) for the sandbox control plane."""
    import kubernetes

    client = kubernetes.config.new_client_from_config(
        str(sandbox.root / ".platformctl" / "controlplane" / "kubeconfig")
    )
    return getattr(kubernetes.client, name)(client)


def _org_keys(sandbox: Sandbox) -> list[dict[str, Any]]:
    kms = sandbox.aws("kms")
    keys = []
    for key in kms.list_keys()["Keys"]:
        tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
        if {"TagKey": "Organization", "TagValue": ORG.lower()} in tags:
            keys.append(kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"])
    return keys


SERVICE_PREFIX = {
    "EC2": "ec2",
    "EKS": "eks",
    "IAM": "iam",
    "KMS": "kms",
    "CloudWatch Logs": "logs",
    "STS": "sts",
    "S3": "s3",
    "SSM": "ssm",
    "Auto Scaling": "autoscaling",
    "Elastic Load Balancing v2": "elasticloadbalancing",
    "FSx": "fsx",
    "EFS": "elasticfilesystem",
}


def test_the_deploy_role_allows_every_call_the_providers_made(sandbox: Sandbox) -> None:
    """Each AWS API call of the whole run (from the providers' debug log) is an action some
    Allow statement of modules/account's deploy policy names (resources and conditions are
    AWS's to evaluate; the emulator does not)."""
    import fnmatch

    log = sandbox.tf_log.read_text(encoding="utf-8", errors="replace")
    calls = {
        f"{SERVICE_PREFIX.get(r['rpc.service'], r['rpc.service'].lower())}:{r['rpc.method']}"
        for r in _requests(log)
        if "rpc.service" in r and "rpc.method" in r
    }
    # The provider looks up its account with iam:GetUser before sts:GetCallerIdentity; for a
    # role that call fails whatever any policy says, and the provider falls back to STS.
    calls -= {"iam:GetUser"}
    assert len(calls) > 20, sorted(calls)
    allowed = _deploy_policy_actions()
    missing = sorted(
        call
        for call in calls
        if not any(fnmatch.fnmatch(call.lower(), pattern.lower()) for pattern in allowed)
    )
    assert missing == [], f"the deploy role lacks: {missing}"


def _deploy_policy_actions() -> set[str]:
    """The actions of the Allow statements of the deploy role's policies (modules/account)."""
    from platformctl.model.render import parse_hcl

    path = REPO / "modules" / "account" / "policies.tf"
    parsed = parse_hcl(path.read_text(encoding="utf-8"), path)
    local_lists = {}
    for block in parsed.get("locals", []):
        for name, value in block.items():
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                local_lists[name] = [v.strip('"') for v in value]
    documents = {
        name: body
        for block in parsed.get("data", [])
        for kind, named in block.items()
        if kind.strip('"') == "aws_iam_policy_document"
        for name, body in named.items()
    }
    actions: set[str] = set(f"ec2:{a}" for a in local_lists["ec2_tagged_creates"])
    for name in ('"deploy"', '"read"', '"state_read_write"'):
        body = documents.get(name) or documents[name.strip('"')]
        for statement in body.get("statement", []):
            if str(statement.get("effect", "Allow")).strip('"') == "Deny":
                continue
            raw = statement.get("actions", [])
            if isinstance(raw, str) and "read_actions" in raw:
                actions.update(local_lists["read_actions"])
            elif isinstance(raw, list):
                actions.update(str(a).strip('"') for a in raw if ":" in str(a))
    return actions
