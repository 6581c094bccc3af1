"""Where AWS calls for an environment go (the sandbox's emulator, or AWS itself) and as whom."""

from __future__ import annotations

from pathlib import Path

from platformctl.aws.session import AwsTarget
from platformctl.model.config import Environment
from platformctl.sandbox.registry import sandbox_env


def aws_target(root: Path, env: Environment, region: str | None = None) -> AwsTarget:
    """Where AWS calls for an environment go: the sandbox's emulator, or AWS itself, as the
    environment's role_arn when platform.toml names one."""
    the_region = region or env.region
    if not env.sandbox:
        return AwsTarget(
            region=the_region,
            role_arn=env.role_arn,
            external_id=env.external_id,
            session_name=env.session_name,
        )
    values = sandbox_env(root, the_region)
    return AwsTarget(
        region=the_region,
        endpoint=values["AWS_ENDPOINT_URL"],
        access_key=values["AWS_ACCESS_KEY_ID"],
        secret_key=values["AWS_SECRET_ACCESS_KEY"],
        label="sandbox",
    )
