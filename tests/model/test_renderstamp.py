"""The render stamp: an unchanged tree is recognised without rendering; any change is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformctl.model.config import load_platform, resolve_org
from platformctl.model.renderstamp import Stamp
from platformctl.run.scope import ensure_rendered
from tests.fixtures.repo import make_repo


class _Info:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def step(self, message: str) -> None:
        self.lines.append(message)

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append("warning: " + message)


@pytest.mark.parametrize("env_name", [None, "dev"])
def test_stamp_follows_every_input_and_every_rendered_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env_name: str | None
) -> None:
    root = make_repo(tmp_path)
    platform, org = load_platform(root), resolve_org("ExampleOrg")
    stamp = Stamp(root, platform, org, env_name)
    assert stamp.fresh() is None  # never rendered

    ensure_rendered(root, platform, org, env_name, _Info(), dry_run=False)
    count = stamp.fresh()
    assert count is not None and count > 5

    # A fresh tree is recognised without rendering at all.
    from platformctl.model import render

    def no_render(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("rendered although the stamp matched")

    monkeypatch.setattr(render, "render_tree", no_render)
    reporter = _Info()
    assert ensure_rendered(root, platform, org, env_name, reporter, dry_run=False) == root
    assert reporter.lines == [
        f"live/exampleorg{'/dev' if env_name else ''} is freshly rendered ({count} files)."
    ]
    monkeypatch.undo()

    unit = root / "live/exampleorg/dev/us-east-1/vpc/terragrunt.hcl"
    original = unit.read_text()
    unit.write_text(original + "# hand edit\n")  # an edited file
    assert stamp.fresh() is None
    unit.write_text(original)
    assert stamp.fresh() == count
    extra = unit.parent.parent / "extra" / "terragrunt.hcl"  # an added file
    extra.parent.mkdir()
    extra.write_text("# stray\n")
    assert stamp.fresh() is None
    extra.unlink()
    assert stamp.fresh() == count
    manifest = root / "live/exampleorg/.platformctl-manifest"  # the list of rendered files
    kept = manifest.read_text()
    manifest.write_text(kept + "exampleorg/stray.hcl\n")
    assert stamp.fresh() is None
    manifest.write_text(kept)
    assert stamp.fresh() == count
    template = root / "templates/env.hcl.j2"  # a template
    template.write_text(template.read_text() + "# new line\n")
    assert stamp.fresh() is None
    other = resolve_org("OtherOrg")  # another org has its own stamp
    assert Stamp(root, platform, other, env_name).fresh() is None


def test_the_manifest_name_is_the_writers() -> None:
    from platformctl.model import livetree, renderstamp

    assert renderstamp.MANIFEST == livetree.MANIFEST


def test_a_stale_tree_is_rendered_again_and_stamped(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    platform, org = load_platform(root), resolve_org("ExampleOrg")
    ensure_rendered(root, platform, org, None, _Info(), dry_run=False)
    (root / "templates/env.hcl.j2").write_text(
        (root / "templates/env.hcl.j2").read_text() + "# changed\n"
    )
    reporter = _Info()
    ensure_rendered(root, platform, org, None, reporter, dry_run=False)
    assert any("was stale" in line for line in reporter.lines)
    assert "# changed" in (root / "live/exampleorg/dev/env.hcl").read_text()
    assert Stamp(root, platform, org, None).fresh() is not None
