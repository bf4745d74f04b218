"""Mock carrier server (ZTO, YTO, STO, J&T) for CI and QA: ``create_app`` builds the Flask app.

The packages, from the bottom up (a module imports only from its own layer or below):

===============  ===========================================================================
layer            what it is responsible for
===============  ===========================================================================
``clock``,       the mock clock; settings (``Config``); the admin API's JSON errors; the
``config``,      request journal
``errors``,
``journal``
``world/``       the simulated world, no Flask: accounts, parcels, intercepts and their rules,
                 pushes, geography and route planning
``store/``       where the world's state is kept: the ``Store`` protocol, memory, SQLite
``simulator``    the world's operations over a store (materialise, settle, intercept, cancel)
``scenarios/``   the pure scenario engine: stubs, matchers, outcomes, presets, files, schema
``deciders/``    what decides a carrier request's answer: the protocol, the scenario engine's
                 decider and the record/replay proxy
``pushes/``      the push pipeline: plan, scheduler, delivery, callback URLs
``services``     the one ``Services`` object of an app (``app.extensions["mockserver"]``)
``carriers/``    the carrier blueprints, one package per carrier, found by entry point
``admin/``       the one ``/__admin`` blueprint
``app``          the application factory
``serving``,     waitress in a thread, the pytest plugin, the command line
``pytest_plugin``,
``__main__``
===============  ===========================================================================

``tests/test_architecture.py`` holds every import to this order and refuses cycles.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.app import Services, create_app, get_services

__all__ = ["Services", "__version__", "create_app", "get_services"]

_FROM_APP = ("Services", "create_app", "get_services")


def __getattr__(name: str) -> Any:
    """``Services``, ``create_app`` and ``get_services``, imported on first use.

    Lazily, so that ``mockserver.pytest_plugin`` (which every pytest run loads through its
    entry point) and the command line import without Flask, the ``kscarriers[mock]`` extra.
    """
    if name in _FROM_APP:
        from mockserver import app

        return getattr(app, name)
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")


def _version() -> str:
    """The distribution's version: mockserver ships in ``kscarriers``, whose version is the one source.

    The installed metadata, or in a bare checkout the text of ``kscarriers/_version.py`` (read,
    not imported: the mock server never imports the SDK).
    """
    try:
        return metadata.version("kscarriers")
    except metadata.PackageNotFoundError:
        source = Path(__file__).resolve().parent.parent / "kscarriers" / "_version.py"
        found = re.search(r'__version__ = "([^"]+)"', source.read_text("utf-8")) if source.is_file() else None
        return found.group(1) if found else "unknown"


__version__ = _version()
