"""Why the sandbox's eks unit turns the cluster autoscaler's node-template tags off.

On AWS a managed node group owns an Auto Scaling group, named in the node group's
resources, and the eks module tags it (aws_autoscaling_group_tag). The AWS emulator (moto,
as the sandbox runs it) names an Auto Scaling group there but creates none, so tagging it
fails. When the emulator starts creating the group, this test fails: then the switch can
go.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.modules.test_module_interfaces import LIVE_DIR, decode, load_unit

REGION = "us-east-1"


def test_the_emulator_names_an_auto_scaling_group_it_does_not_create() -> None:
    with mock_aws():
        eks = boto3.client("eks", region_name=REGION)
        autoscaling = boto3.client("autoscaling", region_name=REGION)
        eks.create_cluster(
            name="exampleorg-sandbox-eks",
            roleArn="arn:aws:iam::123456789012:role/exampleorg-sandbox-eks-cluster",
            resourcesVpcConfig={"subnetIds": ["subnet-00000000000000001"]},
        )
        group = eks.create_nodegroup(
            clusterName="exampleorg-sandbox-eks",
            nodegroupName="gpu",
            nodeRole="arn:aws:iam::123456789012:role/exampleorg-sandbox-eks-node",
            subnets=["subnet-00000000000000001"],
            scalingConfig={"minSize": 0, "desiredSize": 0, "maxSize": 2},
        )["nodegroup"]
        (asg,) = group["resources"]["autoScalingGroups"]
        assert asg["name"]
        found = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg["name"]])
        assert found["AutoScalingGroups"] == []
        tag = {
            "ResourceId": asg["name"],
            "ResourceType": "auto-scaling-group",
            "Key": "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu",
            "Value": "1",
            "PropagateAtLaunch": False,
        }
        # In process, moto raises its KeyError; its server answers with an error.
        with pytest.raises((KeyError, ClientError)):
            autoscaling.create_or_update_tags(Tags=[tag])


def test_only_the_sandbox_turns_the_tags_off() -> None:
    for env, expected in (("sandbox", False), ("dev", None)):
        inputs = load_unit(LIVE_DIR / f"exampleorg/{env}/{REGION}/eks/terragrunt.hcl").inputs
        assert decode(inputs.get("enable_node_template_tags")) is expected, env
