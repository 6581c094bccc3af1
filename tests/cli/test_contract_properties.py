"""The CLI contract, for generated platform.toml documents and command lines.

Hypothesis mutates the shipped platform.toml (hostile values at every level, valid
alternatives, deleted keys, raw bytes) and draws the org, the environment and the
command. For every case, on a repository whose live/ already holds a rendered tree:

- exit 0: every rendered file parses with python-hcl2;
- exit 2: exactly one `error:` line, no traceback, a short stderr, live/ byte-identical;
- exit 1 only for `render --check` of a stale tree (live/ byte-identical too);
- never 3, never a traceback.

Seeded and bounded, so `make test` runs the same cases every time.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, event, given, seed, settings

from platformctl.cli import main
from platformctl.model.awsdata import AMI_TYPES, EKS_VERSIONS, REGION_AZS
from tests.fixtures.repo import REPO, base_platform, tree_snapshot

SEED = 20261130
MAX_EXAMPLES = 300
DELETE = object()  # a mutation that removes the key

# --- a TOML writer for arbitrary values -------------------------------------------------


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_string(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(type(value))


def dump(doc: dict[str, Any]) -> str:
    lines = []
    envs = doc.get("environments")
    for key, value in doc.items():
        if key != "environments" or not (
            isinstance(envs, list) and envs and all(isinstance(e, dict) for e in envs)
        ):
            lines.append(f"{_toml_string(key)} = {_toml_value(value)}")
    if isinstance(envs, list) and envs and all(isinstance(e, dict) for e in envs):
        for env in envs:
            lines.append("[[environments]]")
            lines.extend(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in env.items())
    return "\n".join(lines) + "\n"


# --- strategies ---------------------------------------------------------------------------

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
_scalars = st.one_of(
    _text,
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
_hostile = st.one_of(
    st.sampled_from(
        [
            "us-esat-1",
            "1.99",
            "1.2",
            "127.0.0.0/16",
            "169.254.0.0/16",
            "0.0.0.0/16",
            "10.0.0.1/16",
            "fd00::/16",
            "10.0.0.0/8",
            99999999999999999,
            2**64,
            -1,
            0,
            "AL2023_",
            "../x",
            "-/gpu",
            "a/b/c",
            "ExampleOrg/..",
            "owner/.",
            "",
            " ",
            "\n",
            "\u212aorg",
            "${jndi}",
            '"; rm -rf /; "',
            "%{if}",
            "x" * 300,
            [],
            {},
            [[[[]]]],
            {"a": {"b": {"c": 1}}},
            1.5,
        ]
    ),
    _scalars,
    st.lists(_scalars, max_size=3),
    st.dictionaries(_text, _scalars, max_size=3),
)
_valid = st.one_of(
    st.sampled_from(sorted(REGION_AZS)),
    st.sampled_from(EKS_VERSIONS),
    st.sampled_from(AMI_TYPES),
    st.builds(lambda b, p: f"10.{b}.0.0/{p}", st.integers(2, 255), st.integers(16, 22)),
    st.sampled_from(
        ["nvidia.com/gpu", "team", "a.b/c", "x", "owner/repo", "t3.large", "NO_EXECUTE"]
    ),
    st.integers(0, 6),
    st.booleans(),
)

_ENV_PATHS: list[tuple[Any, ...]] = [
    ("name",),
    ("region",),
    ("vpc_cidr",),
    ("azs",),
    ("kubernetes_version",),
    ("sandbox",),
    ("node_groups",),
    ("node_groups", "cpu"),
    ("node_groups", "cpu", "instance_types"),
    ("node_groups", "cpu", "min_size"),
    ("node_groups", "cpu", "desired_size"),
    ("node_groups", "cpu", "max_size"),
    ("node_groups", "cpu", "labels"),
    ("node_groups", "cpu", "ami_type"),
    ("node_groups", "cpu", "disk_size_gb"),
    ("node_groups", "gpu", "taints"),
    ("node_groups", "gpu", "taints", 0, "key"),
    ("node_groups", "gpu", "taints", 0, "value"),
    ("node_groups", "gpu", "taints", 0, "effect"),
    ("node_groups", "gpu", "labels", "platformctl.io/pool"),
    ("features",),
    ("features", "kiali"),
    ("features", "fsx_lustre"),
    ("colour",),
]


def _child(target: Any, key: Any) -> Any:
    if isinstance(target, dict) and key in target:
        return target[key]
    if isinstance(target, list) and isinstance(key, int) and key < len(target):
        return target[key]
    return None


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    target = doc
    for key in path[:-1]:
        target = _child(target, key)
    last = path[-1]
    if isinstance(target, dict):
        if value is DELETE:
            target.pop(last, None)
        else:
            target[last] = value
    elif _child(target, last) is not None and value is not DELETE:
        target[last] = value


@st.composite
def platform_files(draw: st.DrawFn) -> bytes:
    doc = copy.deepcopy(base_platform())
    roll = draw(st.integers(0, 99))
    kind = (
        "valid" if roll < 40 else "alternative" if roll < 60 else "mutated" if roll < 92 else "raw"
    )
    if kind == "raw":
        text = dump(doc).encode()
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.binary(max_size=20)) + text[at + draw(st.integers(0, 5)) :]
    for _ in range(0 if kind == "valid" else draw(st.integers(1, 3))):
        top = draw(st.sampled_from(["env", "env", "env", "env", "repository", "environments"]))
        if kind == "alternative":
            value = draw(_valid)  # often still a valid document
        else:
            value = draw(st.one_of(_hostile, _valid, st.just(DELETE)))
        if top == "repository":
            _set(doc, ("github_repository",), value)
        elif top == "environments":
            _set(doc, ("environments",), value)
        else:
            index = draw(st.integers(0, 1))
            _set(doc, ("environments", index, *draw(st.sampled_from(_ENV_PATHS))), value)
    return dump(doc).encode()


_GOOD_ORGS = ("ExampleOrg", "EXAMPLEORG", "exampleorg", "acme", "Acme-Corp-42")


@st.composite
def orgs(draw: st.DrawFn) -> str:
    roll = draw(st.integers(0, 99))
    if roll < 60:
        return draw(st.sampled_from(_GOOD_ORGS))
    if roll < 75:
        return draw(st.from_regex(r"[A-Za-z0-9-]{1,40}", fullmatch=True))
    if roll < 90:
        return draw(_text)
    return draw(st.sampled_from(["\u212aorg", "x" * 2000, "xn--abc", "-abc", "ab", ""]))


@st.composite
def envs(draw: st.DrawFn) -> str | None:
    roll = draw(st.integers(0, 99))
    if roll < 50:
        return None
    if roll < 85:
        return draw(st.sampled_from(["dev", "sandbox"]))
    return draw(_text)


_commands = st.sampled_from([("render",), ("render", "--check"), ("graph",)])


# --- the property -----------------------------------------------------------------------

_PARSED: set[str] = set()


@pytest.fixture(scope="module")
def rendered_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A repository (templates, platform.toml) with live/ rendered for ExampleOrg."""
    root = tmp_path_factory.mktemp("contract") / "repo"
    root.mkdir()
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "platform.toml", root / "platform.toml")
    with _env({"PLATFORMCTL_ROOT": str(root)}), contextlib.suppress(SystemExit):
        main(["render", "--org", "ExampleOrg"])
    assert (root / "live/exampleorg/root.hcl").is_file()
    yield root


