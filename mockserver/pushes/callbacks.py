"""Callback URLs: checked when given, set per account, and the scheduler built from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from mockserver.clock import Clock
from mockserver.config import ConfigError
from mockserver.errors import ApiError
from mockserver.pushes.delivery import PushSettings, Sender, requests_sender
from mockserver.pushes.plan import CarrierPushes
from mockserver.pushes.scheduler import PushScheduler
from mockserver.pushes.targets import CallbackPolicy, CallbackRefused
from mockserver.scenarios import ScenarioEngine
from mockserver.simulator import Simulator
from mockserver.store import Store
from mockserver.world import Callback

__all__ = ["build_scheduler", "callback_policy", "callback_url", "guarded_sender", "set_callback"]


def callback_policy(settings: Mapping[str, Any]) -> CallbackPolicy:
    """The callback URL policy of the settings (``CALLBACK_ALLOW``).

    Raises:
        ConfigError: naming ``CALLBACK_ALLOW`` if an entry is neither a host nor a network.
    """
    try:
        return CallbackPolicy.from_config(settings)
    except ValueError as exc:
        raise ConfigError(key="CALLBACK_ALLOW", reason=str(exc)) from None


def callback_url(value: Any, field: str = "url", *, policy: Optional[CallbackPolicy] = None) -> Optional[str]:
    """Check a callback URL given to the admin API; ``None`` (remove the callback) passes.

    Args:
        value: what was given.
        field: the field named in errors.
        policy: where callbacks may point (default: anywhere but the addresses refused always).

    Raises:
        ApiError: 400 ``invalid_field`` naming ``field`` unless it is an absolute http(s) URL;
            400 ``callback_refused`` naming the policy's rule when the policy refuses it.
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
            f"http://127.0.0.1:9000/push (got {value!r}; rule: scheme)",
        )
    try:
        return (policy or CallbackPolicy()).check(str(value))
    except CallbackRefused as exc:
        raise ApiError(
            code="callback_refused", field=field, message=f"{field} refused: {exc} (see docs/security.md)"
        ) from None


def guarded_sender(sender: Sender, policy: CallbackPolicy, *, resolve: bool) -> Sender:
    """``sender`` that first checks the push's URL against ``policy`` (again: it may predate it).

    Args:
        sender: how pushes are sent.
        policy: where pushes may go.
        resolve: also resolve the host name and check its addresses (the real network sender;
            an injected test sender touches no network).

    A refused URL raises :class:`~mockserver.pushes.targets.CallbackRefused` instead of sending: the
    attempt is recorded as failed with the rule in its error, and nothing leaves the server.
    """

    def send(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> tuple[int, bytes]:
        policy.check(url, resolve=resolve)
        return sender(url, headers, body, timeout)

    return send


def set_callback(
    scheduler: PushScheduler, carrier: str, app_key: str, url: Optional[str]
) -> Optional[Callback]:
    """Set (or, with ``url=None``, remove) an account's callback URL; returns the new callback."""
    if url is None:
        scheduler.store.delete_callback(carrier, app_key)
        return None
    callback = Callback(carrier=carrier, app_key=app_key, url=url, since=scheduler.now_of((carrier, app_key)))
    scheduler.store.put_callback(callback)
    scheduler.kick()
    return callback


def _default_callbacks(settings: Mapping[str, Any], policy: CallbackPolicy) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for index, item in enumerate(settings.get("ACCOUNTS") or ()):
        url = item.get("callback_url") if isinstance(item, Mapping) else None
        if url is None:
            continue
        try:
            checked = callback_url(url, f"ACCOUNTS[{index}].callback_url", policy=policy)
        except ApiError as exc:
            raise ConfigError(key=exc.field or "ACCOUNTS", reason=exc.message) from None
        if checked:
            found[(item["carrier"], item["app_key"])] = checked
    return found


def build_scheduler(
    config: Mapping[str, Any],
    *,
    store: Store,
    clock: Clock,
    simulator: Simulator,
    carriers: Callable[[str], CarrierPushes],
    scenarios: Optional[ScenarioEngine] = None,
    sender: Optional[Sender] = None,
) -> PushScheduler:
    """Create an app's push scheduler from its settings and hook it to the clock.

    Args:
        config: the app's settings (``PUSH_*``, ``ACCOUNTS[*].callback_url``).
        store: where pushes and callbacks are kept.
        clock: the mock clock; the scheduler is woken whenever it is moved.
        simulator: settles intercepts and materialises parcels.
        carriers: the push half of the mock carrier of a slug.
        scenarios: the scenario engine consulted about each push.
        sender: how pushes are sent; default: the ``PUSH_SENDER`` setting (a callable, from a
            test mapping) or ``requests.post``. Either way every push's URL is checked against
            ``CALLBACK_ALLOW`` and the addresses refused always before it is sent; with the
            default sender its host name is resolved and each address checked too.

    Raises:
        ConfigError: if a ``PUSH_*`` setting, ``CALLBACK_ALLOW`` or an account's ``callback_url``
            is unusable.
    """
    settings = PushSettings.from_config(config)
    policy = callback_policy(config)
    chosen = sender or config.get("PUSH_SENDER") or requests_sender
    if not callable(chosen):
        raise ConfigError(key="PUSH_SENDER", reason="must be a callable sender(url, headers, body, timeout)")
    chosen = guarded_sender(chosen, policy, resolve=chosen is requests_sender)
    scheduler = PushScheduler(
        store=store,
        clock=clock,
        simulator=simulator,
        settings=settings,
        carriers=carriers,
        scenarios=scenarios,
        sender=chosen,
        default_callbacks=_default_callbacks(config, policy),
    )
    add_listener = getattr(clock, "add_listener", None)
    if callable(add_listener):
        add_listener(scheduler.kick)
    if settings.ticker == "on" or (settings.ticker == "auto" and scheduler.clock_runs()):
        scheduler.start_ticker()
    return scheduler
