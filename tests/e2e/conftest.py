"""The e2e tier: the real modules applied to the sandbox with the real providers.

One throwaway repository per module of tests (tests.fixtures.sandboxrepo). The
providers come from a mirror (PLATFORMCTL_PROVIDER_MIRROR, or the default mirror folder in
the cache) or, outside offline mode, the registry; the tier skips, naming the missing
providers, when they do not resolve (tests.fixtures.providers).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.providers import skip_without_providers
from tests.fixtures.sandboxrepo import Done, Sandbox, clean_environment, make_repo
from tests.fixtures.servers import free_port

__all__ = ["ENV", "ORG", "Done", "Sandbox", "clean_environment"]

ORG = "E2eOrg"
ENV = "sandbox"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A fresh repository (platform.toml, templates, modules) with `sandbox up` and bootstrap."""
    skip_without_providers()
    root = tmp_path_factory.mktemp("e2e") / "repo"
    box = make_repo(root, ("platform.toml", ".tool-versions", "templates", "modules"))
    # Free ports: a developer's own sandbox may hold the default ones.
    box.run("sandbox", "up", "--port", str(free_port()), "--charts-port", str(free_port())).check()
    try:
        box.run("render", "--org", ORG, "--env", ENV).check()
        box.run("bootstrap", "--org", ORG, "--env", ENV).check()
        yield box
    finally:
        box.run("sandbox", "down", "--purge")
