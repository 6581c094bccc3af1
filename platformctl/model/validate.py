"""Shape rules shared by platform.toml, the CLI flags and the training jobs.

Each predicate takes any value (TOML and flags give strings, numbers, lists…) and says
whether it is well-formed; the caller words the sentence, naming the field.
"""

from __future__ import annotations

import re
from typing import TypeGuard

from platformctl.model.awsdata import REGION_AZS

_DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
_EKS_CLUSTER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
# A kubeconfig context name: printable, no spaces, nothing a shell or YAML reader trips on.
_CONTEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:/+=-]{0,252}")
# The image reference grammar of the distribution project (github.com/distribution/reference).
_DOMAIN_COMPONENT = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(
    rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?"
)


def _text(value: object, longest: int) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= longest else None


def dns_label(value: object) -> TypeGuard[str]:
    """An RFC 1123 label: namespaces, node group names (a-z, 0-9, '-', up to 63)."""
    text = _text(value, 63)
    return text is not None and _DNS_LABEL.fullmatch(text) is not None


def dns_subdomain(value: object) -> TypeGuard[str]:
    """An RFC 1123 subdomain: dot-separated labels, up to 253 characters."""
    text = _text(value, 253)
    return text is not None and all(_DNS_LABEL.fullmatch(part) for part in text.split("."))


def qualified_name(value: object) -> TypeGuard[str]:
    """A Kubernetes label or taint key: an optional DNS-subdomain prefix and '/', then a name.

    The name is 1-63 characters of A-Z, a-z, 0-9, '-', '_' and '.', starting and ending
    alphanumeric (k8s.io/apimachinery IsQualifiedName).
    """
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    if slash and not dns_subdomain(prefix):
        return False
    return _QUALIFIED_NAME.fullmatch(name) is not None


def label_value(value: object) -> TypeGuard[str]:
    """A Kubernetes label (or taint) value: empty, or a name of up to 63 characters."""
    return isinstance(value, str) and (value == "" or _QUALIFIED_NAME.fullmatch(value) is not None)


def region(value: object) -> TypeGuard[str]:
    """A region of one of the AWS partitions (offline list, platformctl.model.awsdata)."""
    return isinstance(value, str) and value in REGION_AZS


def github_repository(value: object) -> TypeGuard[str]:
    """owner/name as GitHub allows them: owner 1-39 of A-Z, a-z, 0-9 and single hyphens
    (not first or last), name 1-100 of A-Z, a-z, 0-9, '.', '_', '-' and not '.' or '..'."""
    if not isinstance(value, str) or value.count("/") != 1:
        return False
    owner, name = value.split("/")
    return (
        len(owner) <= 39
        and _GITHUB_OWNER.fullmatch(owner) is not None
        and _GITHUB_REPO.fullmatch(name) is not None
        and name not in (".", "..")
    )


def eks_cluster_name(value: object) -> TypeGuard[str]:
    text = _text(value, 100)
    return text is not None and _EKS_CLUSTER.fullmatch(text) is not None


def context_name(value: object) -> TypeGuard[str]:
    """A kubeconfig context name platformctl writes: 1-253 printable, no spaces or newlines."""
    text = _text(value, 253)
    return text is not None and _CONTEXT.fullmatch(text) is not None


def image_reference(value: object) -> TypeGuard[str]:
    """A container image reference (registry/path:tag@digest), at most 255 characters."""
    text = _text(value, 255)
    return text is not None and _IMAGE.fullmatch(text) is not None
