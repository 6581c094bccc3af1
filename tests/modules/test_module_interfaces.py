"""The OpenTofu modules under modules/ against the rendered units that call them.

Without provider binaries `tofu validate` cannot run, so these tests check what can be
checked offline: every .tf file parses (python-hcl2), the inputs each rendered unit in
live/ passes are declared variables whose type constraints accept the passed values
(resolved from region.hcl/env.hcl and the dependencies' mock outputs), required
variables are passed, dependency outputs the units read exist, variables and outputs are
documented, versions.tf pins providers, and `tofu fmt -check` is clean.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

from platformctl import proc
from platformctl.errors import ToolNotFoundError
from platformctl.toolchain.locate import tool_path
from tests.fixtures.units import (
    MISSING,
    LIVE_DIR,
    Resolver,
    Unit,
    hcl_label,
    hcl_unquote,
    decode,
    load_unit,
)

REPO = Path(__file__).resolve().parents[2]
MODULES_DIR = REPO / "modules"



# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Variable:
    name: str
    body: dict[str, Any]

    @property
    def required(self) -> bool:
        return "default" not in self.body

    @property
    def type_expr(self) -> str | None:
        raw = self.body.get("type")
        if raw is None:
            return None
        text = str(raw)
        return text[2:-1] if text.startswith("${") and text.endswith("}") else text


@dataclass
class Module:
    name: str
    path: Path
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def blocks(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for parsed in self.files.values():
            for block in parsed.get(kind, []):
                for label, body in block.items():
                    if label != "__is_block__":
                        found.append((hcl_label(label), body))
        return found

    @property
    def variables(self) -> dict[str, Variable]:
        return {name: Variable(name, body) for name, body in self.blocks("variable")}

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return dict(self.blocks("output"))


@cache
def load_module(name: str) -> Module:
    path = MODULES_DIR / name
    module = Module(name, path)
    for tf in sorted(path.glob("*.tf")):
        with tf.open() as handle:
            module.files[tf.name] = hcl2.load(handle)
    return module


def module_names() -> list[str]:
    return sorted(p.name for p in MODULES_DIR.iterdir() if p.is_dir() and any(p.glob("*.tf")))


def unit_paths() -> list[Path]:
    return sorted(
        p
        for p in LIVE_DIR.glob("*/*/*/*/terragrunt.hcl")
        if "terraform" in load_unit(p).parsed and "modules//" in p.read_text()
    )


UNITS = unit_paths()
UNIT_IDS = [str(p.parent.relative_to(LIVE_DIR)) for p in UNITS]


# ------------------------------------------------------------ type constraint checks


_TOKEN = re.compile(r"\s*([A-Za-z_][\w-]*|-?\d+(?:\.\d+)?|\"(?:[^\"\\]|\\.)*\"|.)")


@dataclass(frozen=True)
class TypeSpec:
    kind: str  # string number bool any list set map object tuple
    element: TypeSpec | None = None
    attrs: tuple[tuple[str, TypeSpec, bool], ...] = ()  # (name, type, optional)
    items: tuple[TypeSpec, ...] = ()


class _TypeParser:
    def __init__(self, text: str) -> None:
        self.tokens = [t for t in _TOKEN.findall(text) if t.strip()]
        self.pos = 0

    def peek(self) -> str:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if expected is not None and token != expected:
            raise ValueError(f"expected {expected!r}, got {token!r} in {' '.join(self.tokens)}")
        self.pos += 1
        return token

    def skip_expression(self) -> None:
        """Skip an optional() default value: everything up to the closing parenthesis."""
        depth = 0
        while True:
            token = self.peek()
            if not token:
                raise ValueError("unterminated optional() default")
            if token in "([{":
                depth += 1
            elif token in ")]}":
                if depth == 0:
                    return
                depth -= 1
            self.take()

    def parse(self) -> tuple[TypeSpec, bool]:
        """A type, and whether it was wrapped in optional()."""
        word = self.take()
        if word in ("string", "number", "bool", "any"):
            return TypeSpec(word), False
        if word == "optional":
            self.take("(")
            inner, _ = self.parse()
            if self.peek() == ",":
                self.take(",")
                self.skip_expression()
            self.take(")")
            return inner, True
        if word in ("list", "set", "map"):
            self.take("(")
            inner, _ = self.parse()
            self.take(")")
            return TypeSpec(word, element=inner), False
        if word == "tuple":
            self.take("(")
            self.take("[")
            items = []
            while self.peek() != "]":
                items.append(self.parse()[0])
                if self.peek() == ",":
                    self.take(",")
            self.take("]")
            self.take(")")
            return TypeSpec("tuple", items=tuple(items)), False
        if word == "object":
            self.take("(")
            self.take("{")
            attrs = []
            while self.peek() != "}":
                name = str(hcl_unquote(self.take()))
                self.take("=")
                spec, optional = self.parse()
                attrs.append((name, spec, optional))
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
            self.take(")")
            return TypeSpec("object", attrs=tuple(attrs)), False
        raise ValueError(f"unknown type keyword {word!r}")


def parse_type(text: str) -> TypeSpec:
    parser = _TypeParser(text)
    spec, _ = parser.parse()
    assert parser.pos == len(parser.tokens), f"trailing tokens in type {text!r}"
    return spec


def type_errors(value: Any, spec: TypeSpec, where: str) -> list[str]:
    """Why `value` does not conform to `spec` (empty when it does or cannot be known)."""
    if value is MISSING or value is None or spec.kind == "any":
        return []
    if isinstance(value, str) and "${" in value:
        return []  # a template string whose value is not known here
    kind = spec.kind
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind in ("list", "set"):
        if not isinstance(value, list):
            return [f"{where}: expected {kind}, got {value!r}"]
        assert spec.element is not None
        return [
            e for i, v in enumerate(value) for e in type_errors(v, spec.element, f"{where}[{i}]")
        ]
    elif kind == "tuple":
        if not isinstance(value, list) or len(value) != len(spec.items):
            return [f"{where}: expected tuple of {len(spec.items)}, got {value!r}"]
        return [
            e
            for i, (v, s) in enumerate(zip(value, spec.items, strict=True))
            for e in type_errors(v, s, f"{where}[{i}]")
        ]
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected map, got {value!r}"]
        assert spec.element is not None
        return [e for k, v in value.items() for e in type_errors(v, spec.element, f"{where}.{k}")]
    elif kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected object, got {value!r}"]
        errors = []
        declared = {name for name, _, _ in spec.attrs}
        errors += [
            f"{where}: attribute {k!r} is not in the type" for k in value if k not in declared
        ]
        for name, attr, optional in spec.attrs:
            if name not in value:
                if not optional:
                    errors.append(f"{where}: required attribute {name!r} is missing")
                continue
            errors += type_errors(value[name], attr, f"{where}.{name}")
        return errors
    else:  # pragma: no cover - parse_type rejects other kinds
        raise AssertionError(kind)
    return [] if ok else [f"{where}: expected {kind}, got {value!r}"]


# ---------------------------------------------------------------------------- tests


def test_modules_and_units_exist() -> None:
    assert {"vpc", "eks", "mesh", "kubeflow"} <= set(module_names())
    assert {load_unit(p).module for p in UNITS} >= {"vpc", "eks", "mesh", "kubeflow"}


@pytest.mark.parametrize("name", module_names())
def test_every_tf_file_parses(name: str) -> None:
    module = load_module(name)
    assert module.files, f"modules/{name} has no .tf files"
    assert {"versions.tf", "variables.tf", "outputs.tf"} <= set(module.files)


@pytest.mark.parametrize("unit_path", UNITS, ids=UNIT_IDS)
def test_unit_inputs_are_declared_variables_of_matching_type(unit_path: Path) -> None:
    unit = load_unit(unit_path)
    module = load_module(unit.module)
    variables = module.variables
    resolver = Resolver(unit)

    undeclared = sorted(set(unit.inputs) - set(variables))
    assert not undeclared, f"{unit.id} passes inputs modules/{unit.module} does not declare"

    errors: list[str] = []
    unresolved: list[str] = []
    for name, raw in unit.inputs.items():
        value = resolver.value(raw)
        if value is MISSING:
            unresolved.append(name)
            continue
        type_expr = variables[name].type_expr
        assert type_expr, f"variable {name} of modules/{unit.module} has no type"
        errors += type_errors(value, parse_type(type_expr), f"{unit.id}: {name}")
    assert not errors, "\n".join(errors)
    # Every input of the rendered units is a literal, a local or a dependency output,
    # so all of them must resolve: the type check above covered every input.
    assert not unresolved, f"{unit.id}: inputs whose values could not be resolved: {unresolved}"


@pytest.mark.parametrize("unit_path", UNITS, ids=UNIT_IDS)
def test_required_variables_are_passed(unit_path: Path) -> None:
    unit = load_unit(unit_path)
    variables = load_module(unit.module).variables
    missing = sorted(n for n, v in variables.items() if v.required and n not in unit.inputs)
    assert not missing, f"{unit.id} does not pass required variables of modules/{unit.module}"


@pytest.mark.parametrize("unit_path", UNITS, ids=UNIT_IDS)
def test_dependency_outputs_read_by_units_exist(unit_path: Path) -> None:
    unit = load_unit(unit_path)
    text = unit_path.read_text()
    read = set(re.findall(r"dependency\.([\w-]+)\.outputs\.([\w-]+)", text))
    missing = []
    for dep, output in sorted(read):
        target = unit.dependency_unit(dep).module
        if output not in load_module(target).outputs:
            missing.append(f"dependency.{dep}.outputs.{output} (modules/{target})")
    # Mock outputs stand in for real outputs: they must name real ones too.
    for dep, body in unit.dependencies().items():
        target = unit.dependency_unit(dep).module
        for output in body.get("mock_outputs", {}):
            if output not in load_module(target).outputs:
                missing.append(f"mock output {dep}.{output} (modules/{target})")
    assert (
        read
        or not unit.dependencies()
        or all(b.get("skip_outputs") for b in unit.dependencies().values())
    )
    assert not missing, f"{unit.id} reads outputs that do not exist: {missing}"


@pytest.mark.parametrize("name", module_names())
def test_variables_and_outputs_are_typed_and_documented(name: str) -> None:
    module = load_module(name)
    problems = []
    for var in module.variables.values():
        if not var.type_expr:
            problems.append(f"variable {var.name}: no type")
        else:
            spec = parse_type(var.type_expr)
            default = var.body.get("default", MISSING)
            if default is not MISSING:
                value = decode(default)
                problems += type_errors(value, spec, f"variable {var.name} default")
        if not str(hcl_unquote(var.body.get("description", ""))).strip():
            problems.append(f"variable {var.name}: no description")
        for rule in var.body.get("validation", []):
            if "condition" not in rule or not hcl_unquote(rule.get("error_message", "")):
                problems.append(f"variable {var.name}: validation without condition/message")
    for out_name, body in module.outputs.items():
        if not str(hcl_unquote(body.get("description", ""))).strip():
            problems.append(f"output {out_name}: no description")
    assert module.variables, f"modules/{name} declares no variables"
    assert module.outputs, f"modules/{name} declares no outputs"
    assert not problems, f"modules/{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", module_names())
def test_versions_tf_pins_providers(name: str) -> None:
    module = load_module(name)
    terraform_blocks = module.files["versions.tf"].get("terraform", [])
    providers: dict[str, Any] = {}
    for block in terraform_blocks:
        for req in block.get("required_providers", []):
            providers.update({k: v for k, v in req.items() if k != "__is_block__"})
    assert providers, f"modules/{name}/versions.tf declares no required_providers"
    for local_name, spec in providers.items():
        assert isinstance(spec, dict), f"{local_name}: use the {{ source, version }} form"
        assert str(hcl_unquote(spec.get("source", ""))).startswith("hashicorp/"), local_name
        assert hcl_unquote(spec.get("version", "")), f"{local_name}: no version constraint"


_UNIT_MODULES = sorted({load_unit(p).module for p in UNITS})


@pytest.mark.parametrize("name", _UNIT_MODULES)
def test_unit_modules_leave_provider_configuration_to_the_root(name: str) -> None:
    # root.hcl generates provider "aws" (with default_tags) and required_version;
    # kubernetes.hcl generates the kubernetes and helm providers.
    module = load_module(name)
    assert not module.blocks("provider"), f"modules/{name} configures a provider"
    for parsed in module.files.values():
        for block in parsed.get("terraform", []):
            assert "required_version" not in block, f"modules/{name} sets required_version"
            assert "backend" not in block, f"modules/{name} declares a backend"


@pytest.mark.parametrize("name", module_names())
def test_helm_releases_use_provider_3_syntax(name: str) -> None:
    # helm provider 3.x: `set`, `set_sensitive` and `set_list` are list attributes, not blocks.
    module = load_module(name)
    for rtype, resources in module.blocks("resource"):
        if rtype != "helm_release":
            continue
        for rname, body in resources.items():
            if rname == "__is_block__":
                continue
            for attr in ("set", "set_sensitive", "set_list"):
                entries = body.get(attr, [])
                blocky = [e for e in entries if isinstance(e, dict) and e.get("__is_block__")]
                assert not blocky, f"modules/{name}: {rname} uses `{attr}` blocks"


@pytest.mark.real
def test_tofu_fmt_check_is_clean() -> None:
    try:
        tofu = tool_path(REPO, "opentofu")
    except ToolNotFoundError as exc:
        pytest.skip(f"OpenTofu is not installed: {exc}")
    done = proc.run([tofu, "fmt", "-check", "-recursive", "-diff", MODULES_DIR], check=False)
    assert done.returncode == 0, f"tofu fmt -check found unformatted files:\n{done.stdout}"
