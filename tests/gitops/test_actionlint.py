"""actionlint (built by the toolchain installer) accepts every workflow."""

from __future__ import annotations

import os
import subprocess

import pytest

from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.locate import tool_path
from tests.gitops import contract


def test_actionlint_passes_on_all_workflows() -> None:
    try:
        actionlint = tool_path(contract.REPO, "actionlint")
    except ToolNotFoundError as exc:
        if os.environ.get("CI"):
            raise  # `make test` installs the tools first; missing here is a real failure
        pytest.skip(f"{exc} Run `platformctl tools install --only actionlint`.")
    files = [str(p.relative_to(contract.REPO)) for p in contract.workflow_files()]
    assert files
    done = subprocess.run(
        [str(actionlint), "-no-color", *files],
        cwd=contract.REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"actionlint found problems:\n{done.stdout}{done.stderr}"
