"""The public surface: __all__ is sorted, complete and importable (as httpx checks)."""

from __future__ import annotations

import kscarriers


def test_all_is_sorted_and_unique():
    # isort-style order (as ruff's RUF022): CONSTANTS, then Classes, then functions.
    def group(name: str) -> tuple[int, str]:
        if name.isupper():
            return (0, name)
        return (1, name) if name[0].isupper() else (2, name)

    names = [n for n in kscarriers.__all__ if n != "__version__"]
    assert names == sorted(names, key=group)
    assert len(set(kscarriers.__all__)) == len(kscarriers.__all__)


def test_every_public_name_is_exported():
    # pytest rewrites the modules of a plugin's distribution (ours ships the mockserver
    # plugin), which adds "@py_builtins"-style globals; they are not part of the API.
    public = {name for name in dir(kscarriers) if not name.startswith(("_", "@"))}
    modules = {
        "carriers",
        "client",
        "config",
        "errors",
        "models",
        "registry",
        "signing",
        "transport",
        "testing",
        "rules",
    }
    assert public - modules == set(kscarriers.__all__) - {"__version__"}


def test_package_ships_py_typed():
    from importlib import resources

    assert resources.files("kscarriers").joinpath("py.typed").is_file()
