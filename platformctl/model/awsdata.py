"""Facts about AWS that validation needs, kept offline so a check never needs the network.

Regions are those of botocore's partitions data (aws, aws-cn, aws-us-gov, the ISO
partitions and the European Sovereign Cloud); tests/model/test_validate.py checks that
every one here is still in the installed botocore's list. Kubernetes versions are those
EKS supports (standard or extended support) when this list was last checked; the AMI
types are exactly the ones modules/eks accepts; the log retentions and the endpoint's
CIDR limit are what CloudWatch Logs and EKS accept.
"""

from __future__ import annotations

from collections.abc import Mapping

# Usable availability zones per region (what a new account can place subnets in); a
# region that is not listed here has 3.
_AZS: Mapping[str, int] = {
    "us-east-1": 6,
    "us-west-1": 2,
    "us-west-2": 4,
    "ap-northeast-2": 4,
}

REGIONS_BY_PARTITION: Mapping[str, tuple[str, ...]] = {
    "aws": (
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    ),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "aws-iso": ("us-iso-east-1", "us-iso-west-1"),
    "aws-iso-b": ("us-isob-east-1", "us-isob-west-1"),
    "aws-iso-e": ("eu-isoe-west-1",),
    "aws-iso-f": ("us-isof-east-1", "us-isof-south-1"),
    "aws-eusc": ("eusc-de-east-1",),
}

REGION_AZS: Mapping[str, int] = {
    region: _AZS.get(region, 3) for regions in REGIONS_BY_PARTITION.values() for region in regions
}

# EKS Kubernetes versions in standard or extended support (checked 2026-11).
EKS_VERSIONS = ("1.32", "1.33", "1.34", "1.35")

# The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

# CIDR blocks EKS allows for a cluster's public endpoint (publicAccessCidrs).
MAX_PUBLIC_ACCESS_CIDRS = 40

# modules/eks/variables.tf accepts exactly these (node_groups.ami_type).
AMI_TYPES = (
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
)


def nearest(value: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The choice a typo most likely meant (for "did you mean …?"), if one is 1-2 edits away.

    Edits are insertions, deletions, substitutions and swaps of neighbours (optimal string
    alignment distance), so "us-esat-1" means "us-east-1".
    """
    if len(value) > 40:
        return None
    scored = sorted((_distance(value, choice), choice) for choice in choices)
    return scored[0][1] if scored and scored[0][0] <= 2 else None


def _distance(a: str, b: str) -> int:
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


# Node images EKS does not build (a node group of ami_type CUSTOM): each from its
# publisher's public SSM parameter, per Kubernetes version. Ubuntu is the OS NVIDIA's GPU
# Operator 26.7 platform support lists for Amazon EKS (22.04, 24.04, 26.04; Kubernetes
# 1.33-1.36), where the operator installs the driver and container toolkit itself.
# Canonical's EKS images bootstrap with /etc/eks/bootstrap.sh.
NODE_IMAGES: dict[str, str] = {
    "ubuntu-24.04": "/aws/service/canonical/ubuntu/eks/24.04/{kubernetes_version}/stable/current/amd64/hvm/ebs-gp3/ami-id",
    "ubuntu-22.04": "/aws/service/canonical/ubuntu/eks/22.04/{kubernetes_version}/stable/current/amd64/hvm/ebs-gp2/ami-id",
}
