"""Callbacks (pushes) in an app: the scheduler built from settings, hooked to the clock; callback URLs.

The moving parts live in :mod:`mockserver.push_scheduler` (what is pushed and when) and
:mod:`mockserver.push_delivery` (sending, acknowledgement, backoff); the admin routes in
:mod:`mockserver.admin_pushes`. See ``docs/callbacks.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional
from urllib.parse import urlsplit

from flask import Flask

from mockserver.config import ConfigError
from mockserver.errors import ApiError
from mockserver.push_delivery import PushSettings, Sender, requests_sender
from mockserver.push_scheduler import PushScheduler
from mockserver.services import Services
from mockserver.world import Callback

__all__ = ["EXTENSION", "PushScheduler", "callback_url", "get_pushes", "init_pushes", "set_callback"]

#: Key of the scheduler in ``app.extensions``.
EXTENSION = "mockserver_pushes"


def callback_url(value: Any, field: str = "url") -> Optional[str]:
    """Check a callback URL given to the admin API; ``None`` (remove the callback) passes.

    Raises:
        ApiError: ``invalid_field`` naming ``field`` unless it is an absolute http(s) URL.
    """
    if value is None:
        return None
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:  # urlsplit refuses some strings outright, e.g. "http://[::1"
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(
            code="invalid_field",
            field=field,
            message=f"{field} must be an absolute http(s) URL, e.g. "
            f"http://127.0.0.1:9000/push (got {value!r})",
        )
    return str(value).strip()


def set_callback(
    scheduler: PushScheduler, carrier: str, app_key: str, url: Optional[str]
) -> Optional[Callback]:
    """Set (or, with ``url=None``, remove) an account's callback URL; returns the new callback."""
    if url is None:
        scheduler.store.delete_callback(carrier, app_key)
        return None
    callback = Callback(carrier=carrier, app_key=app_key, url=url, since=scheduler.clock.now())
    scheduler.store.put_callback(callback)
    scheduler.kick()
    return callback


def get_pushes(app: Optional[Flask] = None) -> PushScheduler:
    """The push scheduler of ``app`` (default: the current app)."""
    from flask import current_app

    target = app if app is not None else current_app
    return target.extensions[EXTENSION]  # type: ignore[no-any-return]


def _default_callbacks(settings: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for index, item in enumerate(settings.get("ACCOUNTS") or ()):
        url = item.get("callback_url") if isinstance(item, Mapping) else None
        if url is None:
            continue
        try:
            checked = callback_url(url, f"ACCOUNTS[{index}].callback_url")
        except ApiError as exc:
            raise ConfigError(key=exc.field or "ACCOUNTS", reason=exc.message) from None
        if checked:
            found[(item["carrier"], item["app_key"])] = checked
    return found


def init_pushes(app: Flask, hub: Services, *, sender: Optional[Sender] = None) -> PushScheduler:
    """Create the app's push scheduler, hook it to the clock and to account registration.

    Args:
        app: the app being built; the scheduler goes to ``app.extensions[EXTENSION]``.
        hub: the app's services.
        sender: how pushes are sent; default: the ``PUSH_SENDER`` setting (a callable, from a
            test mapping) or ``requests.post``.

    Raises:
        ConfigError: if a ``PUSH_*`` setting or an account's ``callback_url`` is unusable.
    """
    settings = PushSettings.from_config(hub.config)
    chosen = sender or hub.config.get("PUSH_SENDER") or requests_sender
    if not callable(chosen):
        raise ConfigError(key="PUSH_SENDER", reason="must be a callable sender(url, headers, body, timeout)")
    scheduler = PushScheduler(
        store=hub.store,
        clock=hub.clock,
        simulator=hub.simulator,
        settings=settings,
        scenarios=lambda: getattr(hub, "scenarios", None),
        sender=chosen,
        default_callbacks=_default_callbacks(hub.config),
    )
    app.extensions[EXTENSION] = scheduler
    add_listener = getattr(hub.clock, "add_listener", None)
    if callable(add_listener):
        add_listener(scheduler.kick)
    if settings.ticker == "on" or (settings.ticker == "auto" and scheduler.clock_runs()):
        scheduler.start_ticker()
    return scheduler
