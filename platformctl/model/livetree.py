"""Writing a rendered tree into live/: all or nothing, and only over platformctl's own files.

platformctl knows the files it wrote: they are listed in live/<org>/.platformctl-manifest
(committed with the tree), and every template opens with a "Rendered by platformctl"
banner. A render replaces or removes only such files; a hand-written file where a
rendered one must go stops the render (exit 2) before anything is written, and other
hand-written files are left alone and reported.

The new files are written into a staging directory inside live/ first and then swapped
in one rename each, with stop signals held back; if any step fails, every file is put
back as it was and the render fails with one sentence.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from platformctl import signals
from platformctl.errors import OperationError, UsageError, quote

MANIFEST = ".platformctl-manifest"
BANNER = "Rendered by platformctl"
RENDERED_SUFFIX = ".hcl"
FILE_MODE = 0o644
_MANIFEST_HEADER = (
    "# Files platformctl rendered under this directory: `platformctl render` replaces or\n"
    "# removes only these (and files carrying its banner); anything else is left alone.\n"
)


@dataclass(frozen=True)
class Plan:
    """What writing a tree would do, relative to live/ (computed without writing)."""

    writes: Mapping[Path, bytes]
    unchanged: tuple[Path, ...]
    removes: tuple[Path, ...]
    kept: tuple[Path, ...]  # hand-written files in scope that are left alone
    manifest: Path
    manifest_text: str
    manifest_fresh: bool


RENDER_LOCK_WAIT = 600.0


@contextlib.contextmanager
def render_lock(root: Path, org_dir: str, *, wait: float = RENDER_LOCK_WAIT) -> Iterator[None]:
    """Hold the render lock of live/<org_dir>: a second render waits for the first.

    An flock on .platformctl/locks/render-<org>.lock: the kernel releases it when its
    holder ends, however it ends, so a killed render never leaves the tree locked.
    """
    import fcntl
    import time

    from platformctl.paths import state_dir

    locks = state_dir(root) / "locks"
    try:
        locks.mkdir(parents=True, exist_ok=True)
        fd = os.open(locks / f"render-{org_dir}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except (FileExistsError, NotADirectoryError) as exc:
        raise UsageError(
            f"{state_dir(root)} is not a directory; platformctl keeps its state there: move "
            "that file away."
        ) from exc
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationError(
                        f"Another render of live/{org_dir} still runs after {wait:g} s; "
                        "wait for it to finish and try again."
                    ) from None
                time.sleep(0.05)
        # Under the lock, a staging directory of this org can only be a killed render's.
        for leftover in (root / "live").glob(stage_prefix(org_dir) + "*"):
            shutil.rmtree(leftover, ignore_errors=True)
        yield
    finally:
        os.close(fd)


def stage_prefix(org_dir: str) -> str:
    """Name prefix of a render's staging directory inside live/ (one org's own)."""
    return f".platformctl-render-{org_dir}-"


def manifest_entries(live: Path, org_dir: str) -> set[Path]:
    """The files the manifest of live/<org_dir> lists (relative to live/)."""
    try:
        text = (live / org_dir / MANIFEST).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return set()
    entries: set[Path] = set()
    for raw in text.splitlines():
        line = raw.strip()
        entry = Path(line)
        # Only paths inside live/<org>: a listed path never reaches anywhere else.
        if (
            line
            and not line.startswith("#")
            and not entry.is_absolute()
            and ".." not in entry.parts
        ):
            entries.add(Path(org_dir) / entry)
    return entries


def _manifest_text(org_dir: str, files: Iterable[Path]) -> str:
    lines = sorted(str(p.relative_to(org_dir)) for p in files)
    return _MANIFEST_HEADER + "".join(f"{line}\n" for line in lines)


def _in_scope(rel: Path, envs: tuple[str, ...], all_envs: bool) -> bool:
    return all_envs or len(rel.parts) == 2 or rel.parts[1] in envs


def _on_disk(live: Path, org_dir: str, envs: tuple[str, ...], all_envs: bool) -> set[Path]:
    """Rendered-looking files (*.hcl, outside dot-directories) in scope, relative to live/."""
    base = live / org_dir
    if not base.is_dir():
        return set()
    found: set[Path] = set()
    for path in base.rglob(f"*{RENDERED_SUFFIX}"):
        rel = path.relative_to(live)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if _in_scope(rel, envs, all_envs) and (path.is_file() or path.is_symlink()):
            found.add(rel)
    return found


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OperationError(f"Cannot read {path}: {exc.strerror}.") from exc


def _is_ours(data: bytes, rel: Path, listed: set[Path]) -> bool:
    """Listed in the manifest, or carrying the banner — unless it is a user's copy of a
    rendered unit (`vpc-experiment/terragrunt.hcl` names templates/units/vpc.hcl.j2)."""
    if rel in listed:
        return True
    head = data[:2048]
    if BANNER.encode() not in head:
        return False
    named = re.search(rb"templates/units/([A-Za-z0-9_.-]+)\.hcl\.j2", head)
    return named is None or rel.parent.name == named.group(1).decode()


def _check_parents(live: Path, rel: Path) -> None:
    """Every directory on the way to a rendered file is a directory (or does not exist yet)."""
    current = live
    for part in (None, *rel.parts[:-1]):
        if part is not None:
            current = current / part
        if current.is_symlink():
            raise UsageError(
                f"{current} is a symlink where platformctl renders a directory (writes would go "
                "through it, elsewhere); replace it with a directory and render again."
            )
        if current.exists() and not current.is_dir():
            raise UsageError(
                f"{current} is a file where platformctl renders a directory; "
                "move it away and render again."
            )
        if not current.exists():
            return


def plan(
    live: Path,
    org_dir: str,
    envs: tuple[str, ...],
    files: Mapping[Path, str],
    *,
    all_envs: bool,
) -> Plan:
    """Compare the rendered files with live/; refuse (UsageError) to write over hand-written ones."""
    manifest = Path(org_dir) / MANIFEST
    if (live / manifest).is_symlink() or (
        (live / manifest).exists() and not (live / manifest).is_file()
    ):
        raise UsageError(f"{live / manifest} is not a regular file; move it away and render again.")
    listed = manifest_entries(live, org_dir)
    writes: dict[Path, bytes] = {}
    unchanged: list[Path] = []
    for rel, text in sorted(files.items()):
        _check_parents(live, rel)
        target = live / rel
        want = text.encode("utf-8")
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise UsageError(
                f"{target} is not a regular file, and platformctl renders one there; "
                "move it away and render again."
            )
        have = _read(target)
        if have == want:
            unchanged.append(rel)
            continue
        if have is not None and not _is_ours(have, rel, listed):
            raise UsageError(
                f"{target} was not written by platformctl (it is not in {org_dir}/{MANIFEST} and "
                "has no platformctl banner); move it away and render again."
            )
        writes[rel] = want
    for rel in sorted(p for p in listed if _in_scope(p, envs, all_envs)):
        _check_parents(live, rel)  # a listed file under a symlink would be removed elsewhere
    removes: list[Path] = []
    kept: list[Path] = []
    for rel in sorted(_on_disk(live, org_dir, envs, all_envs) - set(files)):
        data = _read(live / rel) or b""
        (removes if _is_ours(data, rel, listed) else kept).append(rel)
    keep_listed = {p for p in listed if not _in_scope(p, envs, all_envs)}
    manifest_text = _manifest_text(org_dir, keep_listed | set(files))
    current = _read(live / manifest)
    return Plan(
        writes=writes,
        unchanged=tuple(unchanged),
        removes=tuple(removes),
        kept=tuple(kept),
        manifest=manifest,
        manifest_text=manifest_text,
        manifest_fresh=current == manifest_text.encode(),
    )


def diff(live: Path, the_plan: Plan, files: Mapping[Path, str]) -> tuple[str, tuple[Path, ...]]:
    """A unified diff of everything `apply` would change, and the paths that would change."""
    chunks: list[str] = []
    stale = sorted({*the_plan.writes, *the_plan.removes})
    if not the_plan.manifest_fresh:
        stale.append(the_plan.manifest)
    for rel in stale:
        have = _read(live / rel)
        want: str | None = the_plan.manifest_text if rel == the_plan.manifest else files.get(rel)
        if rel in the_plan.removes:
            want = None
        name = f"{live.name}/{rel}"
        chunks.extend(
            difflib.unified_diff(
                (have or b"").decode("utf-8", errors="replace").splitlines(keepends=True),
                (want or "").splitlines(keepends=True),
                fromfile=f"a/{name}" if have is not None else "/dev/null",
                tofile=f"b/{name}" if want is not None else "/dev/null",
            )
        )
    return "".join(chunks), tuple(stale)


def check_live_dir(live: Path) -> None:
    """UsageError when live/ is a dangling symlink (a file there is refused by the plan)."""
    if live.is_symlink() and not live.exists():
        raise UsageError(
            f"{live} is a symlink to {os.readlink(live)}, which does not exist; remove the link "
            "or point it at a directory."
        )


def apply(live: Path, the_plan: Plan) -> None:
    """Stage every new file, then swap them in (and the removals out); restore on failure."""
    writes = dict(the_plan.writes)
    if not the_plan.manifest_fresh:
        writes[the_plan.manifest] = the_plan.manifest_text.encode()
    if not writes and not the_plan.removes:
        return
    created_live = not live.exists()
    try:
        live.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=stage_prefix(the_plan.manifest.parts[0]), dir=live))
    except OSError as exc:
        raise OperationError(f"Cannot write {live}: {exc.strerror}; nothing was written.") from exc
    try:
        staged = _stage(stage, live, writes)
        with signals.deferred():
            _swap(live, stage, staged, the_plan.removes)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created_live:
            with contextlib.suppress(OSError):
                live.rmdir()  # only when it is still empty, i.e. nothing was swapped in
    for rel in the_plan.removes:
        _prune_empty(live / rel.parent, stop=live)


def _stage(stage: Path, live: Path, writes: Mapping[Path, bytes]) -> dict[Path, Path]:
    staged: dict[Path, Path] = {}
    for i, (rel, data) in enumerate(sorted(writes.items())):
        path = stage / f"{i}.new"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), FILE_MODE)  # whatever the umask
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise OperationError(
                f"Cannot write the new files into {stage}: {exc.strerror}; live/ is unchanged."
            ) from exc
        staged[rel] = path
    return staged


def _swap(live: Path, stage: Path, staged: Mapping[Path, Path], removes: Iterable[Path]) -> None:
    undo: list[Callable[[], None]] = []
    backups = stage / "old"
    backups.mkdir()
    current = live
    try:
        for i, (rel, new) in enumerate(sorted(staged.items())):
            current = live / rel
            undo.extend(_make_parents(live, rel))
            # Each undo is recorded once its step has happened: a file that could not be
            # replaced (immutable, say) was never changed, so there is nothing to put back.
            if current.exists():
                backup = backups / str(i)
                _keep_copy(current, backup)
                os.replace(new, current)
                undo.append(partial(os.replace, backup, current))
            else:
                os.replace(new, current)
                undo.append(partial(current.unlink, missing_ok=True))
        for j, rel in enumerate(removes):
            current = live / rel
            backup = backups / f"removed-{j}"
            os.replace(current, backup)
            undo.append(partial(os.replace, backup, current))
    except OSError as exc:
        failures = 0
        for action in reversed(undo):
            try:
                action()
            except OSError:
                failures += 1
        state = (
            "every file was put back as it was"
            if not failures
            else f"{failures} file(s) could not be put back"
        )
        raise OperationError(
            f"Cannot write {quote(str(current), 120)}: {exc.strerror}; {state}."
        ) from exc


def _make_parents(live: Path, rel: Path) -> list[Callable[[], None]]:
    """Create the missing directories of `rel`; returns how to remove them again."""
    undo: list[Callable[[], None]] = []
    current = live
    for part in rel.parts[:-1]:
        current = current / part
        if not current.exists():
            current.mkdir()
            undo.append(current.rmdir)
    return undo


def _keep_copy(path: Path, backup: Path) -> None:
    """A copy of `path` to restore from: a hard link (no data copied) where possible."""
    try:
        os.link(path, backup)
    except OSError:
        shutil.copy2(path, backup)


def _prune_empty(directory: Path, *, stop: Path) -> None:
    while directory != stop and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
