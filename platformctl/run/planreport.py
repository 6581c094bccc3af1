"""What a saved plan will do, from the JSON of `tofu show -json <planfile>`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PlanCounts:
    """Resources a plan adds, changes in place, replaces and destroys."""

    add: int = 0
    change: int = 0
    replace: int = 0
    destroy: int = 0
    outputs_change: bool = False

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.replace or self.destroy or self.outputs_change)


def count_actions(document: Mapping[str, Any]) -> PlanCounts:
    """Count resource_changes[].change.actions of a plan document.

    A replacement is ["delete", "create"] or ["create", "delete"] (create before destroy)
    and counts once, as a replacement; "no-op" and "read" are not changes.
    """
    add = change = replace = destroy = 0
    for rc in document.get("resource_changes") or ():
        actions = tuple((rc.get("change") or {}).get("actions") or ())
        if set(actions) == {"delete", "create"}:
            replace += 1
        elif actions == ("create",):
            add += 1
        elif actions == ("update",):
            change += 1
        elif actions == ("delete",):
            destroy += 1
    outputs = any(
        tuple((oc or {}).get("actions") or ()) not in ((), ("no-op",))
        for oc in (document.get("output_changes") or {}).values()
    )
    return PlanCounts(add, change, replace, destroy, outputs)


def read_plan_json(path: Path) -> PlanCounts | None:
    """Counts from a plan's JSON file, or None when there is none (the plan failed)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    return count_actions(document)
