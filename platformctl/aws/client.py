"""The only module that talks to AWS (boto3/botocore).

Every call takes an `AwsTarget` (region, optional endpoint such as the sandbox's moto
server, optional explicit credentials, timeouts) and returns frozen dataclasses. botocore
failures become one-sentence platformctl errors here: missing or rejected credentials
are input problems (UsageError, exit 2); an unreachable endpoint or a failed call is an
operation failure (OperationError, exit 1). "Not found" answers are returned as data
(None / exists=False) so the engine decides what they mean.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from platformctl.errors import OperationError, UsageError

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

_NO_CREDENTIALS = (
    "No AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY), or log in with `aws sso login`."
)
_REJECTED_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
}


@dataclass(frozen=True)
class AwsTarget:
    """Where and as whom to call AWS. endpoint=None means AWS itself (or $AWS_ENDPOINT_URL)."""

    region: str | None = None
    endpoint: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 3
    label: str = "AWS"

    def short(self) -> AwsTarget:
        """The same target with timeouts fit for a quick, offline-safe check (doctor)."""
        return AwsTarget(
            self.region,
            self.endpoint,
            self.access_key,
            self.secret_key,
            connect_timeout=2.0,
            read_timeout=5.0,
            max_attempts=1,
            label=self.label,
        )


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


# --- sessions, clients and error translation ----------------------------------------


def _client(target: AwsTarget, service: str) -> Any:
    # Clients are reused while nothing they read from the environment changes.
    aws_vars = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    return _cached_client(target, service, aws_vars)


@functools.lru_cache(maxsize=32)
def _cached_client(target: AwsTarget, service: str, aws_vars: tuple[tuple[str, str], ...]) -> Any:
    del aws_vars  # part of the cache key only
    return _new_client(target, service)


def _new_client(target: AwsTarget, service: str) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.Session(
        aws_access_key_id=target.access_key,
        aws_secret_access_key=target.secret_key,
        region_name=target.region,
    )
    config = Config(
        connect_timeout=target.connect_timeout,
        read_timeout=target.read_timeout,
        retries={"max_attempts": target.max_attempts, "mode": "standard"},
        s3={"addressing_style": "path"} if target.endpoint else None,
    )
    with translate(target, f"create a {service} client"):
        return session.client(service, endpoint_url=target.endpoint, config=config)


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


@contextmanager
def translate(target: AwsTarget, what: str) -> Iterator[None]:
    """Turn botocore failures inside the block into one-sentence platformctl errors."""
    from botocore import exceptions as bx

    try:
        yield
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as exc:
        raise UsageError(_NO_CREDENTIALS) from exc
    except bx.NoRegionError as exc:
        raise UsageError("No AWS region given: pass --region or set AWS_REGION.") from exc
    except bx.ProfileNotFound as exc:
        raise UsageError(f"{exc}; check AWS_PROFILE.") from exc
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as exc:
        where = getattr(exc, "kwargs", {}).get("endpoint_url") or target.endpoint or "AWS"
        hint = (
            "is the sandbox running? `platformctl sandbox status` tells."
            if target.label == "sandbox"
            else "check the network connection (and AWS_ENDPOINT_URL if it is set)."
        )
        raise OperationError(f"Could not {what}: {where} is unreachable.", hint=hint) from exc
    except bx.ClientError as exc:
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
        if code in _REJECTED_CODES:
            raise UsageError(
                f"AWS rejected the credentials ({code}: {message}); "
                "refresh them or check AWS_PROFILE."
            ) from exc
        raise OperationError(f"Could not {what}: {code or 'error'}: {message}") from exc
    except bx.BotoCoreError as exc:
        raise OperationError(f"Could not {what}: {exc}") from exc


# --- STS ---------------------------------------------------------------------------


def caller_identity(target: AwsTarget) -> Identity:
    """Who the credentials belong to (sts get-caller-identity)."""
    with translate(target, "read the AWS caller identity"):
        reply = _client(target, "sts").get_caller_identity()
    return Identity(account=reply["Account"], arn=reply["Arn"], user_id=reply["UserId"])


def eks_token(target: AwsTarget, cluster: str, *, now: dt.datetime | None = None) -> EksToken:
    """The EKS bearer token: k8s-aws-v1. + base64url of a presigned GetCallerIdentity URL.

    The x-k8s-aws-id header naming the cluster is added before signing, so it is part of
    X-Amz-SignedHeaders, exactly as the AWS CLI and aws-iam-authenticator do it.
    """
    sts = _new_client(target, "sts")  # its own client: the hook below must not leak

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


# --- S3 state bucket ----------------------------------------------------------------


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
    s3 = _client(target, "s3")
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
    s3 = _client(target, "s3")
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":  # us-east-1 refuses an explicit LocationConstraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with translate(target, f"create bucket {bucket}"):
        s3.create_bucket(**kwargs)


def enable_versioning(target: AwsTarget, bucket: str) -> None:
    with translate(target, f"enable versioning on bucket {bucket}"):
        _client(target, "s3").put_bucket_versioning(
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
        _client(target, "s3").put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]}
        )


def block_public_access(target: AwsTarget, bucket: str) -> None:
    with translate(target, f"block public access to bucket {bucket}"):
        _client(target, "s3").put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration=dict.fromkeys(PUBLIC_ACCESS_BLOCK_KEYS, True),
        )


def put_bucket_policy(target: AwsTarget, bucket: str, policy: Mapping[str, Any]) -> None:
    with translate(target, f"set the policy of bucket {bucket}"):
        _client(target, "s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


# --- EKS ----------------------------------------------------------------------------


def describe_cluster(target: AwsTarget, name: str) -> Cluster | None:
    """The cluster's endpoint and CA, or None when no cluster has that name in the region."""
    with translate(target, f"describe EKS cluster {name}"):
        eks = _client(target, "eks")
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
        eks = _client(target, "eks")
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


