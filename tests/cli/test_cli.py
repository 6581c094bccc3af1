"""The CLI in-process: exit codes, messages, and that bad input writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.repo import REPO, make_repo, run, tree_snapshot


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo(tmp_path)
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(root))
    monkeypatch.delenv("PLATFORMCTL_ORG", raising=False)
    return root


def test_render_then_check_is_fresh(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 0 and "18 written" in out
    code, out, _ = run(["render", "--org", "ExampleOrg", "--check"], capsys)
    assert code == 0 and "up to date" in out


def test_check_on_stale_tree_exits_1_with_diff(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["render", "--org", "ExampleOrg"], capsys)
    (repo / "live/exampleorg/dev/env.hcl").write_text("# edited\n")
    code, out, err = run(["render", "--org", "ExampleOrg", "--check"], capsys)
    assert code == 1
    assert "+++ b/live/exampleorg/dev/env.hcl" in out and "stale" in err


def test_render_check_on_main_is_fresh(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLATFORMCTL_ROOT", str(REPO))
    code, _, _ = run(["render", "--org", "ExampleOrg", "--check"], capsys)
    assert code == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["render", "--org", "Bad_Org"], "--org 'Bad_Org' is invalid"),
        (["render", "--org", "ExampleOrg", "--env", "prod"], "known environments: dev, sandbox"),
        (["render"], "No organisation given"),
        (["graph", "--org", "ExampleOrg", "--env", "x/../y"], "Unknown environment"),
        (["render", "--org", "ExampleOrg", "--no-such-flag"], "No such option"),
    ],
)
def test_bad_input_exits_2_with_one_sentence_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code, _, err = run(args, capsys)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err
    assert not (repo / "live").exists()


def test_invalid_platform_file_is_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "platform.toml").write_text(
        (repo / "platform.toml").read_text().replace('"10.1.0.0/16"', '"10.0.0.0/16"')
    )
    code, _, err = run(["render", "--org", "ExampleOrg"], capsys)
    assert code == 2 and "overlaps" in err
    assert tree_snapshot(repo / "live") == {}


def test_verbose_shows_traceback(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["-v", "render", "--org", "x"], capsys)
    assert code == 2 and "Traceback" in err


def test_graph_formats(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(["render", "--org", "ExampleOrg"], capsys)
    code, out, _ = run(["graph", "--org", "ExampleOrg", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["order"] == ["vpc", "eks", "mesh", "kubeflow"]
    code, out, _ = run(["graph", "--org", "ExampleOrg", "--format", "mermaid"], capsys)
    assert "vpc --> eks" in out and "mesh --> kubeflow" in out


def test_outside_a_repo_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "platformctl", "render", "--org", "ExampleOrg"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 2
    assert "No platform.toml found" in done.stderr


def test_every_command_has_help_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from platformctl.cli import app

    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    assert {"render", "graph", "doctor"} <= set(commands)
    for name, command in commands.items():
        sub = command.commands if hasattr(command, "commands") else {name: command}
        for cmd in sub.values():
            assert cmd.help and "Example" in cmd.help, f"{name} {cmd.name} --help has no examples"


def test_graph_without_org_uses_the_only_rendered_one(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["graph"], capsys)
    assert code == 2 and "No organisation given" in err
    run(["render", "--org", "ExampleOrg"], capsys)
    code, out, _ = run(["graph"], capsys)
    assert code == 0 and out.startswith("vpc")


def test_the_command_table_names_every_command_and_its_module() -> None:
    import typer

    from platformctl import cli

    full = typer.main.get_command(cli.build_app())
    assert sorted(full.commands) == sorted(cli.COMMANDS)  # type: ignore[attr-defined]
    for name in cli.COMMANDS:
        alone = typer.main.get_command(cli.build_app(name))
        assert name in alone.commands  # type: ignore[attr-defined]
    assert cli.invoked(["-v", "plan-all", "--org", "x"]) == "plan-all"
    assert cli.invoked(["--help"]) is None


def test_a_command_runs_with_only_its_own_module_imported(repo: Path) -> None:
    probe = (
        "import sys\n"
        "from platformctl.cli import main\n"
        "try:\n    main(['render', '--org', 'ExampleOrg', '--env', 'dev'])\n"
        "except SystemExit as exc:\n"
        "    loaded = sorted(m for m in sys.modules if m.endswith('_cmd'))\n"
        "    print(exc.code, loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=False
    )
    assert done.stderr.strip().splitlines()[-1] == "0 ['platformctl.cli.render_cmd']", done.stderr


def test_an_eof_that_is_not_end_of_input_is_a_failure_not_an_interrupt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """click turns an EOFError escaping a command into Abort ("Aborted.", 130); a truncated
    gzip raises exactly that, so it must read as a failed operation instead."""
    import gzip

    import typer

    from platformctl.cli.errors import run_app

    app = typer.Typer()

    @app.command()
    def read() -> None:
        gzip.decompress(gzip.compress(b"x" * 1000)[:20])

    code = run_app(app, [])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Aborted" not in err
    assert "a cached or downloaded archive is truncated" in " ".join(err.split())


def test_an_org_from_the_environment_is_named_as_such(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORMCTL_ORG", "x")
    code, _out, err = run(["render"], capsys)
    assert (
        code == 2 and "PLATFORMCTL_ORG 'x' is invalid" in err and "--org" not in err.split(":")[1]
    )
    code, _out, err = run(["render", "--org", ""], capsys)
    assert code == 2
    assert "--org is empty: give the organisation, or leave --org out to use PLATFORMCTL_ORG." in (
        " ".join(err.split())
    )


def test_graph_defaults_to_the_first_environment_of_platform_toml(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = repo / "platform.toml"
    toml.write_text(toml.read_text().replace('name = "dev"', 'name = "staging"'))
    assert run(["render", "--org", "ExampleOrg"], capsys)[0] == 0
    code, out, err = run(["graph", "--org", "ExampleOrg", "--format", "dot"], capsys)
    assert code == 0, err
    assert 'digraph "exampleorg/staging"' in out


@pytest.mark.parametrize(
    "args",
    [
        ["sandbox", "up", "--only", "moto", "--port", "1"],
        ["sandbox", "down"],
    ],
)
def test_a_state_directory_that_is_a_file_is_named_by_every_command(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    (repo / ".platformctl").write_text("")
    code, _out, err = run(args, capsys)
    assert code == 2, err
    assert f"{repo / '.platformctl'} is a file where platformctl needs a directory" in err
    assert "File exists" not in err
