"""Admin routes for callbacks under ``/__admin``: callback URLs, subscriptions, pushes, flush and wait.

Errors are ``{"error": code, "message": ..., "field"?: ...}``: 400 ``invalid_json`` /
``invalid_field``, 404 ``not_found`` (unknown account), 408 ``timeout`` (a wait ran out).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from flask import Response, jsonify, request

from mockserver.admin.base import account, body, bp, carrier, invalid, string
from mockserver.admin.openapi import HTTP_URL, NON_BLANK, carrier_enum, carrier_waybill
from mockserver.carriers import get_carrier
from mockserver.pushes import callback_url, set_callback
from mockserver.services import get_services
from mockserver.world import Account, PushState

__all__ = ["MAX_WAIT_SECONDS", "OPENAPI_PATHS", "bp"]


#: The longest a wait or flush may block, in real seconds.
MAX_WAIT_SECONDS = 30.0


def _account(data: Mapping[str, Any]) -> Account:
    return account(get_services(), carrier(data) or "", string(data, "app_key") or "")


def _seconds(data: Mapping[str, Any], name: str, default: float) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_WAIT_SECONDS:
        raise invalid(name, f"{name} must be a number of seconds from 0 to {MAX_WAIT_SECONDS:g}")
    return float(value)


def _state(value: Optional[str]) -> Optional[PushState]:
    if not value:
        return None
    try:
        return PushState(value)
    except ValueError:
        raise invalid("state", f"state must be one of {', '.join(s.value for s in PushState)}") from None


@bp.get("/subscriptions")
def list_subscriptions() -> Response:
    """Callbacks and per-waybill subscriptions, optionally of one carrier / account."""
    hub, scheduler = get_services(), get_services().pushes
    slug = carrier(request.args, required=False)
    app_key = request.args.get("app_key") or None
    accounts = [a for a in hub.store.list_accounts(slug) if app_key is None or a.app_key == app_key]
    callbacks = [c.to_dict() for a in accounts if (c := scheduler.callback(*a.key)) is not None]
    subscriptions = [s.to_dict() for a in accounts for s in hub.store.list_subscriptions(*a.key)]
    return jsonify({"callbacks": callbacks, "subscriptions": subscriptions})


@bp.post("/subscriptions")
def subscribe() -> tuple[Response, int]:
    """Subscribe to a waybill's scans, as the carrier's subscribe API does."""
    data = body()
    account = _account(data)
    waybill = string(data, "waybill") or ""
    if not get_carrier(account.carrier).is_valid_waybill(waybill):
        raise invalid("waybill", f"{waybill!r} is not a well-formed {account.carrier} waybill number")
    subscription = get_services().simulator.subscribe(account, waybill)
    get_services().pushes.kick()
    return jsonify({"subscription": subscription.to_dict()}), 201


@bp.post("/subscriptions/callback")
def set_callback_url() -> Response:
    """Set (``url``) or remove (``url: null``) the account's callback URL."""
    data = body()
    account = _account(data)
    if "url" not in data:
        raise invalid("url", "url is required (null removes the callback)")
    callback = set_callback(
        get_services().pushes, account.carrier, account.app_key, callback_url(data["url"])
    )
    return jsonify({"callback": callback.to_dict() if callback else None})


@bp.get("/pushes")
def list_pushes() -> Response:
    """Pushes with every delivery attempt, filtered by carrier, app_key, waybill and state."""
    records = get_services().pushes.pushes(
        carrier(request.args, required=False),
        request.args.get("app_key") or None,
        request.args.get("waybill") or None,
        _state(request.args.get("state")),
    )
    return jsonify({"count": len(records), "pushes": [r.to_dict() for r in records]})


@bp.post("/pushes/flush")
def flush() -> Response:
    """Queue and deliver every push due now and wait for the deliveries (``timeout`` s, default 10)."""
    scheduler = get_services().pushes
    done = scheduler.flush(_seconds(body(), "timeout", 10.0))
    counts = {state.value: len(scheduler.pushes(state=state)) for state in PushState}
    return jsonify({"done": done, "counts": counts})


