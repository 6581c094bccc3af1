"""add-cluster and eks-token against a real moto server: kubeconfig merge, token, errors."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from platformctl.aws.kubeconfig import platformctl_command
from tests.fixtures.repo_cli import Cli, assert_one_sentence
from tests.fixtures.servers import MotoServer, free_port

OTHERS = {
    "apiVersion": "v1",
    "kind": "Config",
    "preferences": {},
    "current-context": "other-a",
    "clusters": [
        {"name": "other-a", "cluster": {"server": "https://a.example:6443"}},
        {"name": "other-b", "cluster": {"server": "https://b.example:6443"}},
    ],
    "users": [
        {"name": "user-a", "user": {"token": "a-token"}},
        {
            "name": "user-b",
            "user": {"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5"},
        },
    ],
    "contexts": [
        {"name": "other-a", "context": {"cluster": "other-a", "user": "user-a"}},
        {"name": "other-b", "context": {"cluster": "other-b", "user": "user-b", "namespace": "ns"}},
    ],
}


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Path:
    path = tmp_path / "kube" / "config"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(OTHERS))
    path.chmod(0o644)
    return path


def _entry(doc: dict[str, object], kind: str, name: str) -> dict[str, object]:
    [found] = [e for e in doc[kind] if e["name"] == name]  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


@pytest.mark.real
def test_add_cluster_merges_keeps_others_and_is_idempotent(
    repo: Path,
    cli: Cli,
    aws_env: MotoServer,
    kubeconfig: Path,
    eks_cluster: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arn = eks_cluster("kubeone-dev-eks")
    second = tmp_path / "second-config"
    second.write_text("unrelated: true\n")
    # KUBECONFIG is a list: the first file is the one written, the others are left alone.
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(kubeconfig), str(second)]))

    result = cli("add-cluster", "--org", "KubeOne", "--env", "dev", "--json")
    assert result.code == 0, result.err
    info = result.json()
    assert info["kubeconfig"] == str(kubeconfig) and info["changed"] is True
    assert info["context"] == "kubeone-dev-us-east-1" and info["cluster"] == arn
    assert second.read_text() == "unrelated: true\n"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600

    doc = yaml.safe_load(kubeconfig.read_text())
    for kind in ("clusters", "users", "contexts"):
        for other in OTHERS[kind]:  # type: ignore[attr-defined]
            assert other in doc[kind]
    assert doc["current-context"] == "kubeone-dev-us-east-1"
    cluster = _entry(doc, "clusters", arn)["cluster"]
    assert cluster["server"].startswith("https://")  # type: ignore[index]
    assert cluster["certificate-authority-data"]  # type: ignore[index]
    assert _entry(doc, "contexts", "kubeone-dev-us-east-1")["context"] == {
        "cluster": arn,
        "user": arn,
    }
    plugin = _entry(doc, "users", arn)["user"]["exec"]  # type: ignore[index]
    assert plugin["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert plugin["command"] == platformctl_command()
    assert plugin["args"] == ["eks-token", "--cluster", "kubeone-dev-eks", "--region", "us-east-1"]

    before = kubeconfig.read_bytes()
    inode = kubeconfig.stat().st_ino
    again = cli("add-cluster", "--org", "KubeOne", "--env", "dev")
    assert again.code == 0, again.err
    assert "Unchanged" in again.out
    assert kubeconfig.read_bytes() == before and kubeconfig.stat().st_ino == inode


@pytest.mark.real
def test_add_cluster_alias_no_set_current_and_aws_exec(
    repo: Path, cli: Cli, aws_env: MotoServer, kubeconfig: Path, eks_cluster: Callable[[str], str]
) -> None:
    arn = eks_cluster("kubetwo-dev-eks")
    result = cli(
        "add-cluster",
        "--org",
        "kubetwo",
        "--env",
        "dev",
        "--kubeconfig",
        str(kubeconfig),
        "--alias",
        "dev",
        "--no-set-current",
        "--exec",
        "aws",
    )
    assert result.code == 0, result.err
    doc = yaml.safe_load(kubeconfig.read_text())
    assert doc["current-context"] == "other-a"
    assert _entry(doc, "contexts", "dev")["context"] == {"cluster": arn, "user": arn}
    plugin = _entry(doc, "users", arn)["user"]["exec"]  # type: ignore[index]
    assert plugin["command"] == "aws"
    assert plugin["args"] == [
        "--region",
        "us-east-1",
        "eks",
        "get-token",
        "--cluster-name",
        "kubetwo-dev-eks",
        "--output",
        "json",
    ]
    assert len(doc["clusters"]) == 3 and len(doc["contexts"]) == 3


@pytest.mark.real
def test_eks_token_is_a_presigned_get_caller_identity_url(
    repo: Path, cli: Cli, aws_env: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")  # the token names AWS's own STS endpoint
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result = cli("eks-token", "--cluster", "tokenorg-dev-eks", "--region", "us-east-1")
    assert result.code == 0, result.err
    cred = json.loads(result.out)
    assert cred["kind"] == "ExecCredential"
    assert cred["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    expires = dt.datetime.strptime(cred["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert (
        dt.timedelta(minutes=13)
        < expires.replace(tzinfo=dt.UTC) - start
        <= dt.timedelta(minutes=15)
    )

    token = cred["status"]["token"]
    assert token.startswith("k8s-aws-v1.") and "=" not in token
    encoded = token.removeprefix("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert parts.scheme == "https" and parts.netloc == "sts.us-east-1.amazonaws.com"
    assert query["Action"] == "GetCallerIdentity" and query["Version"] == "2011-06-15"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "60"
    assert (
        query["X-Amz-Credential"].startswith("testing/")
        and "/us-east-1/sts/" in query["X-Amz-Credential"]
    )
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"].split(";")
    assert len(query["X-Amz-Signature"]) == 64


@pytest.mark.real
def test_missing_cluster_is_an_input_error_and_leaves_kubeconfig_alone(
    repo: Path, cli: Cli, aws_env: MotoServer, kubeconfig: Path
) -> None:
    before = kubeconfig.read_bytes()
    result = cli(
        "add-cluster", "--org", "nocluster", "--env", "dev", "--kubeconfig", str(kubeconfig)
    )
    assert result.code == 2
    assert result.error.startswith("No EKS cluster named nocluster-dev-eks in us-east-1")
    assert_one_sentence(result.error)
    assert kubeconfig.read_bytes() == before


@pytest.mark.real
@pytest.mark.usefixtures("no_credentials")
def test_missing_credentials_is_an_input_error_and_leaves_kubeconfig_alone(
    repo: Path, cli: Cli, kubeconfig: Path
) -> None:
    before = kubeconfig.read_bytes()
    result = cli("add-cluster", "--org", "nocreds", "--env", "dev", "--kubeconfig", str(kubeconfig))
    assert result.code == 2
    assert result.error.startswith("No AWS credentials found")
    assert_one_sentence(result.error)
    assert kubeconfig.read_bytes() == before

    token = cli("eks-token", "--cluster", "nocreds-dev-eks", "--region", "us-east-1")
    assert token.code == 2 and token.out == ""
    assert token.error.startswith("No AWS credentials found")


@pytest.mark.real
def test_unreachable_endpoint_is_an_operation_error_and_leaves_kubeconfig_alone(
    repo: Path, cli: Cli, aws_env: MotoServer, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed)
    before = kubeconfig.read_bytes()
    result = cli("add-cluster", "--org", "offline", "--env", "dev", "--kubeconfig", str(kubeconfig))
    assert result.code == 1
    assert result.error.startswith("Could not describe EKS cluster offline-dev-eks")
    assert f"{closed}" in result.error and "unreachable" in result.error
    assert_one_sentence(result.error)
    assert kubeconfig.read_bytes() == before


@pytest.mark.real
def test_broken_kubeconfig_is_refused_before_anything_else(
    repo: Path, cli: Cli, aws_env: MotoServer, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.write_text("clusters: [unclosed\n")
    result = cli("add-cluster", "--org", "broken", "--env", "dev", "--kubeconfig", str(broken))
    assert result.code == 2 and "is not valid YAML" in result.error
    assert broken.read_text() == "clusters: [unclosed\n"


@pytest.mark.real
def test_sandbox_add_cluster_uses_the_emulator_then_the_local_control_plane(
    repo: Path, cli: Cli, tmp_path: Path
) -> None:
    import boto3

    from platformctl.report import SilentReporter
    from platformctl.sandbox import registry as sandbox
    from platformctl.sandbox.component import SandboxOptions

    up = sandbox.up(repo, SilentReporter(), SandboxOptions(port=free_port(), only=("moto",)))
    try:
        endpoint = up.components[0].endpoint
        eks = boto3.client(
            "eks",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )
        eks.create_cluster(
            name="sandorg-sandbox-eks",
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={"subnetIds": []},
        )
        path = tmp_path / "sandbox-kubeconfig"
        first = cli("add-cluster", "--org", "sandorg", "--kubeconfig", str(path), "--json")
        assert first.code == 0, first.err
        assert first.json()["source"] == "eks"
        doc = yaml.safe_load(path.read_text())
        plugin = doc["users"][0]["user"]["exec"]
        assert {"name": "AWS_ACCESS_KEY_ID", "value": "sandbox"} in plugin["env"]

        local = repo / ".platformctl" / "controlplane" / "kubeconfig"
        local.parent.mkdir(parents=True)
        local.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "admin",
                    "clusters": [
                        {
                            "name": "local",
                            "cluster": {
                                "server": "https://127.0.0.1:6443",
                                "certificate-authority-data": "Q0E=",
                            },
                        }
                    ],
                    "users": [
                        {
                            "name": "admin",
                            "user": {
                                "client-certificate-data": "Y2VydA==",
                                "client-key-data": "a2V5",
                            },
                        }
                    ],
                    "contexts": [
                        {"name": "admin", "context": {"cluster": "local", "user": "admin"}}
                    ],
                }
            )
        )
        second = cli("add-cluster", "--org", "sandorg", "--kubeconfig", str(path), "--json")
        assert second.code == 0, second.err
        assert second.json()["source"] == "controlplane"
        assert second.json()["server"] == "https://127.0.0.1:6443"
        doc = yaml.safe_load(path.read_text())
        assert len(doc["clusters"]) == 1  # replaced in place, not duplicated
        assert doc["users"][0]["user"] == {
            "client-certificate-data": "Y2VydA==",
            "client-key-data": "a2V5",
        }
    finally:
        sandbox.down(repo, SilentReporter())


@pytest.mark.parametrize(
    "args",
    [
        ("eks-token", "--cluster", "x-dev-eks", "--region", "us-east-1"),
        ("bootstrap", "--org", "ProfOrg", "--env", "dev"),
    ],
)
def test_a_mistyped_aws_profile_is_one_sentence_and_exit_2(
    repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: tuple[str, ...]
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_PROFILE", "prodd")
    result = cli(*args)
    assert result.code == 2, result.err
    assert result.error == (
        f"The AWS profile 'prodd' (AWS_PROFILE) is defined in neither {tmp_path / 'config'} "
        f"nor {tmp_path / 'credentials'}; fix the name, or unset AWS_PROFILE."
    )
