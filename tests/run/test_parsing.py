"""Pure parts: terragrunt command lines and log lines, plan counts, the markdown summary."""

from __future__ import annotations

import json
from pathlib import Path

from platformctl.run import terragrunt as tg
from platformctl.run.planreport import PlanCounts, count_actions, read_plan_json
from platformctl.run.summary_md import render

STACK = Path("/repo/live/acme/dev/us-east-1")
TOOLS = tg.Tools(
    Path("/t/terragrunt"), Path("/t/tofu"), Path("/r/.platformctl/tg"), Path("/c/plugins")
)


def test_run_all_builds_the_scope_flags_and_plan_locations() -> None:
    inv = tg.run_all(
        TOOLS,
        STACK,
        ["plan"],
        units=["eks", "mesh"],
        parallelism=2,
        out_dir=Path("/run/plans"),
        json_out_dir=Path("/run/plans"),
        report_file=Path("/run/r.json"),
    )
    argv = list(inv.argv)
    assert argv[:3] == ["/t/terragrunt", "run", "--all"]
    assert argv[argv.index("--tf-path") + 1] == "/t/tofu"
    assert argv[argv.index("--download-dir") + 1] == "/r/.platformctl/tg"
    assert argv[argv.index("--parallelism") + 1] == "2"
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--queue-include-dir"] == [
        "eks",
        "mesh",
    ]
    assert argv[argv.index("--log-format") + 1] == "json" and "--non-interactive" in argv
    assert argv[-2:] == ["--", "plan"]
    assert inv.display().startswith(f"cd {STACK} && ")


def test_environment_shares_the_plugin_cache_and_never_overrides_the_user(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    env = tg.environment(TOOLS, {"AWS_REGION": "us-east-1", "PLATFORMCTL_AWS_ENDPOINT": "http://x"})
    assert env["TF_PLUGIN_CACHE_DIR"] == "/c/plugins"
    assert env["TF_IN_AUTOMATION"] == "1"
    assert "AWS_REGION" not in env and env["PLATFORMCTL_AWS_ENDPOINT"] == "http://x"


def test_log_lines_are_attributed_to_units() -> None:
    line = json.dumps(
        {
            "level": "stdout",
            "working-dir": "eks",
            "tf-command-args": ["plan", "-no-color"],
            "msg": "Plan: 1 to add",
        }
    )
    assert tg.parse_line(line, STACK) == tg.LogEvent("eks", "stdout", "Plan: 1 to add", "plan")
    absolute = json.dumps({"level": "info", "working-dir": f"{STACK}/vpc", "msg": "init"})
    assert tg.parse_line(absolute, STACK).unit == "vpc"
    assert tg.parse_line(json.dumps({"level": "info", "msg": "queue"}), STACK).unit is None
    assert tg.parse_line("╷ not json", STACK) == tg.LogEvent(None, "raw", "╷ not json")
    assert tg.unit_of("/elsewhere/vpc", STACK) is None


def test_the_mock_outputs_warning_names_the_dependent() -> None:
    message = (
        f"Config {STACK}/vpc/terragrunt.hcl is a dependency of {STACK}/eks/terragrunt.hcl that "
        "has no outputs, but mock outputs provided and returning those in dependency output."
    )
    assert tg.mock_dependent(message, STACK) == "eks"
    assert tg.mock_dependent("Plan: 1 to add", STACK) is None


def test_the_run_report_gives_results_and_durations(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps(
            [
                {
                    "Name": "vpc",
                    "Result": "succeeded",
                    "Started": "2026-01-01T00:00:00.123456789Z",
                    "Ended": "2026-01-01T00:00:02.623456789Z",
                },
                {"Name": "eks", "Result": "early exit", "Reason": "ancestor error", "Cause": "vpc"},
            ]
        )
    )
    report = tg.read_report(path, STACK)
    assert report["vpc"].result == "succeeded" and abs(report["vpc"].duration_s - 2.5) < 1e-6
    assert report["eks"].reason == "ancestor error" and report["eks"].duration_s == 0.0
    assert tg.read_report(tmp_path / "missing.json", STACK) == {}


def _rc(*actions: str) -> dict[str, object]:
    return {"address": "x", "change": {"actions": list(actions)}}


def test_plan_counts_read_every_kind_of_action(tmp_path: Path) -> None:
    doc = {
        "resource_changes": [
            _rc("create"),
            _rc("create"),
            _rc("update"),
            _rc("delete", "create"),
            _rc("create", "delete"),
            _rc("delete"),
            _rc("no-op"),
            _rc("read"),
        ],
        "output_changes": {"id": {"actions": ["no-op"]}},
    }
    assert count_actions(doc) == PlanCounts(add=2, change=1, replace=2, destroy=1)
    assert not count_actions({"resource_changes": [_rc("no-op")]}).has_changes
    assert count_actions({"output_changes": {"id": {"actions": ["create"]}}}).has_changes
    path = tmp_path / "tfplan.json"
    path.write_text(json.dumps(doc))
    assert read_plan_json(path) == count_actions(doc)
    assert read_plan_json(tmp_path / "none.json") is None


def test_markdown_summary_is_a_table_with_failures_detailed() -> None:
    document = {
        "org": "acme",
        "command": "plan",
        "ok": False,
        "run_dir": "/r/.platformctl/runs/x",
        "environments": [
            {
                "env": "dev",
                "region": "us-east-1",
                "ok": False,
                "units": [
                    {
                        "name": "vpc",
                        "status": "planned",
                        "add": 3,
                        "change": 0,
                        "replace": 1,
                        "destroy": 0,
                        "duration_s": 4.25,
                        "used_mock_outputs": False,
                        "log": "/r/vpc.log",
                        "error_tail": "",
                    },
                    {
                        "name": "eks",
                        "status": "failed",
                        "add": 0,
                        "change": 0,
                        "replace": 0,
                        "destroy": 0,
                        "duration_s": 1.0,
                        "used_mock_outputs": True,
                        "log": "/r/eks.log",
                        "error_tail": "Error: boom | pipe",
                    },
                ],
            }
        ],
    }
    text = render(document)
    assert text.startswith("## platformctl plan — acme: failed")
    assert "| vpc | 📝 planned | 3 | 0 | 1 | 0 | 4.2s | no |" in text or "| 4.3s |" in text
    assert "| eks | ❌ failed | 0 | 0 | 0 | 0 | 1.0s | ⚠️ yes |" in text
    assert "<details><summary>❌ dev/eks failed (log: <code>/r/eks.log</code>)</summary>" in text
    assert "Error: boom | pipe" in text and "mock outputs" in text
    assert render(document) == text
