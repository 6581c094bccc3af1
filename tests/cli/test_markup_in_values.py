"""Values that are not ours (paths, names, tool output) reach the terminal as they are:
text that looks like rich markup is neither interpreted, dropped, nor a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.repo_cli import Cli

MARKUP = ("[/]", "[bold/]", "[project]")


def test_render_names_a_hand_written_file_with_brackets(repo: Path, cli: Cli) -> None:
    assert cli("render", "--org", "MarkOrg").code == 0
    odd = repo / "live/markorg/dev/[/]x.hcl"
    odd.parent.mkdir(parents=True, exist_ok=True)
    odd.write_text("# mine\n")
    result = cli("render", "--org", "MarkOrg")
    assert result.code == 0, result.err
    assert "live/markorg/dev/[/]x.hcl" in result.err


@pytest.mark.parametrize("command", [("doctor", "--offline"), ("tools", "list")])
@pytest.mark.parametrize("odd", MARKUP)
def test_a_cache_path_with_brackets_is_printed_whole(
    repo: Path,
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: tuple[str, ...],
    odd: str,
) -> None:
    cache = tmp_path / f"cache{odd}dir"
    binary = cache / "tools/actionlint/1.7.12/bin/actionlint"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\necho 1.7.12\n")
    binary.chmod(0o755)
    monkeypatch.setenv("PLATFORMCTL_CACHE", str(cache))
    result = cli(*command)
    assert result.code in (0, 1), result.err
    assert "this is a bug" not in result.err
    assert str(binary) in "".join(result.out.split()), result.out


def test_engine_messages_are_never_markup(capsys: pytest.CaptureFixture[str]) -> None:
    from rich.console import Console

    from platformctl.cli.context import ConsoleReporter

    reporter = ConsoleReporter(Console(stderr=True, width=200))
    for text in MARKUP:
        reporter.step(f"copy {text}/file")
        reporter.info(f"info {text}")
        reporter.warn(f"warn {text}")
    err = capsys.readouterr().err
    for text in MARKUP:
        assert f"copy {text}/file" in err and f"info {text}" in err and f"warn {text}" in err
