"""Admin routes over the mock clock: read it, set or advance a manual clock, switch its mode.

Each route except ``mode`` also works on one account's own clock: give ``carrier`` and
``app_key`` (in the body, or the query of ``GET``). An account's clock is the server's plus an
offset that only that account's parcels, intercepts, journal entries and pushes see, so jobs
sharing a server move time without touching each other; it moves in either clock mode, never
backwards by ``advance``, and a reset of the account puts it back on the server's clock.

Errors are ``{"error": code, "message": ..., "field"?: ...}``: 400 ``invalid_field``, 404
``not_found`` (no such account), 409 ``clock_not_manual`` (moving a clock that runs on system
time) or ``clock_not_switchable``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from flask import Response, jsonify, request

from mockserver.admin.auth import require_global
from mockserver.admin.base import account as _account
from mockserver.admin.base import body as _body
from mockserver.admin.base import bp, number, string
from mockserver.admin.base import carrier as _carrier
from mockserver.admin.base import invalid as _invalid
from mockserver.admin.openapi import NON_BLANK, carrier_enum, json_body, operation, query, together
from mockserver.clock import MAX_SPEED, ClockModeError, SwitchableClock
from mockserver.errors import ApiError
from mockserver.services import Services, get_services
from mockserver.world import Account

__all__ = ["MAX_ADVANCE_SECONDS", "OPENAPI_PATHS", "parse_time"]


#: The most ``POST /__admin/clock/advance`` moves a clock at once: 100 years (beyond: 400).
MAX_ADVANCE_SECONDS = 100 * 365.25 * 86400

#: RFC 3339 ``date-time`` (what the OpenAPI ``format: date-time`` promises), on every Python 3.9+.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_time(text: str) -> datetime:
    """An RFC 3339 date-time with its offset (a leap second ``:60`` is the next second).

    Raises:
        ApiError: 400 ``invalid_field`` naming ``time``.
    """
    found = _DATE_TIME.fullmatch(text.strip())
    if found is None:
        raise _invalid("time", f"time must be RFC 3339, e.g. 2025-01-06T10:00:00+08:00 (got {text!r})")
    year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
    fraction, zulu, sign, off_hours, off_minutes = found.groups()[6:]
    try:
        offset = timedelta(0) if zulu else timedelta(hours=int(off_hours), minutes=int(off_minutes))
        zone = timezone(-offset if sign == "-" else offset)
        leap = second == 60
        moment = datetime(year, month, day, hour, minute, 59 if leap else second, tzinfo=zone)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return moment + timedelta(seconds=1 if leap else 0, microseconds=micro)
    except (ValueError, OverflowError) as exc:
        raise _invalid("time", f"time {text!r} is not a real time: {exc}") from None


def _switchable(hub: Services) -> Optional[SwitchableClock]:
    return hub.clock if isinstance(hub.clock, SwitchableClock) else None


def _move_clock(hub: Services, move: Any, field: str) -> None:
    clock = _switchable(hub)
    try:
        if clock is None:
            raise ClockModeError("this app's clock cannot be moved")
        move(clock)
    except (ValueError, OverflowError) as exc:  # e.g. past the last time a datetime can hold
        raise _invalid(field, str(exc) or "the time would leave what a clock can show") from None
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
    seconds = number(data, "seconds", maximum=MAX_ADVANCE_SECONDS)
    if seconds is None:
        raise _invalid("seconds", f"seconds must be a number >= 0 and <= {MAX_ADVANCE_SECONDS:g}")
    scoped = _scoped_account(hub, data)
    if scoped is not None:
        return _move_account_clock(hub, scoped, "seconds", seconds=seconds)
    require_global("moving the server's clock (give carrier and app_key to move an account's)")
    _move_clock(hub, lambda clock: clock.advance(seconds), "seconds")
    return jsonify(_clock_state(hub))


@bp.post("/clock")
def set_clock() -> Response:
    hub = get_services()
    data = _body()
    moment = parse_time(string(data, "time") or "")
    scoped = _scoped_account(hub, data)
    if scoped is not None:
        return _move_account_clock(hub, scoped, "time", to=moment)
    require_global("setting the server's clock (give carrier and app_key to set an account's)")
    _move_clock(hub, lambda clock: clock.set(moment), "time")
    return jsonify(_clock_state(hub))


@bp.post("/clock/mode")
def clock_mode() -> Response:
    hub = get_services()
    data = _body()
    require_global("switching the server's clock mode")
    mode = data.get("mode")
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
    clock.switch(str(mode), speed_value)
    return jsonify(_clock_state(hub))


_CLOCK_ANSWERS = {
    200: "the clock: time, kind (manual|system), speed?; for an account also server_time, "
    "offset_seconds, carrier, app_key",
    400: "bad field",
    404: "no such account",
    403: "moving the server's clock needs full access",
    409: "clock_not_manual: the server's clock is not manual",
}
_CLOCK = {
    "type": "object",
    "required": ["time", "kind"],
    "properties": {
        "time": {"type": "string", "format": "date-time"},
        "kind": {"type": "string"},
        "speed": {"type": "number"},
        "server_time": {"type": "string", "format": "date-time"},
        "offset_seconds": {"type": "number"},
        "carrier": {"type": "string"},
        "app_key": {"type": "string"},
    },
}

#: ``carrier`` + ``app_key``: move only that account's clock (allowed in either mode).
_ACCOUNT_FIELDS = {
    "carrier": {"anyOf": [{"type": "null"}, carrier_enum()]},
    "app_key": {"anyOf": [{"type": "null"}, NON_BLANK]},
}
#: Both named (and not null), or neither: null counts as absent.
_SCOPED = {
    "anyOf": [
        {
            "required": ["carrier", "app_key"],
            "properties": {"carrier": {"not": {"type": "null"}}, "app_key": {"not": {"type": "null"}}},
        },
        {"properties": {"carrier": {"type": "null"}, "app_key": {"type": "null"}}},
    ]
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/__admin/clock": {
        "get": operation(
            "The mock time and clock mode (of one account, given carrier and app_key)",
            params=(
                {
                    **query("account", "carrier and app_key: read this account's clock (both or neither)"),
                    "style": "form",
                    "explode": True,
                    "schema": json_body(
                        {"carrier": carrier_enum(), "app_key": NON_BLANK},
                        rules=(together("carrier", "app_key"),),
                    ),
                },
            ),
            answers={200: "the clock", 400: "bad field", 404: "no such account"},
            schemas={200: _CLOCK},
        ),
        "post": operation(
            "Set a manual clock (or one account's clock) to a time",
            body=json_body(
                {"time": {"type": "string", "format": "date-time"}, **_ACCOUNT_FIELDS},
                ("time",),
                rules=(_SCOPED,),
            ),
            answers=_CLOCK_ANSWERS,
            schemas={200: _CLOCK},
        ),
    },
    "/__admin/clock/advance": {
        "post": operation(
            "Move a manual clock (or one account's clock) forward",
            body=json_body(
                {
                    "seconds": {"type": "number", "minimum": 0, "maximum": MAX_ADVANCE_SECONDS},
                    **_ACCOUNT_FIELDS,
                },
                ("seconds",),
                rules=(_SCOPED,),
            ),
            answers=_CLOCK_ANSWERS,
            schemas={200: _CLOCK},
        )
    },
    "/__admin/clock/mode": {
        "post": operation(
            "Switch the clock between manual and (sped-up) system time, continuing from now",
            body=json_body(
                {
                    "mode": {"enum": ["manual", "system"]},
                    "speed": {
                        "type": ["number", "null"],
                        "exclusiveMinimum": 0,
                        "maximum": MAX_SPEED,
                        "description": "system mode only",
                    },
                },
                ("mode",),
                rules=(
                    {
                        "if": {"properties": {"mode": {"const": "manual"}}},
                        "then": {"properties": {"speed": {"type": "null"}}},
                    },
                ),
            ),
            answers={
                200: "the clock",
                400: "bad field",
                403: "needs full access",
                409: "clock_not_switchable",
            },
            schemas={200: _CLOCK},
        )
    },
}