@contextlib.contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (*values, "PLATFORMCTL_ORG", "COLUMNS")}
    os.environ.update(values)
    os.environ.pop("PLATFORMCTL_ORG", None)
    os.environ["COLUMNS"] = "80"  # a narrow terminal: messages must still be one line
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _parses(path: Path) -> None:
    import hcl2

    text = path.read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    if digest not in _PARSED:
        hcl2.loads(text)
        _PARSED.add(digest)


@seed(SEED)
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(toml=platform_files(), org=orgs(), env=envs(), command=_commands)
def test_every_input_gets_the_contract(
    rendered_repo: Path,
    capsys: pytest.CaptureFixture[str],
    toml: bytes,
    org: str,
    env: str | None,
    command: tuple[str, ...],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        shutil.copytree(rendered_repo, root)
        (root / "platform.toml").write_bytes(toml)
        args = [
            command[0],
            "--org",
            org,
            *(["--env", env] if env is not None else []),
            *command[1:],
        ]
        before = tree_snapshot(root / "live")
        capsys.readouterr()
        with _env({"PLATFORMCTL_ROOT": str(root)}), pytest.raises(SystemExit) as exit_info:
            main(args)
        out, err = capsys.readouterr()
        code = int(exit_info.value.code or 0)
        event(f"{command[0]}{' --check' if '--check' in command else ''}: exit {code}")

        assert code in (0, 1, 2), (code, args, err[-2000:])
        assert "Traceback" not in err, err[-2000:]
        if code == 2:
            errors = [line for line in err.splitlines() if line.startswith("error:")]
            assert len(errors) == 1, err[-2000:]
            assert len(err) < 1200, err[:1200]
            assert tree_snapshot(root / "live") == before
        elif code == 1:
            assert command == ("render", "--check"), (args, err[-2000:])
            assert tree_snapshot(root / "live") == before
        elif command == ("render",):
            for path in (root / "live").rglob("*.hcl"):
                if not any(part.startswith(".") for part in path.parts):
                    _parses(path)
        elif command == ("graph",):
            assert out.strip()
