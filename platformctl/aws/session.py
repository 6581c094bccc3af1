"""The only module that imports boto3/botocore: where a call goes, its client, its errors.

Every call (platformctl.aws.client, platformctl.aws.cloud) takes an `AwsTarget` (region,
optional endpoint such as the sandbox's moto server, optional explicit credentials,
timeouts) and returns frozen dataclasses. botocore failures become one-sentence platformctl errors here: missing or rejected credentials
are input problems (UsageError, exit 2); an unreachable endpoint or a failed call is an
operation failure (OperationError, exit 1). "Not found" answers are returned as data
(None / exists=False) so the engine decides what they mean.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from platformctl.errors import OperationError, UsageError

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
    # The role every call assumes first (STS AssumeRole with the caller's credentials);
    # "" calls with the caller's credentials themselves.
    role_arn: str = ""
    external_id: str = ""
    session_name: str = ""

    def short(self) -> AwsTarget:
        """The same target with timeouts fit for a quick, offline-safe check (doctor)."""
        return replace(self, connect_timeout=2.0, read_timeout=5.0, max_attempts=1)


def client_for(target: AwsTarget, service: str) -> Any:
    # Clients are reused while nothing they read from the environment changes.
    return _cached_client(target, service, _aws_vars())


@functools.lru_cache(maxsize=32)
def _cached_client(target: AwsTarget, service: str, aws_vars: tuple[tuple[str, str], ...]) -> Any:
    del aws_vars  # part of the cache key only
    return new_client(target, service)


DEFAULT_SESSION_NAME = "platformctl"


def new_client(target: AwsTarget, service: str) -> Any:
    import boto3

    with translate(target, "start an AWS session"):
        if target.role_arn:
            key, secret, token = _assumed(target, _aws_vars())
            session = boto3.Session(
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                aws_session_token=token,
                region_name=target.region,
            )
        else:
            session = boto3.Session(
                aws_access_key_id=target.access_key,
                aws_secret_access_key=target.secret_key,
                region_name=target.region,
            )
    with translate(target, f"create a {service} client"):
        return session.client(service, endpoint_url=target.endpoint, config=_config(target))


def _aws_vars() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))


@functools.lru_cache(maxsize=8)
def _assumed(target: AwsTarget, aws_vars: tuple[tuple[str, str], ...]) -> tuple[str, str, str]:
    """Credentials of target.role_arn, assumed once per process (they last an hour)."""
    del aws_vars  # part of the cache key only
    import boto3

    caller = boto3.Session(
        aws_access_key_id=target.access_key,
        aws_secret_access_key=target.secret_key,
        region_name=target.region,
    ).client("sts", endpoint_url=target.endpoint, config=_config(target))
    args: dict[str, str] = {
        "RoleArn": target.role_arn,
        "RoleSessionName": target.session_name or DEFAULT_SESSION_NAME,
    }
    if target.external_id:
        args["ExternalId"] = target.external_id
    with translate(target, f"assume the role {target.role_arn}"):
        reply = caller.assume_role(**args)["Credentials"]
    return reply["AccessKeyId"], reply["SecretAccessKey"], reply["SessionToken"]


def _config(target: AwsTarget) -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=target.connect_timeout,
        read_timeout=target.read_timeout,
        retries={"max_attempts": target.max_attempts, "mode": "standard"},
        s3={"addressing_style": "path"} if target.endpoint else None,
    )


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _profile_not_found(profile: str) -> str:
    config = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    return (
        f"The AWS profile {profile!r} (AWS_PROFILE) is defined in neither {config} nor "
        f"{credentials}; fix the name, or unset AWS_PROFILE."
    )


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
        raise UsageError(_profile_not_found(str(exc.kwargs.get("profile", "")))) from exc
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
