"""Application factory: settings, shared services, carrier blueprints, the admin API and error handlers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Optional

import requests
from flask import Flask, Response, jsonify
from flask.json.provider import DefaultJSONProvider

from mockserver import admin
from mockserver.carriers import default_registry, register_carriers
from mockserver.clock import Clock, ManualClock, SwitchableClock, SystemClock
from mockserver.config import load_config
from mockserver.deciders.proxy import ProxyDecider, Recorder
from mockserver.deciders.scenario import ScenarioDecider
from mockserver.errors import register_error_handlers
from mockserver.journal import Journal, utf8_safe
from mockserver.pushes import build_scheduler, stamped_carriers
from mockserver.scenarios import ScenarioEngine
from mockserver.services import Services, get_services
from mockserver.simulator import Simulator
from mockserver.store import Store, StoreError, open_store

__all__ = ["Services", "build_clock", "close_app", "create_app", "enable_proxy", "get_services"]

log = logging.getLogger("mockserver")

#: ``app.extensions`` key: whether :func:`close_app` closes the store (the app opened it).
_OWNS_STORE = "mockserver.owns_store"


class _JsonProvider(DefaultJSONProvider):
    """Flask's JSON with Chinese text unescaped, key order kept, and lone surrogates survived.

    Clients may send ``"\\ud800"`` inside a JSON string; the parsed text then holds a lone
    surrogate that UTF-8 cannot encode. Such an answer is written with ASCII escapes instead,
    which round-trips to exactly what the client sent, rather than failing with a 500.
    """

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        return text if utf8_safe(text) else super().dumps(obj, **{**kwargs, "ensure_ascii": True})


def build_clock(settings: Mapping[str, Any]) -> Clock:
    """The clock the settings ask for (``CLOCK``, ``CLOCK_SPEED``, ``CLOCK_START``)."""
    start_text = settings.get("CLOCK_START")
    start = datetime.fromisoformat(str(start_text).replace("Z", "+00:00")) if start_text else None
    if settings.get("CLOCK") == "manual":
        return ManualClock(start)
    return SystemClock(float(settings.get("CLOCK_SPEED", 1.0)), start=start)


def create_app(
    config: Optional[Mapping[str, Any]] = None,
    *,
    store: Optional[Store] = None,
    clock: Optional[Clock] = None,
) -> Flask:
    """Build a mock carrier server.

    Args:
        config: settings overriding :class:`~mockserver.config.Config`; when ``None`` the
            ``MOCKSERVER_*`` environment is used instead.
        store: where state lives (default: a fresh :class:`~mockserver.store.MemoryStore`).
        clock: the mock's time (default: built from the ``CLOCK*`` settings).

    Returns:
        The Flask app; its services are ``app.extensions["mockserver"]``.

    Raises:
        ConfigError: if a setting is unusable.

    Example:
        >>> from mockserver.clock import ManualClock
        >>> app = create_app({"CLOCK": "manual"}, clock=ManualClock())
        >>> app.test_client().get("/__admin/health").status_code
        200
    """
    settings = load_config(config)
    app = Flask("mockserver")
    app.json = _JsonProvider(app)
    app.config.update(settings)

    # Wrapped so that POST /__admin/clock/mode can switch manual/system time at runtime.
    the_clock = SwitchableClock(clock if clock is not None else build_clock(settings))
    the_store = store if store is not None else open_store(str(settings["STORE"]))
    try:
        the_store.limit_pushes(int(settings["PUSH_RECORD_LIMIT"]))
        app = _assemble(app, settings, the_store, the_clock)
    except BaseException:
        if store is None:
            the_store.close()  # let go of the file the app will never serve
        raise
    # The app closes the store it opened (see close_app); one given to it is the caller's.
    app.extensions[_OWNS_STORE] = store is None
    return app


def _assemble(app: Flask, settings: Mapping[str, Any], the_store: Store, the_clock: SwitchableClock) -> Flask:
    carriers = default_registry.slugs()
    simulator = Simulator(the_store, the_clock, result_delay=float(settings["RESULT_DELAY_SECONDS"]))
    scenarios = ScenarioEngine(
        carriers=carriers, stamped_carriers=stamped_carriers((c.slug, c.pushes) for c in default_registry)
    )
    hub = Services(
        config=settings,
        carriers=carriers,
        store=the_store,
        clock=the_clock,
        journal=Journal(
            limit=int(settings["JOURNAL_LIMIT"]), account_limit=int(settings["JOURNAL_ACCOUNT_LIMIT"])
        ),
        simulator=simulator,
        scenarios=scenarios,
        decider=ScenarioDecider(scenarios),
        pushes=build_scheduler(
            settings,
            store=the_store,
            clock=the_clock,
            simulator=simulator,
            carriers=lambda slug: default_registry.get(slug).pushes,
            scenarios=scenarios,
        ),
    )
    try:
        hub.seed_accounts()
    except BaseException:
        hub.pushes.close()  # its ticker may already run
        raise
    app.extensions["mockserver"] = hub

    register_error_handlers(app)
    app.register_error_handler(StoreError, _store_error)  # carrier blueprints answer their own
    register_carriers(app)
    app.register_blueprint(admin.bp, url_prefix="/__admin")
    return app


def close_app(app: Flask, *, drain_seconds: Optional[float] = None) -> bool:
    """Stop the app's threads and close the store it opened, draining the pushes on the wire.

    No new push starts; the pushes already on the wire get ``drain_seconds`` real seconds
    (default: ``PUSH_TIMEOUT_SECONDS`` + 1, the longest one can take) to finish and have their
    attempts stored; queued ones stay pending for the next server. Then a store that
    :func:`create_app` opened is closed (a SQLite store checkpoints its WAL, so the ``.db`` file
    alone holds everything, and gives the file up); a store passed to ``create_app`` is left
    open for its owner. Safe to call twice.

    Returns:
        ``False`` if a delivery was still running when the drain time ran out.
    """
    hub = get_services(app)
    bound = float(hub.config["PUSH_TIMEOUT_SECONDS"]) + 1.0 if drain_seconds is None else drain_seconds
    drained = hub.pushes.close(drain_seconds=bound)
    if app.extensions.get(_OWNS_STORE):
        hub.store.close()
    return drained


def _store_error(error: StoreError) -> tuple[Response, int]:
    """An admin request met a store it cannot use (a damaged row, a closed store): 500, saying why."""
    log.error("store error: %s", error)
    return jsonify({"error": "store_error", "message": str(error)}), 500


def enable_proxy(
    app: Flask,
    upstreams: Mapping[str, str],
    *,
    record: Optional[str] = None,
    session: Optional[requests.Session] = None,
) -> ProxyDecider:
    """Put ``app`` in proxy mode (its scenarios still apply first) and return the decider.

    Args:
        app: a mock server app.
        upstreams: carrier slug to upstream base URL (see
            :func:`~mockserver.deciders.proxy.parse_upstreams`).
        record: the file ``POST /__admin/recordings/save`` (and the CLI at shutdown) writes.
        session: the ``requests`` session to forward with.
    """
    hub = get_services(app)
    decider = ProxyDecider(upstreams, recorder=Recorder(record), first=hub.decider, session=session)
    hub.decider = decider
    return decider
