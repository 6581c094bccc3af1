"""GitHub-flavoured markdown of a plan/deploy/destroy result (CI job summaries, PR comments).

A pure function of the JSON document that `platformctl plan-all --json` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ICONS = {
    "planned": "📝",
    "no-changes": "✅",
    "applied": "✅",
    "destroyed": "🗑️",
    "failed": "❌",
    "skipped": "⏭️",
}


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _policy(unit: Mapping[str, Any]) -> str:
    policy = unit.get("policy")
    if not policy:
        return "—"
    if policy.get("passed"):
        return "✅ passed"
    allowed = ", allowed by `--allow-policy-failures`" if policy.get("allowed") else ""
    return f"❌ failed ({len(policy.get('failures', []))}){allowed}"


def _policy_failures(env_name: str, unit: Mapping[str, Any]) -> list[str]:
    failures = (unit.get("policy") or {}).get("failures", [])
    if not failures:
        return []
    lines = [
        f"<details><summary>❌ {_cell(env_name)}/{_cell(unit.get('name'))}: "
        f"{len(failures)} policy check(s) failed</summary>",
        "",
        "| tool | rule | resource | message |",
        "|---|---|---|---|",
    ]
    for failure in failures:
        lines.append(
            f"| {_cell(failure.get('tool', ''))} | {_cell(failure.get('rule', ''))} "
            f"| {_cell(failure.get('resource', ''))} | {_cell(failure.get('message', ''))} |"
        )
    return [*lines, "", "</details>", ""]


def render(document: Mapping[str, Any]) -> str:
    """The per-unit table of every environment, then each failed unit's last lines."""
    command = document.get("command", "plan")
    verdict = "succeeded" if document.get("ok") else "failed"
    lines = [f"## platformctl {command} — {_cell(document.get('org', ''))}: {verdict}", ""]
    failures: list[tuple[str, Mapping[str, Any]]] = []
    # The policy column appears only when the plans were checked (plan-all --policy).
    checked = [
        (str(e.get("env")), u)
        for e in document.get("environments", [])
        for u in e.get("units", [])
        if u.get("policy")
    ]
    for env in document.get("environments", []):
        units = env.get("units", [])
        lines.append(f"### {_cell(env.get('env'))} ({_cell(env.get('region'))})")
        lines.append("")
        if not units:
            lines += ["No units in scope.", ""]
            continue
        # The retries column appears only when a transient error made terragrunt run again.
        retried = any(u.get("retries") for u in units)
        lines.append(
            "| unit | status | add | change | replace | destroy | duration | mock outputs |"
            + (" retries |" if retried else "")
            + (" policy |" if checked else "")
        )
        lines.append(
            "|---|---|--:|--:|--:|--:|--:|---|"
            + ("---|" if retried else "")
            + ("---|" if checked else "")
        )
        for unit in units:
            status = str(unit.get("status", ""))
            mock = "⚠️ yes" if unit.get("used_mock_outputs") else "no"
            retries = int(unit.get("retries") or 0)
            lines.append(
                f"| {_cell(unit.get('name'))} | {_ICONS.get(status, '')} {_cell(status)} "
                f"| {unit.get('add', 0)} | {unit.get('change', 0)} | {unit.get('replace', 0)} "
                f"| {unit.get('destroy', 0)} | {float(unit.get('duration_s', 0.0)):.1f}s | {mock} |"
                + (f" {f'🔁 retried {retries}×' if retries else ''} |" if retried else "")
                + (f" {_policy(unit)} |" if checked else "")
            )
            if status == "failed":
                failures.append((str(env.get("env")), unit))
        lines.append("")
    if any(
        u.get("used_mock_outputs")
        for e in document.get("environments", [])
        for u in e.get("units", [])
    ):
        lines += [
            "> ⚠️ Some plans used mock outputs of dependencies that have no state yet; "
            "those units are planned again against real outputs when deployed.",
            "",
        ]
    for env_name, unit in checked:
        lines += _policy_failures(env_name, unit)
    for env_name, unit in failures:
        tail = str(unit.get("error_tail", "")).replace("```", "ʼʼʼ")
        lines += [
            f"<details><summary>❌ {_cell(env_name)}/{_cell(unit.get('name'))} failed "
            f"(log: <code>{_cell(unit.get('log', ''))}</code>)</summary>",
            "",
            "```text",
            tail,
            "```",
            "",
            "</details>",
            "",
        ]
    if document.get("run_dir"):
        lines.append(f"Run directory: `{document['run_dir']}`")
    return "\n".join(lines).rstrip("\n") + "\n"
