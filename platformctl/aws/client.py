"""The AWS calls platformctl makes: caller identity and EKS tokens (STS), the state bucket, EKS, tags."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from platformctl.aws.session import (
    AwsTarget,
    client_for,
    error_code,
    new_client,
    translate,
)
from platformctl.errors import OperationError

TLS_ONLY_SID = "DenyInsecureTransport"
PUBLIC_ACCESS_BLOCK_KEYS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
EKS_TOKEN_PREFIX = "k8s-aws-v1."
EKS_CLUSTER_HEADER = "x-k8s-aws-id"
EKS_URL_EXPIRES = 60

# kubectl caches an ExecCredential until expirationTimestamp; EKS accepts a token for
# 15 minutes, and the AWS CLI announces 14 so the cache never serves an expired one.
EKS_TOKEN_LIFETIME = dt.timedelta(minutes=14)
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    user_id: str


@dataclass(frozen=True)
class BucketState:
    """What a state bucket looks like now; every field is read, nothing is assumed."""

    name: str
    exists: bool
    region: str | None = None
    versioning: str = ""  # "Enabled", "Suspended" or "" (never enabled)
    encryption: str = ""  # "AES256", "aws:kms", "aws:kms:dsse" or "" (none)
    kms_key_id: str = ""
    public_access_block: Mapping[str, bool] = field(default_factory=dict)
    policy: Mapping[str, Any] | None = None

    @property
    def public_access_blocked(self) -> bool:
        return all(self.public_access_block.get(k) is True for k in PUBLIC_ACCESS_BLOCK_KEYS)

    @property
    def tls_only(self) -> bool:
        return self.policy is not None and has_tls_only_statement(self.policy, self.name)


@dataclass(frozen=True)
class Cluster:
    name: str
    arn: str
    endpoint: str
    certificate_authority: str
    status: str
    version: str


@dataclass(frozen=True)
class NodeGroupInfo:
    name: str
    arn: str
    status: str
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int


@dataclass(frozen=True)
class AddonInfo:
    name: str
    arn: str
    status: str
    version: str


@dataclass(frozen=True)
class TaggedResource:
    arn: str
    service: str
    kind: str
    id: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class EksToken:
    token: str
    expiration: dt.datetime

    def exec_credential(self) -> dict[str, Any]:
        """The ExecCredential document a kubeconfig exec plugin prints."""
        return {
            "kind": "ExecCredential",
            "apiVersion": EXEC_API_VERSION,
            "spec": {},
            "status": {
                "expirationTimestamp": self.expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "token": self.token,
            },
        }


def caller_identity(target: AwsTarget) -> Identity:
    """Who the credentials belong to (sts get-caller-identity)."""
    with translate(target, "read the AWS caller identity"):
        reply = client_for(target, "sts").get_caller_identity()
    return Identity(account=reply["Account"], arn=reply["Arn"], user_id=reply["UserId"])


def eks_token(target: AwsTarget, cluster: str, *, now: dt.datetime | None = None) -> EksToken:
    """The EKS bearer token: k8s-aws-v1. + base64url of a presigned GetCallerIdentity URL.

    The x-k8s-aws-id header naming the cluster is added before signing, so it is part of
    X-Amz-SignedHeaders, exactly as the AWS CLI and aws-iam-authenticator do it.
    """
    sts = new_client(target, "sts")  # its own client: the hook below must not leak

    def _add_cluster_header(request: Any, **_: Any) -> None:
        request.headers[EKS_CLUSTER_HEADER] = cluster

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", _add_cluster_header)
    with translate(target, "sign an EKS token"):
        url = sts.generate_presigned_url(
            "get_caller_identity", Params={}, ExpiresIn=EKS_URL_EXPIRES, HttpMethod="GET"
        )
    encoded = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    start = now or dt.datetime.now(dt.UTC)
    return EksToken(token=EKS_TOKEN_PREFIX + encoded, expiration=start + EKS_TOKEN_LIFETIME)


def tls_only_statement(bucket: str) -> dict[str, Any]:
    return {
        "Sid": TLS_ONLY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def has_tls_only_statement(policy: Mapping[str, Any], bucket: str) -> bool:
    """Whether a policy denies every non-TLS request to the bucket and its objects."""
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    want = set(tls_only_statement(bucket)["Resource"])
    for st in statements:
        if not isinstance(st, Mapping) or st.get("Effect") != "Deny":
            continue
        cond = st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
        actions = st.get("Action")
        actions = [actions] if isinstance(actions, str) else actions or []
        resources = st.get("Resource")
        resources = {resources} if isinstance(resources, str) else set(resources or [])
        if str(cond).lower() == "false" and "s3:*" in actions and want <= resources:
            return True
    return False


def bucket_state(target: AwsTarget, bucket: str) -> BucketState:
    """Read a bucket's existence, versioning, encryption, public access block and policy."""
    s3 = client_for(target, "s3")
    what = f"read the state of bucket {bucket}"
    with translate(target, what):
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception as exc:
            code = error_code(exc)
            if code in ("404", "NoSuchBucket", "NotFound"):
                return BucketState(name=bucket, exists=False)
            if code in ("403", "AccessDenied"):
                raise OperationError(
                    f"Bucket {bucket} exists but these credentials may not use it "
                    "(S3 bucket names are global; it may belong to another account)."
                ) from exc
            raise
        region = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "")
        algorithm, kms_key = "", ""
        try:
            rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
            default = rules["Rules"][0].get("ApplyServerSideEncryptionByDefault", {})
            algorithm = default.get("SSEAlgorithm", "")
            kms_key = default.get("KMSMasterKeyID", "")
        except Exception as exc:
            if error_code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
        try:
            pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        except Exception as exc:
            if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
                raise
            pab = {}
        try:
            policy: Mapping[str, Any] | None = json.loads(
                s3.get_bucket_policy(Bucket=bucket)["Policy"]
            )
        except Exception as exc:
            if error_code(exc) != "NoSuchBucketPolicy":
                raise
            policy = None
    return BucketState(
        name=bucket,
        exists=True,
        region=region,
        versioning=versioning,
        encryption=algorithm,
        kms_key_id=kms_key,
        public_access_block={k: bool(pab.get(k, False)) for k in PUBLIC_ACCESS_BLOCK_KEYS},
        policy=policy,
    )


