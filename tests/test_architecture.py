"""The shape of both packages: imports point down, nothing is circular, the two stay independent.

Every import is read from the source with ``ast`` — module level, inside functions and under
``if TYPE_CHECKING:`` alike — so that a cycle only the type checker sees is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The mock server's layers, bottom first (see the ``mockserver`` package docstring).
MOCK_LAYERS: Tuple[Tuple[str, ...], ...] = (
    ("clock", "config", "errors", "journal"),
    ("world",),
    ("store",),
    ("simulator",),
    ("scenarios",),
    ("deciders",),
    ("pushes",),
    ("services",),
    ("carriers",),
    ("admin",),
    ("app",),
    ("serving", "pytest_plugin", "__main__", "__init__"),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules(package: str) -> Dict[str, Path]:
    return {_module_name(path): path for path in sorted((ROOT / package).rglob("*.py"))}


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports (absolute, relative resolved), wherever the import stands.

    ``from a.b import c`` gives both ``a.b`` and ``a.b.c``; :func:`_graph` keeps ``a.b.c`` when it
    is a module, else ``a.b`` (a package whose attribute is imported). Parent packages, which
    Python imports on the way, are not counted: they are not what the code depends on.
    """
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            for alias in node.names:
                yield f"{prefix}.{alias.name}" + "\0" + prefix


def _names(name: str, path: Path) -> Iterator[str]:
    """Every dotted name an import of ``name`` mentions."""
    for found in _imports(name, path):
        yield from (part for part in found.split("\0") if part)


def _targets(found: str, modules: Dict[str, Path]) -> str:
    module, _, owner = found.partition("\0")
    return module if not owner or module in modules else owner


def _graph(package: str) -> Dict[str, Set[str]]:
    modules = _modules(package)
    return {
        name: {
            target
            for target in (_targets(found, modules) for found in _imports(name, path))
            if target in modules and target != name
        }
        for name, path in modules.items()
    }


def _cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One import cycle of ``graph`` (as a path that comes back to its start), or ``[]``."""
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(node: str) -> List[str]:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


@pytest.mark.parametrize("package", ["kscarriers", "mockserver"])
def test_no_module_imports_itself_round_a_cycle(package: str) -> None:
    assert _cycle(_graph(package)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def _layer(module: str) -> int:
    part = module.split(".")[1] if "." in module else "__init__"
    for index, names in enumerate(MOCK_LAYERS):
        if part in names:
            return index
    raise AssertionError(f"{module} is in no layer of MOCK_LAYERS; add its package there")


def test_every_mockserver_import_points_down_the_layers() -> None:
    upward = [
        f"{source} (layer {_layer(source)}) imports {target} (layer {_layer(target)})"
        for source, targets in _graph("mockserver").items()
        for target in targets
        if _layer(target) > _layer(source)
    ]
    assert upward == []


def test_mockserver_package_modules_are_at_most_about_ten() -> None:
    top = [path.stem for path in (ROOT / "mockserver").glob("*.py")]
    assert len(top) <= 11, sorted(top)


@pytest.mark.parametrize("package", ["kscarriers", "mockserver"])
def test_no_module_reaches_into_another_packages_private_module(package: str) -> None:
    offending = []
    for name, path in _modules(package).items():
        here = name.rsplit(".", 1)[0] if path.name != "__init__.py" else name
        for target in _names(name, path):
            parts = target.split(".")
            private = [i for i, part in enumerate(parts) if part.startswith("_") and part != "__init__"]
            if not private or parts[0] != package:
                continue
            owner = ".".join(parts[: private[0]])
            if not (here == owner or here.startswith(owner + ".")):
                offending.append(f"{name} imports {target}")
    assert offending == []


def test_the_sdk_and_the_mock_server_never_import_each_other() -> None:
    crossing = [
        f"{name} imports {target}"
        for package, other in (("kscarriers", "mockserver"), ("mockserver", "kscarriers"))
        for name, path in _modules(package).items()
        for target in _names(name, path)
        if target.split(".")[0] == other
    ]
    assert crossing == []


@pytest.mark.parametrize("package", ["world", "store", "scenarios", "deciders", "pushes"])
def test_the_flask_free_mockserver_packages_do_not_import_flask(package: str) -> None:
    found = [
        f"{name} imports {target}"
        for name, path in _modules(f"mockserver/{package}").items()
        for target in _names(name, path)
        if target.split(".")[0] in ("flask", "werkzeug")
    ]
    assert found == []


def test_every_package_opens_with_a_docstring_saying_what_it_is_for() -> None:
    bare = [
        str(path.relative_to(ROOT))
        for package in ("kscarriers", "mockserver")
        for path in (ROOT / package).rglob("__init__.py")
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert bare == []
