"""Admin routes over the mock clock: read it, set or advance a manual clock, switch its mode.

Errors are ``{"error": code, "message": ..., "field"?: ...}``: 400 ``invalid_field``, 409
``clock_not_manual`` (moving a clock that runs on system time) or ``clock_not_switchable``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from flask import Response, jsonify

from mockserver.admin.base import body as _body
from mockserver.admin.base import bp, number, string
from mockserver.admin.base import invalid as _invalid
from mockserver.admin.openapi import json_body, operation
from mockserver.clock import MAX_SPEED, ClockModeError, SwitchableClock
from mockserver.errors import ApiError
from mockserver.services import Services, get_services

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


@bp.get("/clock")
def get_clock() -> Response:
    return jsonify(_clock_state(get_services()))


@bp.post("/clock/advance")
def advance_clock() -> Response:
    hub = get_services()
    seconds = number(_body(), "seconds")
    if seconds is None:
        raise _invalid("seconds", "seconds must be a number >= 0")
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
    200: "the clock: time, kind (manual|system), speed?",
    400: "bad field",
    409: "the clock is not manual",
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/__admin/clock": {
        "get": operation("The mock time and clock mode", answers={200: "the clock"}),
        "post": operation(
            "Set a manual clock to a time",
            body=json_body({"time": {"type": "string", "format": "date-time"}}, ("time",)),
            answers=_CLOCK_ANSWERS,
        ),
    },
    "/__admin/clock/advance": {
        "post": operation(
            "Move a manual clock forward",
            body=json_body({"seconds": {"type": "number", "minimum": 0}}, ("seconds",)),
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