def create_bucket(target: AwsTarget, bucket: str, region: str) -> None:
    s3 = client_for(target, "s3")
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":  # us-east-1 refuses an explicit LocationConstraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with translate(target, f"create bucket {bucket}"):
        s3.create_bucket(**kwargs)


def enable_versioning(target: AwsTarget, bucket: str) -> None:
    with translate(target, f"enable versioning on bucket {bucket}"):
        client_for(target, "s3").put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
        )


def set_default_encryption(target: AwsTarget, bucket: str, kms_key_id: str | None = None) -> None:
    """SSE-S3 (AES256) by default; SSE-KMS with a bucket key when a KMS key is given."""
    rule: dict[str, Any]
    if kms_key_id:
        rule = {
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": kms_key_id,
            },
            "BucketKeyEnabled": True,
        }
    else:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    with translate(target, f"set default encryption on bucket {bucket}"):
        client_for(target, "s3").put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]}
        )


def block_public_access(target: AwsTarget, bucket: str) -> None:
    with translate(target, f"block public access to bucket {bucket}"):
        client_for(target, "s3").put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration=dict.fromkeys(PUBLIC_ACCESS_BLOCK_KEYS, True),
        )


def put_bucket_policy(target: AwsTarget, bucket: str, policy: Mapping[str, Any]) -> None:
    with translate(target, f"set the policy of bucket {bucket}"):
        client_for(target, "s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def describe_cluster(target: AwsTarget, name: str) -> Cluster | None:
    """The cluster's endpoint and CA, or None when no cluster has that name in the region."""
    with translate(target, f"describe EKS cluster {name}"):
        eks = client_for(target, "eks")
        try:
            info = eks.describe_cluster(name=name)["cluster"]
        except Exception as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
    return Cluster(
        name=info["name"],
        arn=info["arn"],
        endpoint=info.get("endpoint", ""),
        certificate_authority=info.get("certificateAuthority", {}).get("data", ""),
        status=info.get("status", ""),
        version=info.get("version", ""),
    )


def node_groups(target: AwsTarget, cluster: str) -> tuple[NodeGroupInfo, ...]:
    """Every managed node group of a cluster, described (status, instance types, sizes)."""
    groups: list[NodeGroupInfo] = []
    with translate(target, f"list node groups of EKS cluster {cluster}"):
        eks = client_for(target, "eks")
        names: list[str] = []
        for page in eks.get_paginator("list_nodegroups").paginate(clusterName=cluster):
            names.extend(page.get("nodegroups", []))
        for name in names:
            ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
            scaling = ng.get("scalingConfig", {})
            groups.append(
                NodeGroupInfo(
                    name=name,
                    arn=ng.get("nodegroupArn", ""),
                    status=ng.get("status", ""),
                    instance_types=tuple(ng.get("instanceTypes") or ()),
                    min_size=int(scaling.get("minSize", 0)),
                    desired_size=int(scaling.get("desiredSize", 0)),
                    max_size=int(scaling.get("maxSize", 0)),
                )
            )
    return tuple(groups)


def addons(target: AwsTarget, cluster: str) -> tuple[AddonInfo, ...]:
    """Every EKS managed add-on of a cluster, described (status, version)."""
    found: list[AddonInfo] = []
    with translate(target, f"list add-ons of EKS cluster {cluster}"):
        eks = client_for(target, "eks")
        names: list[str] = []
        try:
            for page in eks.get_paginator("list_addons").paginate(clusterName=cluster):
                names.extend(page.get("addons", []))
        except Exception as exc:
            # The AWS emulator has no add-on API (the sandbox turns add-ons off): it answers
            # a bare HTTP 404, where EKS itself always names an error code.
            if error_code(exc) == "404":
                return ()
            raise
        for name in names:
            info = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
            found.append(
                AddonInfo(
                    name=name,
                    arn=info.get("addonArn", ""),
                    status=info.get("status", ""),
                    version=info.get("addonVersion", ""),
                )
            )
    return tuple(found)


def parse_arn(arn: str) -> tuple[str, str, str]:
    """(service, resource kind, resource id) of an ARN such as arn:aws:ec2:r:a:vpc/vpc-1."""
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) > 2 else ""
    resource = parts[5] if len(parts) > 5 else ""
    kind, sep, ident = resource.partition("/")
    if not sep or ":" in kind:  # log-group:/aws/eks/x/cluster, function:name
        kind, _, ident = resource.partition(":")
        ident = ident.removesuffix(":*")
    return service, kind, ident or kind


