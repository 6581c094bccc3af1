"""A saved OpenTofu plan's counts, read in-process from the plan file itself.

`tofu plan -out=FILE` writes a zip archive whose `tfplan` member is a protobuf `Plan`
(OpenTofu's internal/plans/internal/planproto/planfile.proto, format version 3). The
counts need only two of its fields: each resource instance change's action and each
root output change's action. Decoding those takes well under a millisecond, where
`tofu show -json` costs a process per unit, loads every provider's schema and writes the
whole document. The result is the same as counting `tofu show -json`'s
resource_changes (see planreport.count_actions), which the tests check against the real
tofu. A file this module cannot read (an encrypted plan, another format version) raises
PlanFileError, and the caller falls back to `tofu show -json`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platformctl.run.planreport import PlanCounts

FORMAT_VERSION = 3
PLAN_MEMBER = "tfplan"

# planproto.Action, as `tofu show -json` spells it in resource_changes[].change.actions.
ACTIONS: dict[int, tuple[str, ...]] = {
    0: ("no-op",),
    1: ("create",),
    2: ("read",),
    3: ("update",),
    5: ("delete",),
    6: ("delete", "create"),
    7: ("create", "delete"),
    8: ("forget",),
    9: ("open",),
}
_NOOP = 0
_DELETE = 5

# Field numbers of the messages read here.
_PLAN_VERSION, _PLAN_RESOURCE_CHANGES, _PLAN_OUTPUT_CHANGES = 1, 3, 4
_RC_ADDR, _RC_CHANGE = 13, 9
_OC_CHANGE = 2
_CHANGE_ACTION = 1

# A data resource's address: optional module path, then `data.TYPE.NAME`.
_DATA_ADDR = re.compile(r'^(?:module\.[^.\[]+(?:\[(?:"[^"]*"|[^\]]*)\])?\.)*data\.')


class PlanFileError(Exception):
    """The file is not a plan file this module can read."""


def _varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise PlanFileError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise PlanFileError("varint too long")


def _fields(buf: bytes | memoryview) -> list[tuple[int, int | memoryview]]:
    """The (field number, value) pairs of one message: ints for varints, views otherwise."""
    buf = memoryview(buf)
    out: list[tuple[int, int | memoryview]] = []
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > end:
                raise PlanFileError("truncated field")
            out.append((number, buf[pos : pos + size]))
            pos += size
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise PlanFileError(f"unsupported wire type {wire}")
        if pos > end:
            raise PlanFileError("truncated message")
    return out


def _action(change: memoryview) -> int:
    for number, value in _fields(change):
        if number == _CHANGE_ACTION and isinstance(value, int):
            return value
    return _NOOP  # proto3 leaves a zero (no-op) enum out


def decode_actions(data: bytes) -> tuple[list[tuple[str, tuple[str, ...]]], list[int]]:
    """The resource changes (address, actions) and output change actions of a tfplan."""
    version = 0
    resources: list[tuple[str, tuple[str, ...]]] = []
    outputs: list[int] = []
    for number, value in _fields(data):
        if number == _PLAN_VERSION and isinstance(value, int):
            version = value
        elif number == _PLAN_RESOURCE_CHANGES and isinstance(value, memoryview):
            addr, action = "", _NOOP
            for field_number, field in _fields(value):
                if field_number == _RC_ADDR and isinstance(field, memoryview):
                    addr = bytes(field).decode("utf-8", "replace")
                elif field_number == _RC_CHANGE and isinstance(field, memoryview):
                    action = _action(field)
            if action not in ACTIONS:
                raise PlanFileError(f"unknown action {action} of {addr}")
            resources.append((addr, ACTIONS[action]))
        elif number == _PLAN_OUTPUT_CHANGES and isinstance(value, memoryview):
            action = _NOOP
            for field_number, field in _fields(value):
                if field_number == _OC_CHANGE and isinstance(field, memoryview):
                    action = _action(field)
            outputs.append(action)
    if version != FORMAT_VERSION:
        raise PlanFileError(f"plan format version {version}, not {FORMAT_VERSION}")
    return resources, outputs


def count_plan(data: bytes) -> PlanCounts:
    """Counts of a `tfplan` protobuf, by the rules of planreport.count_actions."""
    resources, outputs = decode_actions(data)
    add = change = replace = destroy = 0
    for addr, actions in resources:
        if actions == ("delete",) and _DATA_ADDR.match(addr):
            continue  # `tofu show -json` leaves out the state clean-up of data sources
        if set(actions) == {"delete", "create"}:
            replace += 1
        elif actions == ("create",):
            add += 1
        elif actions == ("update",):
            change += 1
        elif actions == ("delete",):
            destroy += 1
    return PlanCounts(add, change, replace, destroy, any(a != _NOOP for a in outputs))


def read_counts(path: Path) -> PlanCounts:
    """Counts of the plan file at `path`; PlanFileError when it cannot be read here."""
    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(PLAN_MEMBER)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise PlanFileError(f"{path}: {exc}") from exc
    return count_plan(data)


# The policy check of a saved plan (platformctl.run.policy), kept beside it (tfplan.tfplan)
# so that the apply of that plan can refuse it later, in the same run or after the plan
# was copied.
POLICY_FILE = "policy.json"


def write_policy(plan_dir: Path, document: Mapping[str, Any]) -> Path:
    """Record the policy check (its JSON document) of the plan saved in `plan_dir`."""
    import json

    from platformctl.fsutil import write_atomic

    path = plan_dir / POLICY_FILE
    write_atomic(path, json.dumps(document, indent=2) + "\n")
    return path


def read_policy(plan_dir: Path) -> dict[str, Any] | None:
    """The recorded policy check of the plan in `plan_dir`, or None when it was not checked."""
    import json

    try:
        data = json.loads((plan_dir / POLICY_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise PlanFileError(f"{plan_dir / POLICY_FILE}: {exc}") from exc
    if not isinstance(data, dict):
        raise PlanFileError(f"{plan_dir / POLICY_FILE}: not a policy record")
    return data
