"""The sandbox's AWS emulator: moto server, corrected where it answers unlike AWS.

`python -m platformctl.sandbox.emulator -H 127.0.0.1 -p PORT` applies the corrections below to
moto's in-process models, then runs moto's own server. Each correction brings one default
of the emulator to AWS's documented behaviour, so the modules are tested as they run on
AWS and never carry a workaround for the emulator (see docs/sandbox.md). The corrections
only touch moto's module-level defaults and are applied in this process only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Correction:
    """One deviation of the emulator from AWS and how it is corrected."""

    name: str
    deviation: str
    aws: str
    apply: Callable[[], None]


def _node_group_without_remote_access() -> None:
    from moto.eks import models

    # moto falls back to {"ec2SshKey": "eksKeypair"} when a node group is created without
    # remoteAccess, so OpenTofu sees a remote_access block it never set and wants to
    # replace the node group on every plan.
    models.DEFAULT_REMOTE_ACCESS = None  # type: ignore[assignment]


def _node_group_update_config() -> None:
    from moto.eks import models

    original = models.Nodegroup.__init__

    # moto stores no update configuration when none is given; OpenTofu then plans to add
    # the default one on every run.
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if not self.update_config:
            self.update_config = {"maxUnavailable": 1}

    models.Nodegroup.__init__ = init  # type: ignore[method-assign]


def _launch_template_tags_stay_off_its_data() -> None:
    from moto.ec2.responses.launch_templates import LaunchTemplates

    original = LaunchTemplates.create_launch_template

    # moto appends the request's TagSpecifications (the tags of the launch template
    # itself) to the template's data, so they come back as the data's own
    # tag_specifications and OpenTofu plans to remove them on every run.
    def create_launch_template(self: Any) -> Any:
        data = self._get_param("LaunchTemplateData", {}) or {}
        own = len(data.get("TagSpecifications") or [])
        result = original(self)
        name = self._get_param("LaunchTemplateName")
        for template in self.ec2_backend.describe_launch_templates(template_names=[name]):
            for version in template.versions:
                specs = version.data.get("TagSpecifications")
                if specs is not None and len(specs) > own:
                    if own:
                        version.data["TagSpecifications"] = specs[:own]
                    else:
                        del version.data["TagSpecifications"]
        return result

    LaunchTemplates.create_launch_template = create_launch_template  # type: ignore[method-assign]


def _rule_description_of_group_references() -> None:
    from moto.ec2.models import security_groups

    # moto reads a rule's description from its CIDR range only, so a rule that references
    # another security group comes back without the description it was created with.
    def description(self: Any) -> str | None:
        found = self.ip_range.get("Description") or self.source_group.get("Description")
        return str(found) if found is not None else None

    security_groups.SecurityGroupRule.description = property(description)  # type: ignore[assignment,method-assign]


def _dependency_violations() -> None:
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.models.security_groups import SecurityGroupBackend
    from moto.ec2.models.subnets import SubnetBackend
    from moto.ec2.models.vpcs import VPCBackend

    # moto deletes a subnet, a security group or a VPC whatever still uses it, and keeps
    # a deleted NAT gateway's network interface. AWS refuses with DependencyViolation, and
    # that refusal is what a teardown in the wrong order (or with a controller's load
    # balancer left behind) meets there; the sandbox must meet it too.
    def load_balancers(backend: Any) -> list[Any]:
        from moto.elbv2.models import elbv2_backends

        found = elbv2_backends[backend.account_id][backend.region_name].load_balancers
        return list(found.values())

    def subnet_in_use(backend: Any, subnet_id: str) -> bool:
        enis = backend.enis.values()
        return any(e.subnet is not None and e.subnet.id == subnet_id for e in enis) or any(
            subnet_id in {getattr(s, "id", s) for s in lb.subnets} for lb in load_balancers(backend)
        )

    def group_in_use(backend: Any, group_id: str) -> bool:
        if any(group_id in {g.id for g in e.group_set} for e in backend.enis.values()):
            return True
        if any(group_id in lb.security_groups for lb in load_balancers(backend)):
            return True
        for groups in backend.groups.values():
            for group in groups.values():
                if group.id == group_id:
                    continue  # a group may reference itself
                for rule in [*group.ingress_rules, *group.egress_rules]:
                    if (rule.source_group or {}).get("GroupId") == group_id:
                        return True
        return False

    delete_subnet = SubnetBackend.delete_subnet
    delete_group = SecurityGroupBackend.delete_security_group
    delete_vpc = VPCBackend.delete_vpc
    delete_nat_gateway = NatGatewayBackend.delete_nat_gateway

    def refuse_subnet(self: Any, subnet_id: str) -> Any:
        if subnet_in_use(self, subnet_id):  # an unknown subnet is used by nothing
            raise DependencyViolationError(
                f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
            )
        return delete_subnet(self, subnet_id)

    def refuse_group(self: Any, name: str | None = None, group_id: str | None = None) -> Any:
        group = self.get_security_group_from_id(group_id) if group_id else None
        if group is not None and group_in_use(self, group.id):
            raise DependencyViolationError(f"resource {group.id} has a dependent object")
        return delete_group(self, name=name, group_id=group_id)

    def refuse_vpc(self: Any, vpc_id: str) -> Any:
        groups = self.groups.get(vpc_id, {}).values()
        gateways = self.internet_gateways.values()
        if any(g.name != "default" for g in groups) or any(
            igw.vpc is not None and igw.vpc.id == vpc_id for igw in gateways
        ):
            raise DependencyViolationError(
                f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
            )
        return delete_vpc(self, vpc_id)

    def release_interface(self: Any, nat_gateway_id: str) -> Any:
        gateway = delete_nat_gateway(self, nat_gateway_id)
        eni = getattr(gateway, "_eni", None)
        if eni is not None and eni.id in self.enis:
            for address in self.addresses:
                if address.eni is eni:
                    self.disassociate_address(association_id=address.association_id)
            self.delete_network_interface(eni.id)
        return gateway

    SubnetBackend.delete_subnet = refuse_subnet  # type: ignore[method-assign]
    SecurityGroupBackend.delete_security_group = refuse_group  # type: ignore[method-assign]
    VPCBackend.delete_vpc = refuse_vpc  # type: ignore[method-assign]
    NatGatewayBackend.delete_nat_gateway = release_interface  # type: ignore[method-assign]


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        "eks-nodegroup-remote-access",
        "CreateNodegroup without remoteAccess returns remoteAccess.ec2SshKey = eksKeypair",
        "DescribeNodegroup returns no remoteAccess when none was requested",
        _node_group_without_remote_access,
    ),
    Correction(
        "eks-nodegroup-update-config",
        "a node group created without updateConfig has none",
        "DescribeNodegroup returns updateConfig.maxUnavailable = 1 by default",
        _node_group_update_config,
    ),
    Correction(
        "ec2-launch-template-tags",
        "CreateLaunchTemplate copies the request's TagSpecifications (the template's own "
        "tags) into LaunchTemplateData",
        "the request's TagSpecifications tag the launch template; its data keeps only the "
        "TagSpecifications given inside LaunchTemplateData",
        _launch_template_tags_stay_off_its_data,
    ),
    Correction(
        "ec2-rule-description",
        "DescribeSecurityGroupRules returns no Description for a rule that references "
        "another security group",
        "the rule's Description, whatever its source",
        _rule_description_of_group_references,
    ),
    Correction(
        "ec2-dependency-violation",
        "DeleteSubnet, DeleteSecurityGroup and DeleteVpc succeed while network interfaces, "
        "load balancers, other groups' rules, security groups or an attached internet "
        "gateway still use them; DeleteNatGateway keeps the gateway's network interface",
        "each is refused with DependencyViolation while anything uses it; a deleted NAT "
        "gateway releases its network interface",
        _dependency_violations,
    ),
)


def apply_corrections() -> tuple[str, ...]:
    """Apply every correction in this process; return their names."""
    for correction in CORRECTIONS:
        correction.apply()
    return tuple(c.name for c in CORRECTIONS)


def main(argv: Sequence[str] | None = None) -> None:
    from moto.server import main as moto_main
    from werkzeug.serving import WSGIRequestHandler

    # AWS keeps HTTP/1.1 connections alive; Werkzeug's development server answers HTTP/1.0
    # and closes each one, which the AWS SDK's response logging (TF_LOG=DEBUG) then and
    # again reads from after the close ("use of closed network connection").
    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    applied = apply_corrections()
    print(f"platformctl emulator corrections: {', '.join(applied)}", file=sys.stderr, flush=True)
    moto_main(list(argv) if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
