"""The admin API at ``/__admin``: one blueprint, JSON only, documented by its own OpenAPI document.

:mod:`.base` holds the blueprint and the request parsing every route shares; the routes are in
:mod:`.world` (health, reset, accounts, parcels, intercepts, the OpenAPI document),
:mod:`.clock` (the mock clock),
:mod:`.journal` (the request journal, verification, waiting for requests), :mod:`.scenarios`
(scenario stubs, states, near misses, recordings) and :mod:`.pushes` (callbacks,
subscriptions, pushes, flush and waiting), :mod:`.parcels` (an account's parcels). :mod:`.ui` is
the dashboard at ``/__admin/ui`` and :mod:`.docs_ui` Swagger UI at ``/__admin/docs``: HTML pages
that only call this API. :mod:`.openapi` merges their ``OPENAPI_PATHS``.
Errors are ``{"error": code, "message": ..., "field"?: ...}`` (:mod:`mockserver.errors`).
"""

from __future__ import annotations

from mockserver.admin import clock, docs_ui, journal, parcels, pushes, scenarios, ui, world
from mockserver.admin.base import bp

__all__ = ["bp", "clock", "docs_ui", "journal", "parcels", "pushes", "scenarios", "ui", "world"]
