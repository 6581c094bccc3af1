"""The sandbox's emulator corrections, each shown against plain moto and the corrected one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from platformctl.sandbox.emulator import CORRECTIONS
from tests.fixtures.servers import MotoServer, client, start_moto

pytestmark = pytest.mark.real


@pytest.fixture(scope="module", params=["moto.server", "platformctl.sandbox.emulator"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MotoServer]:
    yield from start_moto(tmp_path_factory.mktemp("emulator"), request.param)


def _subnets(ec2: Any, vpc: str, prefix: str, zones: str) -> list[str]:
    """One /24 of `prefix`.0.0/16 in each of the us-east-1 `zones`."""
    return [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"{prefix}.{i}.0/24", AvailabilityZone=f"us-east-1{z}"
        )["Subnet"]["SubnetId"]
        for i, z in enumerate(zones)
    ]


def test_node_group_without_remote_access(
    server: MotoServer, request: pytest.FixtureRequest
) -> None:
    eks = client(server, "eks")
    ec2 = client(server, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = _subnets(ec2, vpc, "10.9", "ab")
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
    ec2 = client(server, "ec2")
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
    ec2 = client(server, "ec2")
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


def _refused(call: Any, *args: Any, **kwargs: Any) -> bool:
    from botocore.exceptions import ClientError

    try:
        call(*args, **kwargs)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "DependencyViolation", exc
        return True
    return False


def test_what_is_still_used_cannot_be_deleted(
    server: MotoServer, request: pytest.FixtureRequest
) -> None:
    ec2 = client(server, "ec2")
    elbv2 = client(server, "elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnets = _subnets(ec2, vpc, "10.7", "abc")
    node = ec2.create_security_group(GroupName="node", Description="n", VpcId=vpc)["GroupId"]
    lb_group = ec2.create_security_group(GroupName="lb", Description="l", VpcId=vpc)["GroupId"]
    referenced = ec2.create_security_group(GroupName="ref", Description="r", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(  # node admits ref, and itself
        GroupId=node,
        IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": referenced}, {"GroupId": node}]}
        ],
    )
    eni = ec2.create_network_interface(SubnetId=subnets[0], Groups=[node])["NetworkInterface"]
    lb = elbv2.create_load_balancer(Name="leftover", Subnets=subnets[1:], SecurityGroups=[lb_group])
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[2], AllocationId=eip)["NatGateway"]

    uses = [
        (ec2.delete_subnet, {"SubnetId": subnets[0]}),  # the interface's
        (ec2.delete_subnet, {"SubnetId": subnets[1]}),  # the load balancer's
        (ec2.delete_security_group, {"GroupId": node}),  # the interface's
        (ec2.delete_security_group, {"GroupId": lb_group}),  # the load balancer's
        (ec2.delete_security_group, {"GroupId": referenced}),  # in node's rule
    ]
    if request.node.callspec.params["server"] == "moto.server":
        # The deviation: every one of these goes; the NAT gateway's interface stays after
        # the gateway, its subnet goes all the same, and so does the VPC around both.
        assert not any(_refused(call, **kw) for call, kw in uses)
        ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
        interfaces = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
        assert len(interfaces["NetworkInterfaces"]) == 2
        assert not _refused(ec2.delete_subnet, SubnetId=subnets[2])
        assert not _refused(ec2.delete_vpc, VpcId=vpc)
        return
    assert all(_refused(call, **kw) for call, kw in uses)
    assert _refused(ec2.delete_vpc, VpcId=vpc)  # security groups are left
    # Once the users are gone, in the order a teardown must follow, each delete succeeds.
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"])
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])  # releases its interface
    ec2.release_address(AllocationId=eip)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_security_group(GroupId=node)  # its rule referenced ref; it only uses itself
    ec2.delete_security_group(GroupId=referenced)
    ec2.delete_security_group(GroupId=lb_group)
    ec2.delete_vpc(VpcId=vpc)
    assert not ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "NetworkInterfaces"
    ]
