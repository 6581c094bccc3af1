"""status: the inventory of what a fixture created in moto, found by tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.repo_cli import Cli, client
from tests.fixtures.servers import MotoServer


def _network(aws_env: MotoServer, org: str, env: str, cidr: str) -> dict[str, Any]:
    """A small VPC the way the vpc unit builds it, tagged like the rendered provider does."""
    ec2 = client(aws_env, "ec2")
    base = [
        {"Key": "Organization", "Value": org},
        {"Key": "Environment", "Value": env},
        {"Key": "ManagedBy", "Value": "platformctl"},
    ]

    def tags(kind: str, name: str) -> list[dict[str, Any]]:
        return [{"ResourceType": kind, "Tags": [*base, {"Key": "Name", "Value": name}]}]

    prefix = f"{org}-{env}"
    vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=tags("vpc", f"{prefix}-vpc"))["Vpc"][
        "VpcId"
    ]
    net = cidr.split(".")
    subnets = [
        ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"{net[0]}.{net[1]}.{i}.0/24",
            AvailabilityZone=f"us-east-1{az}",
            TagSpecifications=tags("subnet", f"{prefix}-private-{az}"),
        )["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    igw = ec2.create_internet_gateway(TagSpecifications=tags("internet-gateway", f"{prefix}-igw"))
    igw_id = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc)
    rtb = ec2.create_route_table(
        VpcId=vpc, TagSpecifications=tags("route-table", f"{prefix}-public")
    )
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=tags("elastic-ip", f"{prefix}-nat"))
    nat = ec2.create_nat_gateway(
        SubnetId=subnets[0],
        AllocationId=eip["AllocationId"],
        TagSpecifications=tags("natgateway", f"{prefix}-nat"),
    )
    sg = ec2.create_security_group(
        GroupName=f"{prefix}-nodes",
        Description="nodes",
        VpcId=vpc,
        TagSpecifications=tags("security-group", f"{prefix}-nodes"),
    )
    acl = ec2.create_network_acl(VpcId=vpc, TagSpecifications=tags("network-acl", f"{prefix}-acl"))
    return {
        "ec2:vpc": {vpc},
        "ec2:subnet": set(subnets),
        "ec2:internet-gateway": {igw_id},
        "ec2:route-table": {rtb["RouteTable"]["RouteTableId"]},
        "ec2:elastic-ip": {eip["AllocationId"]},
        "ec2:natgateway": {nat["NatGateway"]["NatGatewayId"]},
        "ec2:security-group": {sg["GroupId"]},
        "ec2:network-acl": {acl["NetworkAcl"]["NetworkAclId"]},
        "subnets": subnets,
    }


@pytest.mark.real
def test_status_lists_what_the_fixture_created(repo: Path, cli: Cli, aws_env: MotoServer) -> None:
    ours = _network(aws_env, "statusorg", "dev", "10.60.0.0/16")
    theirs = _network(aws_env, "otherorg", "dev", "10.61.0.0/16")
    eks = client(aws_env, "eks")
    eks.create_cluster(
        name="statusorg-dev-eks",
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": ours["subnets"]},
        tags={"Organization": "statusorg", "Environment": "dev"},
    )
    eks.create_nodegroup(
        clusterName="statusorg-dev-eks",
        nodegroupName="cpu",
        subnets=ours["subnets"],
        nodeRole="arn:aws:iam::123456789012:role/node",
        instanceTypes=["t3.large"],
        scalingConfig={"minSize": 1, "desiredSize": 2, "maxSize": 4},
        tags={"Organization": "statusorg", "Environment": "dev"},
    )

    missing = repo / "no-such-kubeconfig"
    result = cli(
        "status", "--org", "StatusOrg", "--env", "dev", "--json", "--kubeconfig", str(missing)
    )
    assert result.code == 0, result.err
    inv = result.json()
    assert (inv["org"], inv["env"], inv["region"]) == ("statusorg", "dev", "us-east-1")
    # The cluster exists but cannot be asked: status says why and still lists AWS.
    assert inv["components"] is None
    assert str(missing) in inv["components_error"]
    found: dict[str, set[str]] = {}
    for r in inv["resources"]:
        found.setdefault(r["type"], set()).add(r["id"])
    for kind, ids in ours.items():
        if kind.startswith("ec2:"):
            assert ids <= found.get(kind, set()), kind
    every_id = set().union(*found.values())
    for kind, ids in theirs.items():
        if kind.startswith("ec2:"):
            assert not ids & every_id, f"{kind} of another org listed"
    assert found["eks:cluster"] == {"statusorg-dev-eks"}
    [group] = [r for r in inv["resources"] if r["type"] == "eks:nodegroup"]
    assert group["id"] == "cpu"
    assert group["details"]["instance_types"] == "t3.large"
    assert group["details"]["size"].startswith("1/2/4")
    order = [r["type"] for r in inv["resources"]]
    assert order.index("ec2:vpc") < order.index("ec2:subnet") < order.index("eks:cluster")

    table = cli("status", "--org", "StatusOrg", "--env", "dev", "--kubeconfig", str(missing))
    assert table.code == 0, table.err
    assert "Components not checked" in table.out
    for label in (
        "VPC (1)",
        "Subnet (2)",
        "NAT gateway",
        "Internet gateway",
        "Route table",
        "Elastic IP",
        "Security group",
        "Network ACL",
        "EKS cluster",
        "EKS node group",
    ):
        assert label in table.out
    assert "statusorg-dev-vpc" in table.out


@pytest.mark.real
def test_status_of_an_empty_environment_says_so(repo: Path, cli: Cli, aws_env: MotoServer) -> None:
    result = cli("status", "--org", "emptyorg", "--env", "dev")
    assert result.code == 0, result.err
    assert "No resources tagged Organization=emptyorg, Environment=dev" in result.out


@pytest.mark.real
def test_deleted_nat_gateways_and_terminated_instances_are_not_left_over(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    ours = _network(aws_env, "goneorg", "dev", "10.62.0.0/16")
    ec2 = client(aws_env, "ec2")
    [nat] = ours["ec2:natgateway"]
    ec2.delete_nat_gateway(NatGatewayId=nat)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    tags = [{"Key": "Organization", "Value": "goneorg"}, {"Key": "Environment", "Value": "dev"}]
    running, stopped = [
        ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            SubnetId=ours["subnets"][0],
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )["Instances"][0]["InstanceId"]
        for _ in range(2)
    ]
    ec2.terminate_instances(InstanceIds=[stopped])
    # moto keeps both for good (AWS for about an hour), still tagged.
    states = {n["NatGatewayId"]: n["State"] for n in ec2.describe_nat_gateways()["NatGateways"]}
    assert states[nat] == "deleted"
    tagging = client(aws_env, "resourcegroupstaggingapi")
    listed = tagging.get_resources(TagFilters=[{"Key": "Organization", "Values": ["goneorg"]}])
    arns = " ".join(r["ResourceARN"] for r in listed["ResourceTagMappingList"])
    assert nat in arns and stopped in arns

    inv = cli("status", "--org", "goneorg", "--env", "dev", "--json").json()
    ids = {r["id"] for r in inv["resources"]}
    assert nat not in ids and stopped not in ids
    [instance] = [r for r in inv["resources"] if r["type"] == "ec2:instance"]
    assert (instance["id"], instance["details"]) == (running, {"state": "running"})
