"""sweep against a real moto server: what controllers leave behind, found by exact tags.

The resources are created outside OpenTofu the way the AWS Load Balancer Controller, the
VPC CNI and the EBS CSI driver create them (tests/fixtures/leftovers.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from platformctl.aws import sweep
from platformctl.aws.session import AwsTarget
from platformctl.model.config import load_platform, resolve_org
from platformctl.report import SilentReporter
from tests.fixtures.leftovers import (
    client,
    controller_tags,
    exists,
    network,
    plant,
    remaining,
    unit_tags,
)
from tests.fixtures.repo_cli import Cli, assert_one_sentence
from tests.fixtures.servers import MotoServer, start_moto

pytestmark = pytest.mark.real

# The sweep deletes in this order; the JSON's "deleted" list is in deletion order.
ORDER = [
    "elasticloadbalancing:loadbalancer",
    "elasticloadbalancing:targetgroup",
    "ec2:network-interface",
    "ec2:security-group",
    "ec2:volume",
    "logs:log-group",
    "kms:key",
]


def _org() -> str:
    return f"sw{uuid.uuid4().hex[:8]}"


def _cidr() -> str:
    return f"10.{uuid.uuid4().int % 200 + 20}.0.0/16"


def _delete_network(moto: MotoServer, subnets: list[str], vpc: str) -> None:
    ec2 = client(moto, "ec2")
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_plain_vpc_delete_is_refused_then_leaks_what_the_controllers_made_and_the_sweep_finds_it(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    org = _org()
    net = network(aws_env, unit_tags(org, "dev", "vpc"), _cidr())
    planted = plant(aws_env, org, "dev", net)
    ec2 = client(aws_env, "ec2")

    # What moto does (measured): DeleteVpc refuses while subnets remain ...
    with pytest.raises(ClientError) as refused:
        ec2.delete_vpc(VpcId=net.vpc)
    assert refused.value.response["Error"]["Code"] == "DependencyViolation"
    # ... but DeleteSubnet does not check the NLB or the interface in it (AWS answers
    # DependencyViolation), and then DeleteVpc succeeds: everything the controllers made
    # outlives the VPC.
    _delete_network(aws_env, net.subnets, net.vpc)
    assert not exists(aws_env, "ec2:vpc", net.vpc)
    assert remaining(aws_env, planted) == planted.ids

    # status counts them: they carry the cluster's tags, not the units'.
    listed = cli("status", "--org", org, "--env", "dev", "--json")
    assert listed.code == 0, listed.err
    assert {r["type"] for r in listed.json()["resources"]} == set(planted.ids)

    done = cli("sweep", "--org", org, "--env", "dev", "--yes", "--json")
    assert done.code == 0, done.err
    assert remaining(aws_env, planted) == {}
    after = cli("status", "--org", org, "--env", "dev", "--json").json()
    assert after["resources"] == []
    assert [k["id"] for k in after["scheduled_for_deletion"]] == list(planted.ids["kms:key"])


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """The sandbox's emulator: moto with its corrections, as `sandbox up` runs it."""
    yield from start_moto(tmp_path_factory.mktemp("emulator"), "platformctl.sandbox.emulator")


def test_on_the_sandbox_emulator_leftovers_block_the_network_as_on_aws_until_swept(
    repo: Path, cli: Cli, emulator: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    org = _org()
    net = network(emulator, unit_tags(org, "dev", "vpc"), _cidr())
    planted = plant(emulator, org, "dev", net)
    ec2 = client(emulator, "ec2")

    # Unlike plain moto (the test above), the network cannot go while the controller's
    # load balancer, interfaces and security group are in it: a destroy of the vpc unit
    # fails here as it does on AWS, which is what `destroy --sweep` is for.
    refused = []
    for subnet in net.subnets:
        with pytest.raises(ClientError) as error:
            ec2.delete_subnet(SubnetId=subnet)
        refused.append(error.value.response["Error"]["Code"])
    assert refused == ["DependencyViolation"] * len(net.subnets)
    with pytest.raises(ClientError):
        ec2.delete_vpc(VpcId=net.vpc)
    assert remaining(emulator, planted) == planted.ids

    done = cli("sweep", "--org", org, "--env", "dev", "--yes", "--json")
    assert done.code == 0, done.err
    assert remaining(emulator, planted) == {}
    _delete_network(emulator, net.subnets, net.vpc)  # unblocked
    assert not exists(emulator, "ec2:vpc", net.vpc)


def test_sweep_deletes_in_dependency_order_then_the_vpc_deletes_and_status_is_empty(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    org = _org()
    net = network(aws_env, unit_tags(org, "dev", "vpc"), _cidr())
    planted = plant(aws_env, org, "dev", net)
    # A rule naming a group (here its own) must go before the group can (AWS refuses).
    [sg] = planted.ids["ec2:security-group"]
    client(aws_env, "ec2").authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "UserIdGroupPairs": [{"GroupId": sg}],
            }
        ],
    )

    done = cli("sweep", "--org", org, "--env", "dev", "--yes", "--json")
    assert done.code == 0, done.err
    doc = done.json()
    assert doc["ok"] and not doc["failed"]
    deleted = doc["deleted"]
    assert {(d["type"], d["id"]) for d in deleted} == {
        (kind, i) for kind, ids in planted.ids.items() for i in ids
    }
    assert [d["type"] for d in deleted] == ORDER
    # Each is listed with its tags and the query that found it.
    [lb] = [d for d in deleted if d["type"] == ORDER[0]]
    assert lb["tags"]["elbv2.k8s.aws/cluster"] == f"{org}-dev-eks"
    assert lb["found_by"] == "load balancer controller"
    assert remaining(aws_env, planted) == {}

    _delete_network(aws_env, net.subnets, net.vpc)
    assert not exists(aws_env, "ec2:vpc", net.vpc)
    status = cli("status", "--org", org, "--env", "dev", "--json")
    assert status.code == 0, status.err
    assert status.json()["resources"] == []
    assert "No resources tagged" in cli("status", "--org", org, "--env", "dev").out


