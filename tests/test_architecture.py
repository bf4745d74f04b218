"""The shape of both packages: imports point down, nothing is circular, the two stay independent.

Every import is read from the source with ``ast`` — module level, inside functions and under
``if TYPE_CHECKING:`` alike — so that a cycle only the type checker sees is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set, Tuple

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


def _imports(name: str, path: Path, modules: Dict[str, Path]) -> Set[str]:
    """What ``name`` imports, wherever the import stands (relative imports resolved).

    ``from a.b import c`` counts as ``a.b.c`` when that is one of ``modules``, else as ``a.b`` (a
    package or outside module whose attribute is imported). Parent packages, which Python
    imports on the way, are not counted: they are not what the code depends on.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
    return found


def _all_imports(package: str) -> Dict[str, Set[str]]:
    """Every module of ``package`` (a folder under the root) with what it imports."""
    modules = _modules(package)
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _graph(package: str) -> Dict[str, Set[str]]:
    """The import graph inside ``package``."""
    inside = _all_imports(package)
    return {name: {t for t in targets if t in inside and t != name} for name, targets in inside.items()}


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


def test_the_graph_sees_both_packages_whole() -> None:
    assert "kscarriers.models" in _graph("kscarriers")["kscarriers.client"]
    assert "mockserver.carriers.exchange" in _graph("mockserver")["mockserver.carriers.zto.blueprint"]
    assert "mockserver.world.parcels" in _graph("mockserver")["mockserver.world.intercepts"]


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
    modules = _modules(package)
    for name, targets in _all_imports(package).items():
        here = name if modules[name].name == "__init__.py" else name.rsplit(".", 1)[0]
        for target in targets:
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
        for name, targets in _all_imports(package).items()
        for target in targets
        if target.split(".")[0] == other
    ]
    assert crossing == []


@pytest.mark.parametrize("package", ["world", "store", "scenarios", "deciders", "pushes"])
def test_the_flask_free_mockserver_packages_do_not_import_flask(package: str) -> None:
    found = [
        f"{name} imports {target}"
        for name, targets in _all_imports(f"mockserver/{package}").items()
        for target in targets
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