# --- inventory ----------------------------------------------------------------------


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
        api = _client(target, "resourcegroupstaggingapi")
        for page in api.get_paginator("get_resources").paginate(TagFilters=filters):
            for item in page.get("ResourceTagMappingList", []):
                arn = item["ResourceARN"]
                service, kind, ident = parse_arn(arn)
                found[arn] = TaggedResource(
                    arn, service, kind, ident, {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                )
        ec2 = _client(target, "ec2")
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


# --- what controllers and units leave behind (drain, sweep, inventory) ---------------

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
        api = _client(target, "resourcegroupstaggingapi")
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
                elbv2 = _client(target, "elbv2")
                [lb] = elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
                state = lb.get("State", {}).get("Code", "")
                return CloudResource(
                    kind, arn, arn, lb["LoadBalancerName"], lb.get("VpcId", ""), state
                )
            if kind == TARGET_GROUP:
                elbv2 = _client(target, "elbv2")
                [tg] = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"]
                return CloudResource(kind, arn, arn, tg["TargetGroupName"], tg.get("VpcId", ""))
            if kind == LOG_GROUP:
                logs = _client(target, "logs")
                groups = logs.describe_log_groups(logGroupNamePrefix=ident).get("logGroups", [])
                if not any(g["logGroupName"] == ident for g in groups):
                    return None
                return CloudResource(kind, ident, arn, ident)
            if kind == KMS_KEY:
                key = _client(target, "kms").describe_key(KeyId=ident)["KeyMetadata"]
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
    ec2 = _client(target, "ec2")
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
                _client(target, "elbv2").delete_load_balancer(LoadBalancerArn=ident)
            elif kind == TARGET_GROUP:
                _client(target, "elbv2").delete_target_group(TargetGroupArn=ident)
            elif kind == SECURITY_GROUP:
                _revoke_group_references(_client(target, "ec2"), ident)
                _client(target, "ec2").delete_security_group(GroupId=ident)
            elif kind == NETWORK_INTERFACE:
                _client(target, "ec2").delete_network_interface(NetworkInterfaceId=ident)
            elif kind == VOLUME:
                _client(target, "ec2").delete_volume(VolumeId=ident)
            elif kind == LOG_GROUP:
                _client(target, "logs").delete_log_group(logGroupName=ident)
            elif kind == KMS_KEY:
                _client(target, "kms").schedule_key_deletion(
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
        for page in _client(target, "ec2").get_paginator("describe_vpcs").paginate(Filters=filters):
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
    ec2 = _client(target, "ec2")
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
