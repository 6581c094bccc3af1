"""The one reader of kubeconfig files, for every command that uses one.

A kubeconfig that is not a regular file, too large, not UTF-8, not YAML or not a mapping is
refused with one sentence (a UsageError: nothing was changed), before any cluster or AWS
call. The C YAML loader is used where PyYAML has it: a 780 KB kubeconfig of 5,000
contexts parses in a fraction of the pure-Python loader's time.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from platformctl.errors import UsageError

MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024
# Fields whose relative paths kubectl resolves against the kubeconfig's own directory.
_PATH_FIELDS = {
    "clusters": ("cluster", ("certificate-authority",)),
    "users": ("user", ("client-certificate", "client-key", "tokenFile")),
}


def regular_or_absent(path: Path) -> os.stat_result | None:
    """stat() of `path` (through symlinks); UsageError unless it is a regular file or absent."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"Cannot read kubeconfig {path}: {exc.strerror}.") from exc
    if not stat.S_ISREG(info.st_mode):
        what = " (it is a directory)" if stat.S_ISDIR(info.st_mode) else ""
        raise UsageError(
            f"Kubeconfig {path} is not a regular file{what}; platformctl reads and writes only "
            "regular files (pass --kubeconfig FILE)."
        )
    return info


def read_kubeconfig(path: Path, *, missing_ok: bool = True) -> dict[str, Any]:
    """The document at `path`; an empty mapping when it is absent (with missing_ok) or empty."""
    import yaml

    info = regular_or_absent(path)
    if info is None:
        if missing_ok:
            return {}
        raise UsageError(f"Kubeconfig {path} does not exist.")
    if info.st_size > MAX_KUBECONFIG_BYTES:
        raise UsageError(f"Kubeconfig {path} is {info.st_size} bytes, too large to be one.")
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return {} if missing_ok else read_kubeconfig(path, missing_ok=False)
    except OSError as exc:
        raise UsageError(f"Cannot read kubeconfig {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"Kubeconfig {path} is not UTF-8 text; fix or move it first.") from exc
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader) if text.strip() else None
    except (yaml.YAMLError, RecursionError) as exc:
        raise UsageError(f"Kubeconfig {path} is not valid YAML; fix or move it first.") from exc
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise UsageError(f"Kubeconfig {path} is not a kubeconfig document (expected a mapping).")
    for key in ("clusters", "users", "contexts"):
        if doc.get(key) is not None and not isinstance(doc[key], list):
            raise UsageError(f"Kubeconfig {path}: '{key}' must be a list.")
    return doc


def with_absolute_paths(doc: dict[str, Any], base: Path) -> dict[str, Any]:
    """A copy of `doc` whose relative file paths are resolved against `base`, as kubectl does."""
    out = dict(doc)
    for section, (body_key, fields) in _PATH_FIELDS.items():
        if section in doc:
            out[section] = [_resolved(e, body_key, fields, base) for e in doc.get(section) or []]
    return out


def _resolved(entry: object, body_key: str, fields: tuple[str, ...], base: Path) -> object:
    body = entry.get(body_key) if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or not isinstance(body, dict):
        return entry
    fixed = {
        key: str(base / value)
        if key in fields and isinstance(value, str) and value and not os.path.isabs(value)
        else value
        for key, value in body.items()
    }
    return {**entry, body_key: fixed}
