"""The sandbox tier: every part of the main job that needs no Terraform provider.

This is a test of those parts, not of the modules (the e2e tier applies the modules where
the providers resolve). In one throwaway repository, with platformctl run as a separate
process in a clean environment: `sandbox up`; `bootstrap` of the state backend; an EKS
cluster made in the emulator with boto3, then `add-cluster` and `eks-token` against it;
the Training Operator's chart from `platformctl chart training-operator` installed on the
local control plane with the pinned helm CLI, and its controller (built from the Go module
proxy) started by the sandbox; `train submit examples/pytorch-ddp` giving master and worker
pods on the fake nodes (GPU pods on the GPU node) and `train status` Succeeded; and
`sandbox down` leaving no process behind. The tests run in file order against one sandbox.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.locate import tool_path
from tests.conftest import REPO
from tests.fixtures.sandboxrepo import Sandbox, make_repo
from tests.fixtures.servers import free_port

pytestmark = pytest.mark.real

ORG = "TierOrg"
ENV = "sandbox"
CLUSTER = f"{ORG.lower()}-{ENV}-eks"
TOOLS = ("etcd", "kube-apiserver", "kwok", "helm", "kubectl", "training-operator")


def _tools() -> dict[str, Path]:
    found = {}
    for name in TOOLS:
        try:
            found[name] = tool_path(REPO, name)
        except ToolNotFoundError as exc:
            pytest.skip(f"SKIPPED: {exc.message} {exc.hint}")
    return found


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    _tools()
    root = tmp_path_factory.mktemp("sandbox-tier") / "repo"
    sandbox = make_repo(root, ("platform.toml", ".tool-versions", "templates", "examples"))
    sandbox.env["PLATFORMCTL_OFFLINE"] = "1"
    try:
        yield sandbox
    finally:
        sandbox.run("sandbox", "down", "--purge")


def _components(box: Sandbox) -> dict[str, dict[str, Any]]:
    status = box.run("sandbox", "status", "--json")
    return {c["name"]: c for c in status.json()["components"]}


def test_sandbox_up_starts_the_emulator_chart_repository_and_control_plane(box: Sandbox) -> None:
    # Free ports: a developer's own sandbox may hold the default ones.
    box.run("sandbox", "up", "--port", str(free_port()), "--charts-port", str(free_port())).check()
    components = _components(box)
    for name in ("moto", "charts", "controlplane"):
        assert components[name]["running"], components[name]
        endpoint = components[name].get("endpoint") or ""
        assert urllib.parse.urlsplit(endpoint).hostname in ("127.0.0.1", None), endpoint
    assert not components["training-operator"]["running"]  # waits for its CRD
    assert "waiting" in components["training-operator"]["detail"]


def test_bootstrap_makes_an_encrypted_versioned_state_bucket(box: Sandbox) -> None:
    box.run("render", "--org", ORG, "--env", ENV).check()
    done = box.run("bootstrap", "--org", ORG, "--env", ENV, "--json").check()
    from platformctl.model.config import load_platform, resolve_org
    from platformctl.model.naming import state_bucket

    bucket = state_bucket(resolve_org(ORG), load_platform(box.root).get(ENV))
    s3 = box.aws("s3")
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket in done.out
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("aws:kms", "AES256")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_add_cluster_and_eks_token_against_an_emulated_eks_cluster(
    box: Sandbox, tmp_path: Path
) -> None:
    ec2, eks = box.aws("ec2"), box.aws("eks")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    eks.create_cluster(
        name=CLUSTER,
        roleArn="arn:aws:iam::123456789012:role/tier-cluster",
        resourcesVpcConfig={"subnetIds": subnets},
    )
    kubeconfig = tmp_path / "kubeconfig"
    added = box.run(
        "add-cluster", "--org", ORG, "--env", ENV, "--kubeconfig", str(kubeconfig), "--json"
    ).check()
    # The emulator knows the cluster; the sandbox's control plane answers for it.
    assert added.json()["source"] == "controlplane"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    doc = yaml.safe_load(kubeconfig.read_text())
    assert doc["current-context"] == f"{ORG.lower()}-{ENV}-us-east-1"
    import kubernetes

    merged = kubernetes.config.new_client_from_config(str(kubeconfig))
    names = [n.metadata.name for n in kubernetes.client.CoreV1Api(merged).list_namespace().items]
    assert "default" in names  # the merged context reaches the API server

    token = box.run(
        "eks-token", "--cluster", CLUSTER, "--region", "us-east-1", env=box.sandbox_env()
    ).check()
    credential = token.json()
    assert credential["kind"] == "ExecCredential"
    encoded = credential["status"]["token"].removeprefix("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["Action"] == "GetCallerIdentity"
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"].split(";")


def test_the_operator_chart_installs_with_helm_and_the_controller_starts(box: Sandbox) -> None:
    chart = box.run("chart", "training-operator", "--json").check().json()
    assert chart["objects"] == 13
    helm = tool_path(REPO, "helm")
    kubeconfig = box.root / ".platformctl" / "controlplane" / "kubeconfig"
    from platformctl import proc

    proc.run(
        [
            helm,
            "install",
            "training-operator",
            chart["chart"],
            "--namespace",
            "kubeflow",
            "--create-namespace",
            "--kubeconfig",
            kubeconfig,
            "--wait",
            "--timeout",
            "180s",
        ],
        env={
            "HELM_CACHE_HOME": str(box.root / ".helm"),
            "HELM_CONFIG_HOME": str(box.root / ".helm"),
        },
        timeout=240,
    )
    box.run("sandbox", "up").check()  # the operator's CRD and webhook now exist: it starts
    operator = _components(box)["training-operator"]
    assert operator["running"], operator
    assert "1.9.2" in operator["detail"]


def _pods(box: Sandbox, job: str) -> list[Any]:
    import kubernetes

    client = kubernetes.config.new_client_from_config(
        str(box.root / ".platformctl" / "controlplane" / "kubeconfig")
    )
    core = kubernetes.client.CoreV1Api(client)
    selector = f"training.kubeflow.org/job-name={job}"
    return list(core.list_namespaced_pod("kubeflow", label_selector=selector).items)


def _submit(box: Sandbox, name: str, *options: str) -> dict[str, Any]:
    example = str(box.root / "examples" / "pytorch-ddp")
    done = box.run(
        *("train", "submit", example, "--org", ORG, "--env", ENV, "--json", "--name", name),
        *("--namespace", "kubeflow", "--epochs", "1", "--wait", "--timeout", "300", *options),
    ).check()
    result: dict[str, Any] = done.json()
    return result


def test_a_pytorchjob_runs_on_the_fake_nodes_and_succeeds(box: Sandbox) -> None:
    assert _submit(box, "ddp-cpu", "--workers", "2")["phase"] == "Succeeded"
    pods = _pods(box, "ddp-cpu")
    roles = sorted(p.metadata.labels["training.kubeflow.org/replica-type"] for p in pods)
    assert roles == ["master", "worker", "worker"]
    assert all(p.spec.node_name and "gpu" not in p.spec.node_name for p in pods)
    status = box.run(
        "train", "status", "ddp-cpu", "--org", ORG, "--env", ENV, "-n", "kubeflow", "--json"
    )
    assert status.check().json()["phase"] == "Succeeded"

    assert _submit(box, "ddp-gpu", "--workers", "1", "--gpus", "1")["phase"] == "Succeeded"
    gpu_pods = _pods(box, "ddp-gpu")
    assert len(gpu_pods) == 2
    assert all("gpu" in (p.spec.node_name or "") for p in gpu_pods)


def _our_processes(root: Path) -> list[str]:
    """Every live process whose command line names this repository's state directory."""
    mine = str(root / ".platformctl")
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if mine in cmdline:
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def test_sandbox_down_leaves_no_process(box: Sandbox) -> None:
    recorded = {c["name"]: c.get("pid") for c in _components(box).values()}
    assert _our_processes(box.root), "the sandbox's processes should be visible before down"
    box.run("sandbox", "down").check()
    assert _our_processes(box.root) == []
    for name, pid in recorded.items():
        if pid:
            assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"{name} pid {pid} is alive"
    assert json.loads(box.run("sandbox", "status", "--json").out)["running"] is False


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True
