"""Admin routes over the mock clock: read it, set or advance a manual clock, switch its mode.

Each route except ``mode`` also works on one account's own clock: give ``carrier`` and
``app_key`` (in the body, or the query of ``GET``). An account's clock is the server's plus an
offset that only that account's parcels, intercepts, journal entries and pushes see, so jobs
sharing a server move time without touching each other; it moves in either clock mode, never
backwards by ``advance``, and a reset of the account puts it back on the server's clock.

Errors are ``{"error": code, "message": ..., "field"?: ...}``: 400 ``invalid_field``, 409
``clock_not_manual`` (moving a clock that runs on system time) or ``clock_not_switchable``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from flask import Response, jsonify, request

from mockserver.admin.base import account as _account
from mockserver.admin.base import body as _body
from mockserver.admin.base import bp, number, string
from mockserver.admin.base import carrier as _carrier
from mockserver.admin.base import invalid as _invalid
from mockserver.admin.openapi import carrier_enum, json_body, operation, query
from mockserver.clock import MAX_SPEED, ClockModeError, SwitchableClock
from mockserver.errors import ApiError
from mockserver.services import Services, get_services
from mockserver.world import Account

__all__ = ["OPENAPI_PATHS"]


def _switchable(hub: Services) -> Optional[SwitchableClock]:
    return hub.clock if isinstance(hub.clock, SwitchableClock) else None


def _move_clock(hub: Services, move: Any, field: str) -> None:
    clock = _switchable(hub)
    try:
        if clock is None:
            raise ClockModeError("this app's clock cannot be moved")
        move(clock)
    except ValueError as exc:  # e.g. past the last time a datetime can hold
        raise _invalid(field, str(exc)) from None
    except ClockModeError:
        raise ApiError(
            code="clock_not_manual",
            status=409,
            message="the clock can only be moved when it is manual (start the server "
            "with --clock manual, or POST /__admin/clock/mode "
            '{"mode": "manual"})',
        ) from None


def _clock_state(hub: Services) -> dict[str, Any]:
    clock = _switchable(hub)
    state: dict[str, Any] = {
        "time": hub.clock.now().isoformat(),
        "kind": clock.mode if clock else type(hub.clock).__name__,
    }
    if clock is not None and clock.speed is not None:
        state["speed"] = clock.speed
    return state


def _scoped_account(hub: Services, data: Any) -> Optional[Account]:
    """The account named by ``carrier`` + ``app_key``, or None when neither is given."""
    if data.get("carrier") is None and data.get("app_key") is None:
        return None
    slug = _carrier(data) or ""
    app_key = string(data, "app_key") or ""
    return _account(hub, slug, app_key)


def _account_clock_state(hub: Services, account: Account) -> dict[str, Any]:
    state = _clock_state(hub)
    state.update(
        time=hub.simulator.now_for(account).isoformat(),
        server_time=hub.clock.now().isoformat(),
        offset_seconds=account.clock_offset,
        carrier=account.carrier,
        app_key=account.app_key,
    )
    return state


def _move_account_clock(hub: Services, account: Account, field: str, **move: Any) -> Response:
    try:
        moved = hub.simulator.move_account_clock(account, **move)
    except (ValueError, OverflowError) as exc:
        message = str(exc) if isinstance(exc, ValueError) else "the time would leave what a clock can show"
        raise _invalid(field, message) from None
    hub.pushes.kick()  # the account's pushes that just fell due go out now
    return jsonify(_account_clock_state(hub, moved))


@bp.get("/clock")
def get_clock() -> Response:
    hub = get_services()
    scoped = _scoped_account(hub, request.args)
    return jsonify(_account_clock_state(hub, scoped) if scoped else _clock_state(hub))


@bp.post("/clock/advance")
def advance_clock() -> Response:
    hub = get_services()
    data = _body()
    seconds = number(data, "seconds")
    if seconds is None:
        raise _invalid("seconds", "seconds must be a number >= 0")
    scoped = _scoped_account(hub, data)
    if scoped is not None:
        return _move_account_clock(hub, scoped, "seconds", seconds=seconds)
    _move_clock(hub, lambda clock: clock.advance(seconds), "seconds")
    return jsonify(_clock_state(hub))


@bp.post("/clock")
def set_clock() -> Response:
    hub = get_services()
    data = _body()
    text = string(data, "time") or ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(
            "time", f"time must be ISO 8601, e.g. 2025-01-06T10:00:00+08:00 (got {text!r})"
        ) from None
    if moment.tzinfo is None:
        raise _invalid("time", "time needs a UTC offset, e.g. +08:00 or Z")
    scoped = _scoped_account(hub, data)
    if scoped is not None:
        return _move_account_clock(hub, scoped, "time", to=moment)
    _move_clock(hub, lambda clock: clock.set(moment), "time")
    return jsonify(_clock_state(hub))


@bp.post("/clock/mode")
def clock_mode() -> Response:
    hub = get_services()
    data = _body()
    mode = string(data, "mode")
    if mode not in ("manual", "system"):
        raise _invalid("mode", "mode must be 'manual' or 'system'")
    speed = data.get("speed")
    if speed is not None and mode != "system":
        raise _invalid("speed", "speed only applies to the system clock")
    speed_value = number(data, "speed", default=1.0, maximum=MAX_SPEED)
    if speed_value is None or speed_value <= 0:
        raise _invalid("speed", f"speed must be a number > 0 and <= {MAX_SPEED:g}")
    clock = _switchable(hub)
    if clock is None:
        raise ApiError(code="clock_not_switchable", status=409, message="this app's clock cannot change mode")
    clock.switch(mode, speed_value)
    return jsonify(_clock_state(hub))


_CLOCK_ANSWERS = {
    200: "the clock: time, kind (manual|system), speed?; for an account also server_time, "
    "offset_seconds, carrier, app_key",
    400: "bad field",
    404: "no such account",
    409: "the server's clock is not manual",
}

#: ``carrier`` + ``app_key``: move only that account's clock (allowed in either mode).
_ACCOUNT_FIELDS = {"carrier": carrier_enum(), "app_key": {"type": "string", "minLength": 1}}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/__admin/clock": {
        "get": operation(
            "The mock time and clock mode (of one account, given carrier and app_key)",
            params=(
                query("carrier", "read this account's clock", schema=carrier_enum()),
                query("app_key", "the account's app key"),
            ),
            answers={200: "the clock", 400: "bad field", 404: "no such account"},
        ),
        "post": operation(
            "Set a manual clock (or one account's clock) to a time",
            body=json_body({"time": {"type": "string", "format": "date-time"}, **_ACCOUNT_FIELDS}, ("time",)),
            answers=_CLOCK_ANSWERS,
        ),
    },
    "/__admin/clock/advance": {
        "post": operation(
            "Move a manual clock (or one account's clock) forward",
            body=json_body({"seconds": {"type": "number", "minimum": 0}, **_ACCOUNT_FIELDS}, ("seconds",)),
            answers=_CLOCK_ANSWERS,
        )
    },
    "/__admin/clock/mode": {
        "post": operation(
            "Switch the clock between manual and (sped-up) system time, continuing from now",
            body=json_body(
                {
                    "mode": {"enum": ["manual", "system"]},
                    "speed": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SPEED},
                },
                ("mode",),
            ),
            answers={200: "the clock", 400: "bad field"},
        )
    },
}
