"""`tofu init` + `tofu validate` of every module with the real providers.

Skips, naming the missing providers, where they do not resolve (tests.fixtures.providers);
where they do, this is the check that the modules are valid OpenTofu for the provider
versions at hand, not only well-formed HCL.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from platformctl import proc
from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.providers import cli_config_env
from platformctl.toolchain.locate import tool_path
from tests.conftest import REPO
from tests.fixtures.providers import skip_without_providers

pytestmark = pytest.mark.real

MODULES = sorted(p.name for p in (REPO / "modules").iterdir() if (p / "versions.tf").is_file())


@pytest.fixture(scope="module")
def tofu() -> Path:
    skip_without_providers()
    try:
        return tool_path(REPO, "opentofu")
    except ToolNotFoundError as exc:
        pytest.skip(exc.message)


def _environment() -> dict[str, str]:
    """Our CLI configuration (the mirror), added to this process's environment."""
    return {**cli_config_env(), "AWS_EC2_METADATA_DISABLED": "true"}


@pytest.mark.parametrize("module", MODULES)
def test_module_validates_with_the_real_providers(tofu: Path, module: str, tmp_path: Path) -> None:
    work = tmp_path / module
    shutil.copytree(REPO / "modules" / module, work)
    env = _environment()
    init = proc.run(
        [tofu, "init", "-backend=false", "-input=false", "-no-color"],
        cwd=work,
        env=env,
        check=False,
        timeout=600,
    )
    assert init.returncode == 0, init.stdout[-3000:] + init.stderr[-3000:]
    done = proc.run([tofu, "validate", "-json", "-no-color"], cwd=work, env=env, check=False)
    report = json.loads(done.stdout)
    problems = [
        f"{d['severity']}: {d['summary']}: {d.get('detail', '')} ({d.get('range', {}).get('filename')})"
        for d in report["diagnostics"]
    ]
    assert report["valid"], "\n".join(problems)
    assert [p for p in problems if p.startswith("error")] == []
