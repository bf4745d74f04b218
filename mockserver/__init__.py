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

from mockserver.app import Services, create_app, get_services

__all__ = ["Services", "create_app", "get_services"]