@bp.post("/wait/pushes")
def wait_for_pushes() -> tuple[Response, int]:
    """Block until ``count`` pushes to the account (for ``waybill``) are delivered: 200, else 408."""
    data = body()
    account = _account(data)
    waybill = string(data, "waybill", required=False)
    count = data.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise invalid("count", "count must be a whole number >= 1")
    timeout = _seconds(data, "timeout", 5.0)
    delivered = get_services().pushes.wait_delivered(
        account.carrier, account.app_key, count=count, waybill=waybill, timeout=timeout
    )
    pushes = [r.to_dict() for r in delivered]
    if len(delivered) >= count:
        return jsonify({"delivered": len(delivered), "pushes": pushes}), 200
    return jsonify(
        {
            "error": "timeout",
            "delivered": len(delivered),
            "pushes": pushes,
            "message": f"{len(delivered)} of {count} pushes delivered within {timeout:g} s",
        }
    ), 408


def _json(schema: Mapping[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": dict(schema)}}}


_ERROR = _json(
    {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string"},
        },
    },
    "Error ({error, message, field?})",
)
_OBJ: dict[str, Any] = {"type": "object"}
_ACCOUNT_PROPS = {
    "carrier": carrier_enum(),
    "app_key": NON_BLANK,
}
_FILTERS = [
    {"name": "carrier", "in": "query", "required": False, "schema": carrier_enum()},
    {"name": "app_key", "in": "query", "required": False, "schema": {"type": "string"}},
]


def _post(
    summary: str, props: Mapping[str, Any], required: list[str], ok: Mapping[str, Any], **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "object", "required": required, "properties": {**_ACCOUNT_PROPS, **props}}
    if "waybill" in required:
        body["allOf"] = [carrier_waybill()]
    return {
        "summary": summary,
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {**ok, "400": _ERROR, "404": _ERROR, **extra},
    }


#: OpenAPI 3.1 path items of these routes, merged into ``/__admin/openapi.json``.
OPENAPI_PATHS: dict[str, Any] = {
    "/__admin/subscriptions": {
        "get": {
            "summary": "List callback URLs and waybill subscriptions",
            "parameters": _FILTERS,
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "callbacks": {"type": "array", "items": _OBJ},
                            "subscriptions": {"type": "array", "items": _OBJ},
                        },
                    }
                ),
                "400": _ERROR,
            },
        },
        "post": _post(
            "Subscribe to a waybill's scans",
            {"waybill": NON_BLANK},
            ["carrier", "app_key", "waybill"],
            {"201": _json(_OBJ, "Subscribed")},
        ),
    },
    "/__admin/subscriptions/callback": {
        "post": _post(
            "Set or remove an account's callback URL",
            {"url": {"anyOf": [{"type": "null"}, HTTP_URL]}},
            ["carrier", "app_key", "url"],
            {"200": _json(_OBJ)},
        ),
    },
    "/__admin/pushes": {
        "get": {
            "summary": "List pushes with their delivery attempts",
            "parameters": [
                *_FILTERS,
                *[
                    {"name": "waybill", "in": "query", "required": False, "schema": {"type": "string"}},
                    {
                        "name": "state",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": [*(s.value for s in PushState), ""]},
                    },
                ],
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "count": {"type": "integer"},
                            "pushes": {"type": "array", "items": _OBJ},
                        },
                    }
                ),
                "400": _ERROR,
            },
        },
    },
    "/__admin/pushes/flush": {
        "post": {
            "summary": "Deliver every push due now and wait for the deliveries",
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"timeout": {"type": "number", "minimum": 0, "maximum": 30}},
                        }
                    }
                },
            },
            "responses": {
                "200": _json({"type": "object", "properties": {"done": {"type": "boolean"}, "counts": _OBJ}}),
                "400": _ERROR,
            },
        },
    },
    "/__admin/wait/pushes": {
        "post": _post(
            "Block until pushes to an account have been delivered",
            {
                "waybill": {"anyOf": [{"type": "null"}, NON_BLANK]},
                "count": {"type": "integer", "minimum": 1},
                "timeout": {"type": "number", "minimum": 0, "maximum": 30},
            },
            ["carrier", "app_key"],
            {"200": _json(_OBJ, "Delivered")},
            **{"408": _json(_OBJ, "Timed out ({error: timeout, delivered, pushes})")},
        ),
    },
}
