"""The public surface: ``__all__`` is exactly the module's public names, sorted (as httpx checks)."""

from __future__ import annotations

import types
from typing import Iterable, List, Tuple

import kscarriers
import kscarriers.rules


def isort_order(name: str) -> Tuple[int, str]:
    """ruff's RUF022 order for ``__all__``: CONSTANTS, then Classes, then everything else."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def public_names(module: types.ModuleType, *, private_members: Iterable[str] = ()) -> List[str]:
    """Names the module defines or imports for its users: no submodule, no ``_private`` name.

    pytest rewrites the modules of a plugin's distribution (ours ships the mockserver plugin),
    which adds "@py_builtins"-style globals; ``from __future__ import annotations`` adds
    ``annotations``. Neither is part of the API.
    """
    keep = set(private_members)
    return [
        name
        for name, value in vars(module).items()
        if (not name.startswith(("_", "@")) or name in keep)
        and not isinstance(value, types.ModuleType)
        and type(value).__module__ != "__future__"
    ]


def test_kscarriers_exports_exactly_its_public_names_in_order() -> None:
    assert kscarriers.__all__ == sorted(
        public_names(kscarriers, private_members=["__version__"]), key=isort_order
    )


def test_rules_exports_exactly_its_public_names_in_order() -> None:
    assert kscarriers.rules.__all__ == sorted(public_names(kscarriers.rules), key=isort_order)


def test_the_version_is_a_string_of_dotted_numbers() -> None:
    assert [part.isdigit() for part in kscarriers.__version__.split(".")] == [True, True, True]


def test_package_ships_py_typed() -> None:
    from importlib import resources

    assert resources.files("kscarriers").joinpath("py.typed").is_file()
