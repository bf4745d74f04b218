"""The SDK's import graph: no cycle, no reach into another package's private module, no mockserver.

Every ``import`` in ``kscarriers/`` is read from the source (function bodies and
``if TYPE_CHECKING:`` blocks included), so a cycle hidden behind a lazy or type-only import
counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "kscarriers"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: Dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _imports(name: str) -> Set[str]:
    """The modules ``name`` imports (a ``from X import y`` of a submodule counts as ``X.y``)."""
    tree = ast.parse(MODULES[name].read_text("utf-8"))
    package = name if _is_package(name) else name.rpartition(".")[0]
    found: Set[str] = set()
    for node in ast.walk(tree):
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
                found.add(sub if sub in MODULES else target)
    return found


GRAPH: Dict[str, Set[str]] = {name: _imports(name) for name in MODULES}


def _private_owner(module: str) -> str:
    """The package inside which ``module`` may be imported ("" when it is public)."""
    parts = module.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:index])
    return ""


def test_the_graph_sees_the_whole_package() -> None:
    assert {"kscarriers", "kscarriers.client", "kscarriers.carriers"} <= set(MODULES)
    assert "kscarriers.models" in GRAPH["kscarriers.client"]


def test_no_module_imports_mockserver() -> None:
    offenders = {
        name for name, targets in GRAPH.items() if any(t.split(".")[0] == "mockserver" for t in targets)
    }
    assert offenders == set()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_private_modules_are_imported_only_inside_their_package(name: str) -> None:
    for target in GRAPH[name]:
        owner = _private_owner(target)
        if owner:
            assert name == owner or name.startswith(owner + "."), f"{name} imports {target}"


def test_there_is_no_import_cycle() -> None:
    internal = {name: {t for t in targets if t in MODULES and t != name} for name, targets in GRAPH.items()}
    state: Dict[str, int] = {}
    path: List[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(internal[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(internal):
        if module not in state:
            visit(module)
