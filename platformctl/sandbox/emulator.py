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
