"""The sandbox's emulator corrections, each shown against plain moto and the corrected one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from platformctl.sandbox.emulator import CORRECTIONS
from tests.fixtures.servers import MotoServer, start_moto

pytestmark = pytest.mark.real


@pytest.fixture(scope="module", params=["moto.server", "platformctl.sandbox.emulator"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MotoServer]:
    yield from start_moto(tmp_path_factory.mktemp("emulator"), request.param)


def _client(server: MotoServer, service: str) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=server.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_node_group_without_remote_access(
    server: MotoServer, request: pytest.FixtureRequest
) -> None:
    eks = _client(server, "eks")
    ec2 = _client(server, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    role = "arn:aws:iam::123456789012:role/emulator-test"
    eks.create_cluster(name="emu", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
    eks.create_nodegroup(clusterName="emu", nodegroupName="ng", subnets=subnets, nodeRole=role)
    group = eks.describe_nodegroup(clusterName="emu", nodegroupName="ng")["nodegroup"]
    if request.node.callspec.params["server"] == "moto.server":
        # The deviations the corrections exist for: plain moto invents an SSH key and
        # leaves out the default update configuration.
        assert group["remoteAccess"] == {"ec2SshKey": "eksKeypair"}
        assert not group.get("updateConfig")
    else:
        assert not group.get("remoteAccess")  # as AWS: none was requested
        assert group["updateConfig"] == {"maxUnavailable": 1}


def test_launch_template_tags_are_not_part_of_its_data(
    server: MotoServer, request: pytest.FixtureRequest
) -> None:
    ec2 = _client(server, "ec2")
    ec2.create_launch_template(
        LaunchTemplateName="emu-lt",
        LaunchTemplateData={
            "InstanceType": "t3.large",
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "node"}]}
            ],
        },
        TagSpecifications=[
            {"ResourceType": "launch-template", "Tags": [{"Key": "Owner", "Value": "x"}]}
        ],
    )
    (version,) = ec2.describe_launch_template_versions(LaunchTemplateName="emu-lt")[
        "LaunchTemplateVersions"
    ]
    kinds = [s["ResourceType"] for s in version["LaunchTemplateData"]["TagSpecifications"]]
    (template,) = ec2.describe_launch_templates(LaunchTemplateNames=["emu-lt"])["LaunchTemplates"]
    assert {"Key": "Owner", "Value": "x"} in template["Tags"]  # the template is tagged
    if request.node.callspec.params["server"] == "moto.server":
        assert kinds == ["instance", "launch-template"]
    else:
        assert kinds == ["instance"]


def test_every_correction_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text()
    for correction in CORRECTIONS:
        assert f"`{correction.name}`" in doc


def test_rule_that_references_a_group_keeps_its_description(
    server: MotoServer, request: pytest.FixtureRequest
) -> None:
    ec2 = _client(server, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc)["GroupId"]
    b = ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=a,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "UserIdGroupPairs": [{"GroupId": b, "Description": "from b"}],
            }
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [a]}])
    (rule,) = [r for r in rules["SecurityGroupRules"] if not r["IsEgress"]]
    if request.node.callspec.params["server"] == "moto.server":
        assert "Description" not in rule
    else:
        assert rule["Description"] == "from b"
