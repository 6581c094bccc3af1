"""Stop signals in-process: SIGTERM and SIGHUP behave like Ctrl-C and set the exit code."""

from __future__ import annotations

import os
import signal
import time

import pytest
import typer

from platformctl import signals
from platformctl.cli.errors import run_app


def _stop_self(sig: int) -> None:
    os.kill(os.getpid(), sig)
    time.sleep(5)  # the handler raises long before this ends
    pytest.fail("the signal did not interrupt")


@pytest.mark.parametrize(
    ("sig", "code", "name"),
    [
        (signal.SIGINT, 130, "Ctrl-C"),
        (signal.SIGTERM, 143, "SIGTERM"),
        (signal.SIGHUP, 129, "SIGHUP"),
    ],
)
def test_a_signal_that_escapes_a_command_exits_128_plus_it_with_a_message(
    capsys: pytest.CaptureFixture[str], sig: int, code: int, name: str
) -> None:
    app = typer.Typer()

    @app.command()
    def work() -> None:
        _stop_self(sig)

    @app.command()
    def other() -> None:
        pass

    with signals.handled():
        result = run_app(app, ["work"])
    assert result == code
    assert f"Interrupted ({name})." in capsys.readouterr().err


def test_a_signal_inside_a_deferred_block_arrives_when_it_ends() -> None:
    done = []
    with signals.handled(), pytest.raises(signals.StopSignal) as stop:
        with signals.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            done.append("the block finished")
        done.append("not reached")
    assert done == ["the block finished"]
    assert stop.value.signum == signal.SIGTERM
    assert signals.exit_code() == 143


def test_handlers_are_restored_afterwards() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with signals.handled():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
