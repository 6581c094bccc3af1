"""What controllers and units leave behind in AWS (load balancers, ENIs, volumes, ...): found, described, deleted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from platformctl.aws.client import (
    parse_arn,
)
from platformctl.aws.session import (
    AwsTarget,
    client_for,
    error_code,
    translate,
)
from platformctl.errors import OperationError, UsageError

LOAD_BALANCER = "elasticloadbalancing:loadbalancer"
TARGET_GROUP = "elasticloadbalancing:targetgroup"
SECURITY_GROUP = "ec2:security-group"
NETWORK_INTERFACE = "ec2:network-interface"
VOLUME = "ec2:volume"
LOG_GROUP = "logs:log-group"
KMS_KEY = "kms:key"
CLOUD_TYPES = (
    LOAD_BALANCER,
    TARGET_GROUP,
    SECURITY_GROUP,
    NETWORK_INTERFACE,
    VOLUME,
    LOG_GROUP,
    KMS_KEY,
)
KMS_PENDING_WINDOW_DAYS = 30

# Codes AWS answers while another resource still uses the one being deleted; they clear
# once that one is gone (an NLB's network interfaces linger for a minute after it).
_IN_USE_CODES = {
    "DependencyViolation",
    "ResourceInUse",
    "ResourceInUseException",
    "InvalidNetworkInterface.InUse",
    "VolumeInUse",
}
_GONE_CODES = {
    "LoadBalancerNotFound",
    "TargetGroupNotFound",
    "InvalidGroup.NotFound",
    "InvalidNetworkInterfaceID.NotFound",
    "InvalidVolume.NotFound",
    "ResourceNotFoundException",
    "NotFoundException",
}


class StillInUse(OperationError):
    """AWS refused a delete because something still uses the resource; it may pass later."""


@dataclass(frozen=True)
class CloudResource:
    """One resource of CLOUD_TYPES as it is now. id is what its delete call takes."""

    type: str
    id: str
    arn: str
    name: str = ""
    vpc_id: str = ""
    state: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)


def cloud_resources(
    target: AwsTarget, tags: Mapping[str, str | None], types: tuple[str, ...] = CLOUD_TYPES
) -> tuple[CloudResource, ...]:
    """Resources of `types` carrying every given tag (a None value matches any value).

    The tagging API finds them; each one is then described by its own service, because
    the tagging API keeps listing a resource for a while after it is deleted. Classic
    load balancers (no type in the ARN) are not among the types.
    """
    filters = [{"Key": k} if v is None else {"Key": k, "Values": [v]} for k, v in tags.items()]
    hits: dict[str, tuple[str, str, dict[str, str]]] = {}
    with translate(target, "list tagged resources"):
        api = client_for(target, "resourcegroupstaggingapi")
        for page in api.get_paginator("get_resources").paginate(TagFilters=filters):
            for item in page.get("ResourceTagMappingList", []):
                arn = item["ResourceARN"].removesuffix(":*")
                service, kind, ident = parse_arn(arn)
                kind_type = f"{service}:{kind}"
                if kind_type == LOAD_BALANCER and "/" not in ident:
                    continue  # a classic load balancer
                if kind_type in types:
                    found_tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                    hits[arn] = (kind_type, ident, found_tags)
    described: list[CloudResource] = []
    ec2_arns: dict[str, dict[str, str]] = {}  # type -> id -> ARN
    for arn, (kind_type, ident, found_tags) in hits.items():
        if kind_type in _EC2_DESCRIBE:
            ec2_arns.setdefault(kind_type, {})[ident] = arn
        else:
            resource = _describe_cloud(target, kind_type, arn, ident)
            if resource is not None:
                described.append(replace(resource, tags=found_tags))
    for kind_type, arns in ec2_arns.items():
        for resource in _describe_ec2(target, kind_type, list(arns)):
            arn = arns[resource.id]
            described.append(replace(resource, arn=arn, tags=hits[arn][2]))
    return tuple(described)


def _gone(exc: BaseException) -> bool:
    return error_code(exc) in _GONE_CODES


def _describe_cloud(target: AwsTarget, kind: str, arn: str, ident: str) -> CloudResource | None:
    """A load balancer, target group, log group or KMS key as it is now; None when gone."""
    with translate(target, f"describe {arn}"):
        try:
            if kind == LOAD_BALANCER:
                elbv2 = client_for(target, "elbv2")
                [lb] = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
                state = lb.get("State", {}).get("Code", "")
                return CloudResource(
                    kind, arn, arn, lb["LoadBalancerName"], lb.get("VpcId", ""), state
                )
            if kind == TARGET_GROUP:
                elbv2 = client_for(target, "elbv2")
                [tg] = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"]
                return CloudResource(kind, arn, arn, tg["TargetGroupName"], tg.get("VpcId", ""))
            if kind == LOG_GROUP:
                logs = client_for(target, "logs")
                groups = logs.describe_log_groups(logGroupNamePrefix=ident).get("logGroups", [])
                if not any(g["logGroupName"] == ident for g in groups):
                    return None
                return CloudResource(kind, ident, arn, ident)
            if kind == KMS_KEY:
                key = client_for(target, "kms").describe_key(KeyId=ident)["KeyMetadata"]
                if key.get("KeyManager") == "AWS":
                    return None  # AWS-managed keys are not ours to delete
                description = key.get("Description", "")
                return CloudResource(kind, ident, arn, description, "", key["KeyState"])
        except Exception as exc:
            if _gone(exc):
                return None
            raise
    return None


# type -> (describe call, its list key, id filter, id key, name key, state key)
_EC2_DESCRIBE = {
    SECURITY_GROUP: (
        "describe_security_groups",
        "SecurityGroups",
        "group-id",
        "GroupId",
        "GroupName",
        "",
    ),
    NETWORK_INTERFACE: (
        "describe_network_interfaces",
        "NetworkInterfaces",
        "network-interface-id",
        "NetworkInterfaceId",
        "Description",
        "Status",
    ),
    VOLUME: ("describe_volumes", "Volumes", "volume-id", "VolumeId", "", "State"),
}


def _describe_ec2(target: AwsTarget, kind: str, idents: list[str]) -> list[CloudResource]:
    """Security groups, network interfaces or volumes as they are now (up to 200 a call)."""
    call, list_key, id_filter, id_key, name_key, state_key = _EC2_DESCRIBE[kind]
    ec2 = client_for(target, "ec2")
    found: list[CloudResource] = []
    with translate(target, f"describe {kind} resources"):
        for start in range(0, len(idents), 200):
            batch = idents[start : start + 200]
            filters = [{"Name": id_filter, "Values": batch}]
            for page in ec2.get_paginator(call).paginate(Filters=filters):
                for item in page.get(list_key, []):
                    ident = item[id_key]
                    found.append(
                        CloudResource(
                            kind,
                            ident,
                            "",  # the caller knows the ARN (from the tagging API)
                            item.get(name_key, "") if name_key else "",
                            item.get("VpcId", ""),
                            item.get(state_key, "") if state_key else "",
                        )
                    )
    return found


def delete_cloud_resource(target: AwsTarget, resource: CloudResource) -> bool:
    """Delete one resource (a KMS key: schedule its deletion); False when it was already gone.

    A security group first loses its own rules that name other groups, so groups that
    name each other can go. Raises StillInUse when something else still uses it.
    """
    kind, ident = resource.type, resource.id
    with translate(target, f"delete {resource.arn}"):
        try:
            if kind == LOAD_BALANCER:
                client_for(target, "elbv2").delete_load_balancer(LoadBalancerArn=ident)
            elif kind == TARGET_GROUP:
                client_for(target, "elbv2").delete_target_group(TargetGroupArn=ident)
            elif kind == SECURITY_GROUP:
                _revoke_group_references(client_for(target, "ec2"), ident)
                client_for(target, "ec2").delete_security_group(GroupId=ident)
            elif kind == NETWORK_INTERFACE:
                client_for(target, "ec2").delete_network_interface(NetworkInterfaceId=ident)
            elif kind == VOLUME:
                client_for(target, "ec2").delete_volume(VolumeId=ident)
            elif kind == LOG_GROUP:
                client_for(target, "logs").delete_log_group(logGroupName=ident)
            elif kind == KMS_KEY:
                client_for(target, "kms").schedule_key_deletion(
                    KeyId=ident, PendingWindowInDays=KMS_PENDING_WINDOW_DAYS
                )
            else:
                raise UsageError(f"platformctl does not delete {kind} resources.")
        except Exception as exc:
            code = error_code(exc)
            if _gone(exc) or (kind == KMS_KEY and code == "KMSInvalidStateException"):
                return False
            if code in _IN_USE_CODES:
                message = exc.response.get("Error", {}).get("Message", "")  # type: ignore[attr-defined]
                raise StillInUse(f"{resource.arn} is still in use ({code}: {message})") from exc
            raise
    return True


def _revoke_group_references(ec2: Any, group_id: str) -> None:
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group_id]}])
    for group in groups.get("SecurityGroups", []):
        for key, revoke in (
            ("IpPermissions", ec2.revoke_security_group_ingress),
            ("IpPermissionsEgress", ec2.revoke_security_group_egress),
        ):
            referencing = [
                {k: v for k, v in perm.items() if k in _PERMISSION_KEYS}
                | {"UserIdGroupPairs": perm["UserIdGroupPairs"]}
                for perm in group.get(key, [])
                if perm.get("UserIdGroupPairs")
            ]
            if referencing:
                revoke(GroupId=group_id, IpPermissions=referencing)


_PERMISSION_KEYS = ("IpProtocol", "FromPort", "ToPort")


def vpc_tags(
    target: AwsTarget, *, vpc_ids: tuple[str, ...] = (), tags: Mapping[str, str] | None = None
) -> dict[str, dict[str, str]]:
    """The VPCs with these ids and/or carrying these tags, each with its tags."""
    filters: list[dict[str, Any]] = [
        {"Name": f"tag:{k}", "Values": [v]} for k, v in (tags or {}).items()
    ]
    if vpc_ids:
        filters.append({"Name": "vpc-id", "Values": list(vpc_ids)})
    if not filters:
        return {}
    found: dict[str, dict[str, str]] = {}
    with translate(target, "describe VPCs"):
        for page in (
            client_for(target, "ec2").get_paginator("describe_vpcs").paginate(Filters=filters)
        ):
            for vpc in page.get("Vpcs", []):
                found[vpc["VpcId"]] = {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}
    return found


# NAT gateways stay visible for a while after deletion (moto keeps them for good), and
# terminated instances for an hour: in that state they are gone, not left over.
FINAL_STATES = {"natgateway": ("deleted", "failed"), "instance": ("terminated",)}
_STATE_CALLS = {
    "natgateway": ("describe_nat_gateways", "NatGateways", "nat-gateway-id", "NatGatewayId"),
    "instance": ("describe_instances", "Reservations", "instance-id", "InstanceId"),
}


def ec2_states(target: AwsTarget, kind: str, idents: list[str]) -> dict[str, str]:
    """The state of each NAT gateway or instance (kind as in its ARN); absent ones are left out."""
    call, list_key, id_filter, id_key = _STATE_CALLS[kind]
    states: dict[str, str] = {}
    if not idents:
        return states
    ec2 = client_for(target, "ec2")
    with translate(target, f"describe {kind} resources"):
        filters = [{"Name": id_filter, "Values": idents}]
        for page in ec2.get_paginator(call).paginate(Filters=filters):
            items = page.get(list_key, [])
            if kind == "instance":
                items = [i for r in items for i in r.get("Instances", [])]
            for item in items:
                state = item.get("State", "")
                states[item[id_key]] = state.get("Name", "") if isinstance(state, dict) else state
    return states