def tagged_resources(target: AwsTarget, tags: Mapping[str, str]) -> tuple[TaggedResource, ...]:
    """Resources carrying every given tag (Resource Groups Tagging API get-resources).

    The tagging API of some emulators omits Elastic IPs and network ACLs; those two are
    also listed with EC2's own tag filters, and the union is returned without duplicates.
    """
    found: dict[str, TaggedResource] = {}
    filters = [{"Key": k, "Values": [v]} for k, v in tags.items()]
    with translate(target, "list tagged resources"):
        api = client_for(target, "resourcegroupstaggingapi")
        for page in api.get_paginator("get_resources").paginate(TagFilters=filters):
            for item in page.get("ResourceTagMappingList", []):
                arn = item["ResourceARN"]
                service, kind, ident = parse_arn(arn)
                found[arn] = TaggedResource(
                    arn, service, kind, ident, {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                )
        ec2 = client_for(target, "ec2")
        ec2_filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
        account = ""
        region = ec2.meta.region_name
        for addr in ec2.describe_addresses(Filters=ec2_filters).get("Addresses", []):
            account = account or addr.get("NetworkInterfaceOwnerId", "")
            ident = addr.get("AllocationId", addr.get("PublicIp", ""))
            _add_ec2(
                found,
                region=region,
                account=account,
                kind="elastic-ip",
                ident=ident,
                tags=addr.get("Tags", []),
            )
        paginator = ec2.get_paginator("describe_network_acls")
        for page in paginator.paginate(Filters=ec2_filters):
            for acl in page.get("NetworkAcls", []):
                ident = acl["NetworkAclId"]
                _add_ec2(
                    found,
                    region=region,
                    account=acl.get("OwnerId", account),
                    kind="network-acl",
                    ident=ident,
                    tags=acl.get("Tags", []),
                )
    return tuple(found.values())


def _add_ec2(
    found: dict[str, TaggedResource],
    *,
    region: str,
    account: str,
    kind: str,
    ident: str,
    tags: list[dict[str, str]],
) -> None:
    if any(r.service == "ec2" and r.kind == kind and r.id == ident for r in found.values()):
        return
    arn = f"arn:aws:ec2:{region}:{account}:{kind}/{ident}"
    found[arn] = TaggedResource(arn, "ec2", kind, ident, {t["Key"]: t["Value"] for t in tags})
