"""The IAM policies of modules/: each passes parliament, the AWS Load Balancer Controller's
is upstream's, the workload boundary allows what the workload roles are granted, and the
deploy role may do what the modules create.

The policies are extracted statically (tests/fixtures/iam_policies.py: python-hcl2 and
stand-ins for what only AWS knows), since providers do not resolve here and there is no
plan to read them from. A `tofu show -json` plan named in IAM_POLICY_PLAN_JSON (paths
joined by os.pathsep) adds the policies it renders to the parliament check.

Parliament (1.6.x; its IAM data comes from the Service Authorization Reference) fails the
check with a finding of severity CRITICAL, HIGH or MEDIUM, and with UNKNOWN_ACTION,
UNKNOWN_PREFIX or INVALID_SID (rated LOW, but each ends parliament's analysis of the
statement, or IAM rejects it). Other LOW findings (Resource "*", StringEquals on an ARN
key) are style. IGNORED lists the findings accepted, each with its reason; NEWER_ACTIONS
the actions newer than parliament's data.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import iam_policies as iam
from tests.fixtures.iam_policies import ACCOUNT_ID, Finding, Policy, Request, decide

BLOCKING_SEVERITIES = {"CRITICAL", "HIGH", "MEDIUM"}
BLOCKING_ISSUES = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX", "INVALID_SID"}

ORG = iam.SAMPLE_INPUTS["account"]["org"]
CLUSTER = iam.SAMPLE_INPUTS["eks"]["cluster_name"]


@dataclass(frozen=True)
class Ignored:
    policy: str  # regex on the policy address
    issue: str
    detail: str  # regex searched in the finding's detail
    reason: str


IGNORED = (
    Ignored(
        r"^account: data\.aws_iam_policy_document\.(deploy|plan)_trust$",
        "UNKNOWN_FEDERATION_SOURCE",
        r":oidc-provider/token\.actions\.githubusercontent\.com$",
        "parliament knows only SAML providers and four public web identity providers; an IAM "
        "OpenID Connect provider's ARN is a valid Federated principal (IAM User Guide, "
        "'Create a role for OpenID Connect federation').",
    ),
    Ignored(
        r"^account: data\.aws_iam_policy_document\.(deploy|plan)_trust$",
        "UNKNOWN_CONDITION_FOR_ACTION",
        r"condition token\.actions\.githubusercontent\.com:(aud|sub|ref) for action "
        r"sts:AssumeRoleWithWebIdentity$",
        "an IAM OIDC provider's keys are '<provider host>:aud' and ':sub' (the Service "
        "Authorization Reference names them generically; parliament's data lists only the "
        "public providers' keys). GitHub documents exactly these two for its OIDC tokens; "
        "':ref' is one of the GitHub claims STS has offered as keys since January 2026.",
    ),
    Ignored(
        r"^eks: data\.aws_iam_policy_document\.load_balancer_controller$",
        "UNKNOWN_CONDITION_FOR_ACTION",
        r"condition elasticloadbalancing:CreateAction for action elasticloadbalancing:AddTags$",
        "parliament's data holds Elastic Load Balancing V2 twice and reads the first, older "
        "entry, which lacks elasticloadbalancing:CreateAction; the second entry and the "
        "Service Authorization Reference list it for AddTags (upstream's policy uses it).",
    ),
    Ignored(
        r"^(eks: data\.aws_iam_policy_document\.kms|vpc: data\.aws_iam_policy_document\.flow_logs_key)$",
        "UNKNOWN_CONDITION_FOR_ACTION",
        r"condition kms:EncryptionContext:aws:logs:arn for action "
        r"kms:(DescribeKey|DescribeCustomKeyStores)$",
        "CloudWatch Logs' documented key policy grants kms:Describe* under the encryption "
        "context condition; describe calls carry no encryption context, so that part grants "
        "nothing (harmless; dropping kms:Describe* there is proposed to the modules' owners).",
    ),
    Ignored(
        r"^(eks: data\.aws_iam_policy_document\.kms|vpc: data\.aws_iam_policy_document\.flow_logs_key)$",
        "MISMATCHED_TYPE",
        r"^Type mismatch: ArnEquals requires a value of type Arn but given String$",
        "the CloudWatch Logs User Guide ('Encrypt log data in CloudWatch Logs using AWS KMS') "
        "matches kms:EncryptionContext:aws:logs:arn with an ARN operator; parliament types "
        "every encryption context value as String.",
    ),
)

# Actions IAM knows but parliament 1.6.4's data does not: left out of the document before
# parliament reads it (an unknown action ends its analysis of the whole statement).
NEWER_ACTIONS = {
    "elasticloadbalancing:ModifyIpPools": "ALB IPAM pools (2025); in the controller's "
    "upstream policy of v3.5.0",
}


def _plan_policies() -> list[Policy]:
    found: list[Policy] = []
    for name in filter(None, os.environ.get("IAM_POLICY_PLAN_JSON", "").split(os.pathsep)):
        plan = json.loads(Path(name).read_text(encoding="utf-8"))
        found.extend(iam.policies_from_plan(plan, label=Path(name).name))
    return found


@cache
def _extraction() -> iam.Extraction:
    return iam.extract_all()


def _policies() -> list[Policy]:
    return _extraction().policies + _plan_policies()


def _policy(address: str) -> dict[str, Any]:
    (document,) = [p.document for p in _extraction().policies if p.address == address]
    return document


def _without_newer_actions(document: dict[str, Any]) -> dict[str, Any]:
    statements = []
    for statement in document["Statement"]:
        key = "Action" if "Action" in statement else "NotAction"
        actions = [a for a in iam._as_list(statement[key]) if a not in NEWER_ACTIONS]
        if actions:
            statements.append({**statement, key: actions})
    return {**document, "Statement": statements}


def _blocking(policy: Policy) -> tuple[list[Finding], list[Ignored]]:
    """Parliament's blocking findings on `policy` that no IGNORED entry covers, and the
    entries that covered one."""
    findings = iam.audit(
        iam.for_parliament(Policy(policy.address, _without_newer_actions(policy.document)))
    )
    left, used = [], []
    for finding in findings:
        if finding.severity not in BLOCKING_SEVERITIES and finding.issue not in BLOCKING_ISSUES:
            continue
        match = [
            entry
            for entry in IGNORED
            if re.search(entry.policy, policy.address)
            and entry.issue == finding.issue
            and re.search(entry.detail, finding.detail)
        ]
        if match:
            used.extend(match)
        else:
            left.append(finding)
    return left, used


def _show(findings: list[Finding]) -> str:
    return "\n".join(f"  {str(f)[:400]}" for f in findings)


# --------------------------------------------------------------------------- parliament


@pytest.mark.parametrize("policy", _policies(), ids=lambda p: p.address)
def test_policy_passes_parliament(policy: Policy) -> None:
    left, _ = _blocking(policy)
    assert not left, f"parliament on {policy.address}:\n{_show(left)}"


def test_every_ignored_finding_still_occurs() -> None:
    used = {entry for policy in _extraction().policies for entry in _blocking(policy)[1]}
    stale = [entry for entry in IGNORED if entry not in used]
    assert not stale, f"IGNORED entries no longer needed, remove them: {stale}"


def test_newer_actions_are_still_unknown_to_parliament() -> None:
    import parliament

    for action in NEWER_ACTIONS:
        service, name = action.split(":")
        with pytest.raises(parliament.UnknownActionException):
            parliament.statement.get_privilege_info(service, name)


def test_the_extraction_sees_every_policy_document_of_the_modules() -> None:
    written = 0
    for path in sorted(iam.MODULES_DIR.glob("*/*.tf")):
        text = path.read_text(encoding="utf-8")
        written += len(re.findall(r'^data\s+"aws_iam_policy_document"', text, re.MULTILINE))
        written += len(
            re.findall(r"^\s*(?:assume_role_)?policy\s*=\s*jsonencode\(", text, re.MULTILINE)
        )
    assert written == len(_extraction().policies) > 20


def test_sample_inputs_reach_every_dynamic_statement_and_condition() -> None:
    assert not _extraction().empty_dynamic, (
        "dynamic blocks that SAMPLE_INPUTS leave empty, so parliament never sees them: "
        f"{_extraction().empty_dynamic}"
    )


# The deploy role's statement before the fix: UpdateAssumeRolePolicy under a
# permissions-boundary condition, a key that action never carries.
OLD_ORG_ROLES_WITH_BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "IamOrgRolesWithBoundary",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:DeleteRolePolicy",
                "iam:PutRolePermissionsBoundary",
                "iam:PutRolePolicy",
                "iam:UpdateAssumeRolePolicy",
            ],
            "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/{ORG}-*",
            "Condition": {
                "StringEquals": {
                    "iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT_ID}:policy/platformctl/github/{ORG}-platform-boundary"
                }
            },
        }
    ],
}


def test_parliament_reports_the_boundary_condition_on_update_assume_role_policy() -> None:
    left, _ = _blocking(Policy("regression: old deploy statement", OLD_ORG_ROLES_WITH_BOUNDARY))
    assert [(f.issue, f.detail) for f in left] == [
        (
            "UNKNOWN_CONDITION_FOR_ACTION",
            "Unknown condition iam:PermissionsBoundary for action iam:UpdateAssumeRolePolicy",
        )
    ]


def test_policies_are_read_from_a_plan() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
    }
    plan = {
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_iam_role_policy.x",
                        "values": {"policy": json.dumps(document)},
                    },
                    {"address": "aws_s3_bucket.y", "values": {"bucket": "b"}},
                ],
                "child_modules": [
                    {
                        "resources": [
                            {
                                "address": "module.m.aws_iam_role.z",
                                "values": {"assume_role_policy": json.dumps(document)},
                            }
                        ]
                    }
                ],
            }
        }
    }
    found = iam.policies_from_plan(plan)
    assert [p.address for p in found] == [
        "plan: aws_iam_role_policy.x.policy",
        "plan: module.m.aws_iam_role.z.assume_role_policy",
    ]
    assert found[0].document == document


# ------------------------------------------------------- AWS Load Balancer Controller

# Upstream's docs/install/iam_policy.json at kubernetes-sigs/aws-load-balancer-controller
# tag v3.5.0 (the appVersion of chart 3.5.0; sha256 16f232c9d9f79366fe949c4550ad517a2023
# 80058a9e48d45a4e215044a20a6a), statement by statement: (effect, actions, resources,
# conditions as (operator, key, values)).
UPSTREAM_LBC_STATEMENTS = [
    ('Allow', ('iam:CreateServiceLinkedRole',), ('*',), (('StringEquals', 'iam:AWSServiceName', ('elasticloadbalancing.amazonaws.com',)),)),
    ('Allow', ('ec2:DescribeAccountAttributes', 'ec2:DescribeAddresses', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeCoipPools', 'ec2:DescribeInstances', 'ec2:DescribeInternetGateways', 'ec2:DescribeIpamPools', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeTags', 'ec2:DescribeVpcPeeringConnections', 'ec2:DescribeVpcs', 'ec2:GetCoipPoolUsage', 'ec2:GetSecurityGroupsForVpc', 'elasticloadbalancing:DescribeCapacityReservation', 'elasticloadbalancing:DescribeListenerAttributes', 'elasticloadbalancing:DescribeListenerCertificates', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeLoadBalancerAttributes', 'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeSSLPolicies', 'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeTrustStores'), ('*',), ()),
    ('Allow', ('acm:DescribeCertificate', 'acm:ListCertificates', 'cognito-idp:DescribeUserPoolClient', 'iam:GetServerCertificate', 'iam:ListServerCertificates', 'shield:CreateProtection', 'shield:DeleteProtection', 'shield:DescribeProtection', 'shield:GetSubscriptionState', 'waf-regional:AssociateWebACL', 'waf-regional:DisassociateWebACL', 'waf-regional:GetWebACL', 'waf-regional:GetWebACLForResource', 'wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL', 'wafv2:GetWebACL', 'wafv2:GetWebACLForResource'), ('*',), ()),
    ('Allow', ('ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'), ('*',), ()),
    ('Allow', ('ec2:CreateSecurityGroup',), ('*',), ()),
    ('Allow', ('ec2:CreateTags',), ('arn:aws:ec2:*:*:security-group/*',), (('Null', 'aws:RequestTag/elbv2.k8s.aws/cluster', ('false',)), ('StringEquals', 'ec2:CreateAction', ('CreateSecurityGroup',)))),
    ('Allow', ('ec2:CreateTags', 'ec2:DeleteTags'), ('arn:aws:ec2:*:*:security-group/*',), (('Null', 'aws:RequestTag/elbv2.k8s.aws/cluster', ('true',)), ('Null', 'aws:ResourceTag/elbv2.k8s.aws/cluster', ('false',)))),
    ('Allow', ('ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup', 'ec2:RevokeSecurityGroupIngress'), ('*',), (('Null', 'aws:ResourceTag/elbv2.k8s.aws/cluster', ('false',)),)),
    ('Allow', ('elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'), ('*',), (('Null', 'aws:RequestTag/elbv2.k8s.aws/cluster', ('false',)),)),
    ('Allow', ('elasticloadbalancing:CreateListener', 'elasticloadbalancing:CreateRule', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:DeleteRule'), ('*',), ()),
    ('Allow', ('elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'), ('arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*', 'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*', 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*'), (('Null', 'aws:RequestTag/elbv2.k8s.aws/cluster', ('true',)), ('Null', 'aws:ResourceTag/elbv2.k8s.aws/cluster', ('false',)))),
    ('Allow', ('elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'), ('arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*', 'arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*', 'arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*', 'arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*'), ()),
    ('Allow', ('elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:ModifyCapacityReservation', 'elasticloadbalancing:ModifyIpPools', 'elasticloadbalancing:ModifyListenerAttributes', 'elasticloadbalancing:ModifyLoadBalancerAttributes', 'elasticloadbalancing:ModifyTargetGroup', 'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:SetIpAddressType', 'elasticloadbalancing:SetSecurityGroups', 'elasticloadbalancing:SetSubnets'), ('*',), (('Null', 'aws:ResourceTag/elbv2.k8s.aws/cluster', ('false',)),)),
    ('Allow', ('elasticloadbalancing:AddTags',), ('arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*', 'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*', 'arn:aws:elasticloadbalancing:*:*:targetgroup/*/*'), (('Null', 'aws:RequestTag/elbv2.k8s.aws/cluster', ('false',)), ('StringEquals', 'elasticloadbalancing:CreateAction', ('CreateLoadBalancer', 'CreateTargetGroup')))),
    ('Allow', ('elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:RegisterTargets'), ('arn:aws:elasticloadbalancing:*:*:targetgroup/*/*',), ()),
    ('Allow', ('elasticloadbalancing:AddListenerCertificates', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:RemoveListenerCertificates', 'elasticloadbalancing:SetRulePriorities', 'elasticloadbalancing:SetWebAcl'), ('*',), ()),
]  # fmt: skip


def _normalized(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    out = []
    for s in document["Statement"]:
        conditions = tuple(
            sorted(
                (operator, key, tuple(sorted(iam._as_list(values))))
                for operator, keys in s.get("Condition", {}).items()
                for key, values in keys.items()
            )
        )
        out.append(
            (
                s["Effect"],
                tuple(sorted(iam._as_list(s["Action"]))),
                tuple(sorted(iam._as_list(s["Resource"]))),
                conditions,
            )
        )
    return sorted(out)


def test_load_balancer_controller_policy_is_upstreams() -> None:
    ours = _normalized(_policy("eks: data.aws_iam_policy_document.load_balancer_controller"))
    upstream = sorted(UPSTREAM_LBC_STATEMENTS)
    missing = [s for s in upstream if s not in ours]
    extra = [s for s in ours if s not in upstream]
    assert not missing and not extra, f"missing: {missing}\nextra: {extra}"
    assert ours == upstream


def test_the_controller_may_open_the_node_security_group() -> None:
    # The node security group carries no elbv2.k8s.aws/cluster tag.
    document = _policy("eks: data.aws_iam_policy_document.load_balancer_controller")
    node_group = f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:security-group/sg-0123456789abcdef0"
    for action in ("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"):
        assert decide(document, Request(action, node_group)) == "Allow"


# ------------------------------------------------------------------ workload boundary

# Actions of the AWS managed policies the modules attach to boundary-capped roles (AWS
# Managed Policy Reference; version in the comment). Service-wide entries of the boundary
# (ec2:*, elasticfilesystem:*, …) also cover actions later versions add.
MANAGED_POLICY_ACTIONS = {
    # v10
    "AmazonEKSClusterPolicy": """
        autoscaling:DescribeAutoScalingGroups autoscaling:UpdateAutoScalingGroup
        ec2:AttachVolume ec2:AuthorizeSecurityGroupIngress ec2:CreateRoute
        ec2:CreateSecurityGroup ec2:CreateTags ec2:CreateVolume ec2:DeleteRoute
        ec2:DeleteSecurityGroup ec2:DeleteVolume ec2:DescribeInstances ec2:DescribeRouteTables
        ec2:DescribeSecurityGroups ec2:DescribeSubnets ec2:DescribeVolumes
        ec2:DescribeVolumesModifications ec2:DescribeVpcs ec2:DescribeDhcpOptions
        ec2:DescribeNetworkInterfaces ec2:DescribeAvailabilityZones ec2:DetachVolume
        ec2:ModifyInstanceAttribute ec2:ModifyVolume ec2:RevokeSecurityGroupIngress
        ec2:DescribeAccountAttributes ec2:DescribeAddresses ec2:DescribeInternetGateways
        ec2:DescribeInstanceTopology ec2:DeleteNetworkInterface
        elasticloadbalancing:AddTags elasticloadbalancing:ApplySecurityGroupsToLoadBalancer
        elasticloadbalancing:AttachLoadBalancerToSubnets elasticloadbalancing:ConfigureHealthCheck
        elasticloadbalancing:CreateListener elasticloadbalancing:CreateLoadBalancer
        elasticloadbalancing:CreateLoadBalancerListeners elasticloadbalancing:CreateLoadBalancerPolicy
        elasticloadbalancing:CreateTargetGroup elasticloadbalancing:DeleteListener
        elasticloadbalancing:DeleteLoadBalancer elasticloadbalancing:DeleteLoadBalancerListeners
        elasticloadbalancing:DeleteTargetGroup elasticloadbalancing:DeregisterInstancesFromLoadBalancer
        elasticloadbalancing:DeregisterTargets elasticloadbalancing:DescribeListeners
        elasticloadbalancing:DescribeLoadBalancerAttributes elasticloadbalancing:DescribeLoadBalancerPolicies
        elasticloadbalancing:DescribeLoadBalancers elasticloadbalancing:DescribeTargetGroupAttributes
        elasticloadbalancing:DescribeTargetGroups elasticloadbalancing:DescribeTargetHealth
        elasticloadbalancing:DetachLoadBalancerFromSubnets elasticloadbalancing:ModifyListener
        elasticloadbalancing:ModifyLoadBalancerAttributes elasticloadbalancing:ModifyTargetGroup
        elasticloadbalancing:ModifyTargetGroupAttributes elasticloadbalancing:RegisterInstancesWithLoadBalancer
        elasticloadbalancing:RegisterTargets elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer
        elasticloadbalancing:SetLoadBalancerPoliciesOfListener kms:DescribeKey
        iam:CreateServiceLinkedRole
    """,
    # v1
    "AmazonEKSVPCResourceController": """
        ec2:CreateNetworkInterfacePermission ec2:CreateNetworkInterface
        ec2:DetachNetworkInterface ec2:ModifyNetworkInterfaceAttribute
        ec2:DeleteNetworkInterface ec2:AttachNetworkInterface ec2:UnassignPrivateIpAddresses
        ec2:AssignPrivateIpAddresses
    """,
    # v3
    "AmazonEKSWorkerNodePolicy": """
        ec2:DescribeInstances ec2:DescribeInstanceTypes ec2:DescribeRouteTables
        ec2:DescribeSecurityGroups ec2:DescribeSubnets ec2:DescribeVolumes
        ec2:DescribeVolumesModifications ec2:DescribeVpcs eks:DescribeCluster
        eks-auth:AssumeRoleForPodIdentity
    """,
    # v5
    "AmazonEKS_CNI_Policy": """
        ec2:AssignPrivateIpAddresses ec2:AttachNetworkInterface ec2:CreateNetworkInterface
        ec2:DeleteNetworkInterface ec2:DescribeInstances ec2:DescribeTags
        ec2:DescribeNetworkInterfaces ec2:DescribeInstanceTypes ec2:DescribeSubnets
        ec2:DetachNetworkInterface ec2:ModifyNetworkInterfaceAttribute
        ec2:UnassignPrivateIpAddresses ec2:CreateTags
    """,
    # v1
    "AmazonEC2ContainerRegistryPullOnly": """
        ecr:GetAuthorizationToken ecr:BatchGetImage ecr:GetDownloadUrlForLayer
        ecr:BatchImportUpstreamImage
    """,
    # v2
    "AmazonSSMManagedInstanceCore": """
        ssm:DescribeAssociation ssm:GetDeployablePatchSnapshotForInstance ssm:GetDocument
        ssm:DescribeDocument ssm:GetManifest ssm:GetParameter ssm:GetParameters
        ssm:ListAssociations ssm:ListInstanceAssociations ssm:PutInventory
        ssm:PutComplianceItems ssm:PutConfigurePackageResult ssm:UpdateAssociationStatus
        ssm:UpdateInstanceAssociationStatus ssm:UpdateInstanceInformation
        ssmmessages:CreateControlChannel ssmmessages:CreateDataChannel
        ssmmessages:OpenControlChannel ssmmessages:OpenDataChannel
        ec2messages:AcknowledgeMessage ec2messages:DeleteMessage ec2messages:FailMessage
        ec2messages:GetEndpoint ec2messages:GetMessages ec2messages:SendReply
    """,
    # v2
    "service-role/AmazonEBSCSIDriverPolicy": """
        ec2:CreateSnapshot ec2:AttachVolume ec2:DetachVolume ec2:ModifyVolume
        ec2:DescribeAvailabilityZones ec2:DescribeInstances ec2:DescribeSnapshots
        ec2:DescribeTags ec2:DescribeVolumes ec2:DescribeVolumesModifications ec2:CreateTags
        ec2:DeleteTags ec2:CreateVolume ec2:DeleteVolume ec2:DeleteSnapshot
    """,
    # v1
    "service-role/AmazonEFSCSIDriverPolicy": """
        elasticfilesystem:DescribeAccessPoints elasticfilesystem:DescribeFileSystems
        elasticfilesystem:DescribeMountTargets ec2:DescribeAvailabilityZones
        elasticfilesystem:CreateAccessPoint elasticfilesystem:TagResource
        elasticfilesystem:DeleteAccessPoint
    """,
}

# EKS access policies, not IAM policies, named like them in modules/eks/access.tf.
EKS_ACCESS_POLICIES = re.compile(r"^AmazonEKS(Cluster)?(Admin|Edit|View)Policy$")

# The policies the units attach to boundary-capped roles, by address.
WORKLOAD_POLICIES = {
    "eks: data.aws_iam_policy_document.cluster_kms",
    "eks: data.aws_iam_policy_document.load_balancer_controller",
    "eks: data.aws_iam_policy_document.external_dns",
    "eks: data.aws_iam_policy_document.cert_manager",
    "eks: data.aws_iam_policy_document.cluster_autoscaler",
    "eks: data.aws_iam_policy_document.fsx_csi_driver",
    "vpc: data.aws_iam_policy_document.flow_logs_write",
}


def _boundary() -> dict[str, Any]:
    return _policy("account: data.aws_iam_policy_document.workload_boundary")


def _boundary_allows(action: str, resources: list[str]) -> bool:
    """Whether some Allow statement of the boundary names the action and a resource that
    overlaps one of `resources` (conditions aside: the units' resources carry the org's
    tags)."""
    for statement in _boundary()["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        if not any(iam._wildcard(a, action, case=False) for a in iam._as_list(statement["Action"])):
            continue
        for mine in resources:
            for theirs in iam._as_list(statement["Resource"]):
                if iam._wildcard(theirs, mine) or iam._wildcard(mine, theirs):
                    return True
    return False


def test_every_workload_policy_is_checked_against_the_boundary() -> None:
    role_policies = {
        p.address
        for p in _extraction().policies
        if not p.address.startswith("account:")
        and not p.trust
        and not any("Principal" in s for s in p.document["Statement"])
    }
    assert role_policies == WORKLOAD_POLICIES
    attached = set()
    for module in ("eks", "vpc", "kubeflow", "mesh"):
        for path in (iam.MODULES_DIR / module).glob("*.tf"):
            attached.update(
                re.findall(
                    r'"((?:service-role/)?Amazon[A-Za-z0-9_]+)"', path.read_text(encoding="utf-8")
                )
            )
    attached = {name for name in attached if not EKS_ACCESS_POLICIES.match(name)}
    assert attached == set(MANAGED_POLICY_ACTIONS)


@pytest.mark.parametrize("address", sorted(WORKLOAD_POLICIES))
def test_the_boundary_allows_what_a_workload_policy_grants(address: str) -> None:
    denied = [
        (action, statement.get("Sid", ""))
        for statement in _policy(address)["Statement"]
        if statement["Effect"] == "Allow"
        for action in iam._as_list(statement["Action"])
        if not _boundary_allows(action, iam._as_list(statement["Resource"]))
    ]
    assert not denied, f"{address}: the boundary denies {denied}"


@pytest.mark.parametrize("name", sorted(MANAGED_POLICY_ACTIONS))
def test_the_boundary_allows_what_a_managed_policy_grants(name: str) -> None:
    denied = [a for a in MANAGED_POLICY_ACTIONS[name].split() if not _boundary_allows(a, ["*"])]
    assert not denied, f"{name}: the boundary denies {denied}"


def test_the_boundary_keeps_data_and_keys_to_the_org() -> None:
    org_tags = {"aws:ResourceTag/Organization": ORG, "aws:ResourceTag/ManagedBy": "platformctl"}
    key = f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    cases = [
        (Request("s3:GetObject", f"arn:aws:s3:::{ORG}-dev-training-data-us-east-1/x"), "Allow"),
        (Request("s3:GetObject", "arn:aws:s3:::someone-elses-bucket/x"), "ImplicitDeny"),
        (Request("s3:ListBucket", "arn:aws:s3:::someone-elses-bucket"), "ImplicitDeny"),
        (Request("kms:Decrypt", key, org_tags), "Allow"),
        (Request("kms:Decrypt", key, {"aws:ResourceTag/Organization": "other"}), "ImplicitDeny"),
        (Request("kms:Decrypt", key), "ImplicitDeny"),
        (
            Request("kms:CreateGrant", key, {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}),
            "Allow",
        ),
        (
            Request("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT_ID}:role/{ORG}-dev-eks-node"),
            "ImplicitDeny",
        ),
        (
            Request("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT_ID}:role/{ORG}-dev-eks-node"),
            "ImplicitDeny",
        ),
    ]
    assert [(r, decide(_boundary(), r)) for r, _ in cases] == cases


# ------------------------------------------------------------------------ deploy role

REGION_ARN = f"us-east-1:{ACCOUNT_ID}"
ORG_TAGS = {"aws:ResourceTag/Organization": ORG, "aws:ResourceTag/ManagedBy": "platformctl"}
ORG_REQUEST_TAGS = {"aws:RequestTag/Organization": ORG, "aws:RequestTag/ManagedBy": "platformctl"}
LAUNCH_TEMPLATE = f"arn:aws:ec2:{REGION_ARN}:launch-template/lt-0123456789abcdef0"
FROM_TEMPLATE = {"ec2:LaunchTemplate": LAUNCH_TEMPLATE}


def _run_instances(template_tags: dict[str, str], network_tags: dict[str, str]) -> list[Request]:
    """The authorizations of one RunInstances call from a launch template."""
    ec2 = f"arn:aws:ec2:{REGION_ARN}"
    return [
        Request("ec2:RunInstances", LAUNCH_TEMPLATE, {**FROM_TEMPLATE, **template_tags}),
        Request("ec2:RunInstances", f"{ec2}:instance/*", FROM_TEMPLATE),
        Request("ec2:RunInstances", f"{ec2}:volume/*", FROM_TEMPLATE),
        Request("ec2:RunInstances", f"{ec2}:network-interface/*", FROM_TEMPLATE),
        Request(
            "ec2:RunInstances",
            f"{ec2}:subnet/subnet-0123456789abcdef0",
            {**FROM_TEMPLATE, **network_tags},
        ),
        Request(
            "ec2:RunInstances",
            f"{ec2}:security-group/sg-0123456789abcdef0",
            {**FROM_TEMPLATE, **network_tags},
        ),
        Request(
            "ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0", FROM_TEMPLATE
        ),
        Request(
            "ec2:CreateTags",
            f"{ec2}:instance/i-0123456789abcdef0",
            {"ec2:CreateAction": "RunInstances"},
        ),
        Request(
            "ec2:CreateTags",
            f"{ec2}:volume/vol-0123456789abcdef0",
            {"ec2:CreateAction": "RunInstances"},
        ),
    ]


def _deploy() -> dict[str, Any]:
    return _policy("account: data.aws_iam_policy_document.deploy")


# EKS launches from its own copy of the node group's launch template.
EKS_COPY_TAGS = {
    "aws:ResourceTag/eks:cluster-name": CLUSTER,
    "aws:ResourceTag/eks:nodegroup-name": "gpu",
}

DEPLOY_MAY = [
    *_run_instances(ORG_TAGS, ORG_TAGS),
    *_run_instances(EKS_COPY_TAGS, ORG_TAGS),
    Request("eks:CreateCluster", "*", ORG_REQUEST_TAGS),
    Request("eks:UpdateClusterConfig", f"arn:aws:eks:{REGION_ARN}:cluster/{CLUSTER}"),
    Request("eks:CreateAddon", f"arn:aws:eks:{REGION_ARN}:cluster/{CLUSTER}"),
    Request(
        "eks:UpdateAddon",
        f"arn:aws:eks:{REGION_ARN}:addon/{CLUSTER}/aws-ebs-csi-driver/0c8c5a1e-0000-0000-0000-000000000000",
    ),
    Request("eks:CreatePodIdentityAssociation", f"arn:aws:eks:{REGION_ARN}:cluster/{CLUSTER}"),
    Request(
        "eks:TagResource",
        f"arn:aws:eks:{REGION_ARN}:podidentityassociation/{CLUSTER}/a-0123456789abcdef0",
    ),
    Request(
        "eks:UpdateNodegroupVersion",
        f"arn:aws:eks:{REGION_ARN}:nodegroup/{CLUSTER}/gpu/0c8c5a1e-0000-0000-0000-000000000000",
    ),
    Request(
        "eks:AssociateAccessPolicy",
        f"arn:aws:eks:{REGION_ARN}:access-entry/{CLUSTER}/role/{ACCOUNT_ID}/{ORG}-github-deploy/0c8c5a1e",
    ),
    Request(
        "autoscaling:CreateOrUpdateTags",
        f"arn:aws:autoscaling:{REGION_ARN}:autoScalingGroup:0c8c5a1e:autoScalingGroupName/eks-gpu-0c8c5a1e",
        {
            "aws:ResourceTag/eks:cluster-name": CLUSTER,
            "aws:TagKeys": ["k8s.io/cluster-autoscaler/node-template/label/role"],
        },
    ),
    Request("elasticfilesystem:CreateFileSystem", "*", ORG_REQUEST_TAGS),
    Request("elasticfilesystem:TagResource", "*", ORG_REQUEST_TAGS),
    Request(
        "elasticfilesystem:CreateMountTarget",
        f"arn:aws:elasticfilesystem:{REGION_ARN}:file-system/fs-0123abcd",
        ORG_TAGS,
    ),
    Request(
        "elasticfilesystem:PutLifecycleConfiguration",
        f"arn:aws:elasticfilesystem:{REGION_ARN}:file-system/fs-0123abcd",
        ORG_TAGS,
    ),
    Request("ec2:CreateNetworkInterface", f"arn:aws:ec2:{REGION_ARN}:network-interface/*"),
    Request(
        "ec2:CreateNetworkInterface",
        f"arn:aws:ec2:{REGION_ARN}:subnet/subnet-0123456789abcdef0",
        ORG_TAGS,
    ),
    Request(
        "ec2:DeleteNetworkInterface",
        f"arn:aws:ec2:{REGION_ARN}:network-interface/eni-0123456789abcdef0",
    ),
    Request("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT_ID}:role/{CLUSTER}-node"),
    Request(
        "iam:AttachRolePolicy",
        f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fs-0123",
    ),
    Request(
        "iam:PutRolePolicy",
        f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fs-0123",
    ),
    Request("fsx:CreateDataRepositoryAssociation", "*", ORG_REQUEST_TAGS),
    Request("s3:CreateBucket", f"arn:aws:s3:::{ORG}-dev-training-data-us-east-1"),
    Request("s3:PutBucketVersioning", f"arn:aws:s3:::{ORG}-dev-training-data-us-east-1"),
    Request("s3:GetObject", f"arn:aws:s3:::{ORG}-dev-training-data-us-east-1/data/x"),
    Request("s3:PutObject", f"arn:aws:s3:::{ORG}-dev-training-data-us-east-1/data/x"),
    Request(
        "logs:CreateLogGroup",
        f"arn:aws:logs:{REGION_ARN}:log-group:/aws/fsx/{CLUSTER}-training-data",
    ),
    Request(
        "logs:PutRetentionPolicy",
        f"arn:aws:logs:{REGION_ARN}:log-group:/aws/fsx/{CLUSTER}-training-data",
    ),
    Request("kms:CreateAlias", f"arn:aws:kms:{REGION_ARN}:alias/eks/{CLUSTER}"),
    Request("kms:CreateAlias", f"arn:aws:kms:{REGION_ARN}:key/1234abcd", ORG_TAGS),
    Request(
        "ssm:GetParameter",
        "arn:aws:ssm:us-east-1::parameter/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/release_version",
    ),
]

DEPLOY_MAY_NOT = [
    (_run_instances({"aws:ResourceTag/Organization": "other"}, ORG_TAGS)[0], "Deny"),
    (_run_instances({"aws:ResourceTag/eks:cluster-name": "other-dev-eks"}, ORG_TAGS)[0], "Deny"),
    (_run_instances(ORG_TAGS, {})[4], "Deny"),
    (Request("ec2:RunInstances", f"arn:aws:ec2:{REGION_ARN}:instance/*"), "ImplicitDeny"),
    (
        Request(
            "ec2:CreateNetworkInterface",
            f"arn:aws:ec2:{REGION_ARN}:subnet/subnet-0123456789abcdef0",
        ),
        "Deny",
    ),
    (Request("eks:CreateCluster", "*"), "ImplicitDeny"),
    (Request("eks:DeleteCluster", f"arn:aws:eks:{REGION_ARN}:cluster/other-eks"), "ImplicitDeny"),
    (
        Request(
            "autoscaling:CreateOrUpdateTags",
            f"arn:aws:autoscaling:{REGION_ARN}:autoScalingGroup:0c8c5a1e:autoScalingGroupName/eks-gpu-0c8c5a1e",
            {
                "aws:ResourceTag/eks:cluster-name": CLUSTER,
                "aws:TagKeys": ["k8s.io/cluster-autoscaler/enabled"],
            },
        ),
        "ImplicitDeny",
    ),
    (
        Request(
            "iam:UpdateAssumeRolePolicy",
            f"arn:aws:iam::{ACCOUNT_ID}:role/platformctl/github/{ORG}-github-deploy",
        ),
        "Deny",
    ),
    (
        Request("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT_ID}:role/Admin"),
        "ImplicitDeny",
    ),
    (
        Request("s3:PutBucketPolicy", f"arn:aws:s3:::{ORG}-dev-training-data-us-east-1"),
        "ImplicitDeny",
    ),
    (
        Request("s3:PutLifecycleConfiguration", f"arn:aws:s3:::{ORG}-dev-training-data-us-east-1"),
        "ImplicitDeny",
    ),
    (
        Request(
            "s3:GetObject",
            f"arn:aws:s3:::terraform-state-{ORG}-us-east-1/dev/eks/terraform.tfstate",
        ),
        "ImplicitDeny",
    ),
    (
        Request(
            "kms:CreateAlias",
            f"arn:aws:kms:{REGION_ARN}:key/1234abcd",
            {"aws:ResourceTag/Organization": "other"},
        ),
        "Deny",
    ),
    (Request("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT_ID}:role/{CLUSTER}-node"), "Deny"),
]


@pytest.mark.parametrize(
    "request_", DEPLOY_MAY, ids=lambda r: f"{r.action} {r.resource.rsplit(':', 1)[-1]}"
)
def test_the_deploy_role_may_do_what_the_modules_create(request_: Request) -> None:
    assert decide(_deploy(), request_) == "Allow"


@pytest.mark.parametrize(
    ("request_", "answer"), DEPLOY_MAY_NOT, ids=lambda r: getattr(r, "action", "")
)
def test_the_deploy_role_may_not_leave_the_org(request_: Request, answer: str) -> None:
    assert decide(_deploy(), request_) == answer


# ---------------------------------------------------------------------------- FSx


def _kubeflow() -> iam.Evaluator:
    return iam.Evaluator(iam.load_module("kubeflow"), iam.SAMPLE_INPUTS["kubeflow"])


def test_fsx_logs_to_a_log_group_the_deploy_role_manages() -> None:
    module = _kubeflow()
    file_system = module.module.find("resource", "aws_fsx_lustre_file_system", "this")
    (logging,) = [b for b in file_system.blocks if b.kind == "log_configuration"]
    destination = module.value(logging.attributes["destination"], {"count": {"index": 0}})
    log_group = module.module.find("resource", "aws_cloudwatch_log_group", "fsx")
    assert destination == iam.ARN_BUILDERS["aws_cloudwatch_log_group"](
        lambda name: module.resource_argument(log_group, name)
    )
    name = module.resource_argument(log_group, "name")
    assert name.startswith(f"/aws/fsx/{CLUSTER}")
    assert {"retention_in_days", "kms_key_id"} <= set(log_group.attributes)
    for action in ("logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey"):
        assert decide(_deploy(), Request(action, destination)) == "Allow"
    # CloudWatch Logs may use the file system's key for exactly that log group.
    (statement,) = [
        s
        for s in _policy("kubeflow: data.aws_iam_policy_document.fsx_key")["Statement"]
        if s.get("Principal") == {"Service": "logs.us-east-1.amazonaws.com"}
    ]
    assert statement["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:logs:arn": destination}
    }


def test_the_fsx_import_bucket_is_created_private_versioned_and_encrypted() -> None:
    module = _kubeflow()
    bucket = module.module.find("resource", "aws_s3_bucket", "fsx_import")
    assert (
        module.resource_argument(bucket, "bucket")
        == iam.SAMPLE_INPUTS["kubeflow"]["fsx_import_bucket"]
    )
    assert module.resource_argument(bucket, "force_destroy") is False
    for kind in (
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
    ):
        module.module.find("resource", kind, "fsx_import")
    block = module.module.find("resource", "aws_s3_bucket_public_access_block", "fsx_import")
    assert all(
        module.resource_argument(block, name) is True
        for name in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    assert (
        decide(
            _deploy(),
            Request(
                "s3:CreateBucket", f"arn:aws:s3:::{module.resource_argument(bucket, 'bucket')}"
            ),
        )
        == "Allow"
    )