def test_dry_run_lists_with_tags_and_deletes_nothing(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    org = _org()
    net = network(aws_env, unit_tags(org, "dev", "vpc"), _cidr())
    planted = plant(aws_env, org, "dev", net)

    listed = cli("sweep", "--org", org, "--env", "dev", "--dry-run", "--json")
    assert listed.code == 0, listed.err
    doc = listed.json()
    assert doc["dry_run"] and doc["deleted"] == []
    assert {d["id"] for d in doc["to_delete"]} == planted.all_ids()
    table = cli("sweep", "--org", org, "--env", "dev", "--dry-run")
    assert table.code == 0, table.err
    assert "7 resource(s) would be deleted" in table.out
    assert "nothing was deleted (dry run)" in table.out
    assert f"elbv2.k8s.aws/cluster={org}-dev-eks" in table.out
    assert remaining(aws_env, planted) == planted.ids


def test_other_environments_and_untagged_resources_are_never_touched(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    org = _org()
    ours = network(aws_env, unit_tags(org, "dev", "vpc"), _cidr())
    planted = plant(aws_env, org, "dev", ours)
    # Another organisation's dev, this organisation's other environment, and a cluster
    # whose name only starts like ours.
    other_org = plant(aws_env, _org(), "dev", network(aws_env, None, _cidr()))
    other_env = plant(aws_env, org, "sandbox", network(aws_env, None, _cidr()))
    ec2, elbv2 = client(aws_env, "ec2"), client(aws_env, "elbv2")
    near = ec2.create_volume(
        AvailabilityZone="us-east-1a",
        Size=1,
        TagSpecifications=[
            {
                "ResourceType": "volume",
                "Tags": [{"Key": "KubernetesCluster", "Value": f"{org}-dev-eks-2"}],
            }
        ],
    )["VolumeId"]
    # Untagged, in our own VPC.
    bare_sg = ec2.create_security_group(GroupName="bare", Description="x", VpcId=ours.vpc)
    bare_eni = ec2.create_network_interface(SubnetId=ours.subnets[0])["NetworkInterface"]
    bare_lb = elbv2.create_load_balancer(
        Name=f"bare-{uuid.uuid4().hex[:6]}", Subnets=ours.subnets, Type="network"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    client(aws_env, "logs").create_log_group(logGroupName=f"/aws/eks/{org}-dev-eks/untagged")
    # Our cluster's tag, but in a VPC tagged for another organisation.
    foreign = network(aws_env, unit_tags(_org(), "dev", "vpc"), _cidr())
    foreign_sg = ec2.create_security_group(
        GroupName="foreign",
        Description="x",
        VpcId=foreign.vpc,
        TagSpecifications=[
            {
                "ResourceType": "security-group",
                "Tags": [
                    {"Key": k, "Value": v} for k, v in controller_tags(planted.cluster).items()
                ],
            }
        ],
    )["GroupId"]

    done = cli("sweep", "--org", org, "--env", "dev", "--yes", "--json")
    assert done.code == 0, done.err
    assert {d["id"] for d in done.json()["deleted"]} == planted.all_ids()
    assert remaining(aws_env, planted) == {}
    assert remaining(aws_env, other_org) == other_org.ids
    assert remaining(aws_env, other_env) == other_env.ids
    assert exists(aws_env, "ec2:volume", near)
    assert exists(aws_env, "ec2:security-group", bare_sg["GroupId"])
    assert exists(aws_env, "ec2:network-interface", bare_eni["NetworkInterfaceId"])
    assert exists(aws_env, "elasticloadbalancing:loadbalancer", bare_lb)
    assert exists(aws_env, "logs:log-group", f"/aws/eks/{org}-dev-eks/untagged")
    assert exists(aws_env, "ec2:security-group", foreign_sg)


def test_what_is_in_use_or_still_belongs_to_a_unit_is_listed_and_left_alone(
    repo: Path, aws_env: MotoServer
) -> None:
    org = _org()
    net = network(aws_env, unit_tags(org, "dev", "vpc"), _cidr())
    ec2, logs = client(aws_env, "ec2"), client(aws_env, "logs")
    cluster = f"{org}-dev-eks"
    # The vpc unit's flow log group, while the VPC still exists.
    logs.create_log_group(
        logGroupName=f"/aws/vpc/{org}-dev-vpc/flow-logs", tags=unit_tags(org, "dev", "vpc")
    )
    # A security group tagged for the environment but not by platformctl.
    ec2.create_security_group(
        GroupName="by-hand",
        Description="x",
        VpcId=net.vpc,
        TagSpecifications=[
            {
                "ResourceType": "security-group",
                "Tags": [
                    {"Key": "Organization", "Value": org},
                    {"Key": "Environment", "Value": "dev"},
                ],
            }
        ],
    )
    # An interface of the cluster that is attached to an instance.
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=net.subnets[0])[
        "Instances"
    ][0]["InstanceId"]
    eni = ec2.create_network_interface(
        SubnetId=net.subnets[0],
        TagSpecifications=[
            {
                "ResourceType": "network-interface",
                "Tags": [{"Key": "cluster.k8s.amazonaws.com/name", "Value": cluster}],
            }
        ],
    )["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=instance, DeviceIndex=1)

    found = sweep.find(_target(), resolve_org(org), load_platform(repo).get("dev"))
    reasons = {item.resource.type: item.skip for item in found}
    assert "vpc unit" in reasons["logs:log-group"]
    assert "not ManagedBy=platformctl" in reasons["ec2:security-group"]
    assert reasons["ec2:network-interface"] == "in use (in-use)"
    result = sweep.sweep(
        repo,
        resolve_org(org),
        load_platform(repo).get("dev"),
        reporter=SilentReporter(),
        confirm=lambda _r: pytest.fail("nothing to delete, nothing to ask"),
    )
    assert result.to_delete == () and result.ok


def _target() -> AwsTarget:
    return AwsTarget(region="us-east-1")


def test_sweep_refuses_while_the_cluster_exists_but_a_dry_run_lists(
    repo: Path, cli: Cli, aws_env: MotoServer, eks_cluster: object
) -> None:
    org = _org()
    net = network(aws_env, unit_tags(org, "dev", "vpc"), _cidr())
    planted = plant(aws_env, org, "dev", net)
    eks_cluster(f"{org}-dev-eks")  # type: ignore[operator]

    refused = cli("sweep", "--org", org, "--env", "dev", "--yes")
    assert refused.code == 2
    assert_one_sentence(refused.error)
    assert "still exists" in refused.error and "destroy the eks stage first" in refused.error
    listed = cli("sweep", "--org", org, "--env", "dev", "--dry-run")
    assert listed.code == 0, listed.err
    assert "still exists" in listed.err
    assert remaining(aws_env, planted) == planted.ids


def test_bad_input_exits_2_with_one_sentence(repo: Path, cli: Cli, aws_env: MotoServer) -> None:
    for args in (
        ("--org", "Bad Org!", "--env", "dev", "--yes"),
        ("--org", "acme", "--env", "nope", "--yes"),
        ("--org", "acme", "--env", "dev"),  # no terminal and no --yes
    ):
        result = cli("sweep", *args)
        assert result.code == 2, (args, result.err)
        assert_one_sentence(result.error)
    assert "pass --yes" in cli("sweep", "--org", "acme", "--env", "dev").error


def test_a_failed_delete_exits_1_saying_what_was_and_was_not_deleted(
    repo: Path, cli: Cli, aws_env: MotoServer
) -> None:
    org = _org()
    net = network(aws_env, unit_tags(org, "dev", "vpc"), _cidr())
    planted = plant(aws_env, org, "dev", net, units=False)
    # Another environment's load balancer forwards to our target group: AWS (and moto)
    # refuse to delete a target group a listener uses, and the sweep must not touch theirs.
    elbv2 = client(aws_env, "elbv2")
    theirs = elbv2.create_load_balancer(
        Name=f"theirs-{uuid.uuid4().hex[:6]}", Subnets=net.subnets, Type="network"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    [tg] = planted.ids["elasticloadbalancing:targetgroup"]
    elbv2.create_listener(
        LoadBalancerArn=theirs,
        Protocol="TCP",
        Port=81,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )

    result = cli("sweep", "--org", org, "--env", "dev", "--yes", "--timeout", "0")
    assert result.code == 1
    assert_one_sentence(result.error)
    assert "1 of 5 resources were not deleted" in result.error
    assert "Sweep: deleted 4 of 5." in result.out
    assert "not deleted  target group" in result.out and "still in use" in result.out
    assert remaining(aws_env, planted) == {"elasticloadbalancing:targetgroup": {tg}}
    assert exists(aws_env, "elasticloadbalancing:loadbalancer", theirs)
