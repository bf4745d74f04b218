"""Admin routes for callbacks under ``/__admin``: callback URLs, subscriptions, pushes, flush and wait,
push outages and resends.

Errors are ``{"error": code, "message": ..., "field"?: ...}``: 400 ``invalid_json`` /
``invalid_field``, 404 ``not_found`` (unknown account or push), 408 ``timeout`` (a wait ran out),
409 ``conflict`` (a resend of a push that is still pending, or with no callback URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Optional

from flask import Response, jsonify, request

from mockserver.admin.auth import keys_in_scope, principal, visible
from mockserver.admin.base import account, body, bp, carrier, invalid, number, string
from mockserver.admin.openapi import HTTP_URL, NON_BLANK, carrier_enum, carrier_waybill
from mockserver.admin.paging import listed, page_params, page_schema, paged_answer
from mockserver.carriers import get_carrier
from mockserver.errors import ApiError
from mockserver.pushes import callback_policy, callback_url, set_callback
from mockserver.scenarios import OUTAGE_MODES, ScenarioFileError
from mockserver.scenarios.push_outcome import parse_time
from mockserver.services import get_services
from mockserver.world import Account, PushRecord, PushState

__all__ = ["MAX_WAIT_SECONDS", "OPENAPI_PATHS", "bp"]


#: The longest a wait or flush may block, in real seconds.
MAX_WAIT_SECONDS = 30.0

#: The longest push outage, in mock seconds (a year, as for scenario delays).
MAX_OUTAGE_SECONDS = 366 * 24 * 3600


def _account(data: Mapping[str, Any]) -> Account:
    return account(get_services(), carrier(data) or "", string(data, "app_key") or "")


def _seconds(data: Mapping[str, Any], name: str, default: float) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_WAIT_SECONDS:
        raise invalid(name, f"{name} must be a number of seconds from 0 to {MAX_WAIT_SECONDS:g}")
    return float(value)


def _in_scope(records: list[PushRecord]) -> list[PushRecord]:
    """The pushes of the accounts the caller may see."""
    if principal().is_global:
        return records
    keys = keys_in_scope(get_services()) or frozenset()
    return [r for r in records if (r.carrier, r.app_key) in keys]


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
    accounts = [a for a in visible(hub.store.list_accounts(slug)) if app_key is None or a.app_key == app_key]
    callbacks = [c.to_dict() for a in accounts if (c := scheduler.callback(*a.key)) is not None]
    shown, total, next_after = listed(
        lambda: [s for a in accounts for s in hub.store.list_subscriptions(*a.key)],
        lambda after, size: hub.store.page_subscriptions(
            slug, app_key, after=after, limit=size, scope=keys_in_scope(hub)
        ),
    )
    subscriptions = [s.to_dict() for s in shown]
    return jsonify(
        paged_answer("subscriptions", subscriptions, total=total, next_after=next_after, callbacks=callbacks)
    )


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
    url = callback_url(data["url"], policy=callback_policy(get_services().config))
    callback = set_callback(get_services().pushes, account.carrier, account.app_key, url)
    return jsonify({"callback": callback.to_dict() if callback else None})


@bp.get("/pushes")
def list_pushes() -> Response:
    """Pushes with every delivery attempt, filtered by carrier, app_key, waybill and state."""
    hub = get_services()
    slug = carrier(request.args, required=False)
    app_key = request.args.get("app_key") or None
    waybill = request.args.get("waybill") or None
    state = _state(request.args.get("state"))
    shown, total, next_after = listed(
        lambda: _in_scope(hub.pushes.pushes(slug, app_key, waybill, state)),
        lambda after, size: hub.store.page_pushes(
            slug, app_key, after=after, limit=size, state=state, waybill=waybill, scope=keys_in_scope(hub)
        ),
    )
    accounts = visible(a for a in hub.store.list_accounts(slug) if app_key is None or a.app_key == app_key)
    dropped = sum(hub.store.dropped_pushes(*a.key) for a in accounts)
    shown_dicts = [r.to_dict() for r in shown]
    return jsonify(
        paged_answer("pushes", shown_dicts, total=total, next_after=next_after, dropped=dropped, always=True)
    )


@bp.post("/pushes/flush")
def flush() -> Response:
    """Queue and deliver every push due now and wait for the deliveries (``timeout`` s, default 10)."""
    scheduler = get_services().pushes
    done = scheduler.flush(_seconds(body(), "timeout", 10.0))
    counts = {state.value: len(_in_scope(scheduler.pushes(state=state))) for state in PushState}
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


@bp.post("/pushes/<push_id>/resend")
def resend_push(push_id: str) -> tuple[Response, int]:
    """Send a delivered, failed or dropped push again: a new push record, same headers and body."""
    for name in body():  # an optional empty object: a resend takes no options
        raise invalid(name, f"a resend takes no fields (got {name!r}): it sends the push as it was")
    hub = get_services()
    try:
        original = hub.pushes.find_push(push_id)
        if original is None or not _in_scope([original]):
            raise KeyError(push_id)  # another team's push is invisible
        record = hub.pushes.resend(push_id)
    except KeyError:
        raise ApiError(
            code="not_found", status=404, field="id", message=f"no push with id {push_id!r}"
        ) from None
    except ValueError as exc:
        raise ApiError(code="conflict", status=409, field="id", message=str(exc)) from None
    return jsonify({"push": record.to_dict(), "resent_from": push_id}), 201


def _outage_account() -> Account:
    return account(get_services(), carrier(request.args) or "", string(request.args, "app_key") or "")


@bp.post("/pushes/outage")
def start_outage() -> tuple[Response, int]:
    """Stop an account's pushes for ``duration_seconds`` of its mock clock, or ``until`` a time."""
    data = body()
    target = _account(data)
    mode = data.get("mode", "unreachable")
    if mode not in OUTAGE_MODES:
        raise invalid("mode", f"mode must be one of {', '.join(OUTAGE_MODES)}, not {mode!r}")
    if ("until" in data) == ("duration_seconds" in data):
        raise invalid("duration_seconds", "give exactly one of duration_seconds or until")
    scheduler = get_services().pushes
    if "until" in data:
        try:
            until = parse_time(data["until"], "until")
        except ScenarioFileError as exc:
            raise invalid("until", f"until {exc.message}") from None
    else:
        seconds = number(data, "duration_seconds", maximum=MAX_OUTAGE_SECONDS) or 0.0
        if seconds <= 0:
            raise invalid("duration_seconds", "duration_seconds must be greater than 0")
        until = scheduler.now_of(target.key) + timedelta(seconds=seconds)
    try:
        outage = scheduler.start_outage(target.carrier, target.app_key, str(mode), until)
    except ValueError as exc:
        raise invalid("until", str(exc)) from None
    return jsonify({"outage": outage.to_dict()}), 201


@bp.get("/pushes/outage")
def list_outages() -> Response:
    """The push outages on now, optionally of one carrier / account."""
    slug = carrier(request.args, required=False)
    app_key = request.args.get("app_key") or None
    keys = keys_in_scope(get_services())
    found = [
        o.to_dict()
        for o in get_services().pushes.outages()
        if (slug is None or o.carrier == slug)
        and (app_key is None or o.app_key == app_key)
        and (keys is None or (o.carrier, o.app_key) in keys)
    ]
    return jsonify({"outages": found})


@bp.delete("/pushes/outage")
def end_outage() -> Response:
    """End an account's push outage now (``?carrier=&app_key=``); its pushes flow again."""
    target = _outage_account()
    ended = get_services().pushes.end_outage(target.carrier, target.app_key)
    return jsonify({"ended": ended.to_dict() if ended else None})


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
_OUTAGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "carrier": {"type": "string"},
        "app_key": {"type": "string"},
        "mode": {"type": "string", "enum": list(OUTAGE_MODES)},
        "since": {"type": "string", "format": "date-time"},
        "until": {"type": "string", "format": "date-time"},
        "source": {"type": "string"},
    },
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


def _one_of(operation: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """``operation`` whose JSON body must carry exactly one of ``names``."""
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    schema["oneOf"] = [{"required": [name]} for name in names]
    return operation


#: OpenAPI 3.1 path items of these routes, merged into ``/__admin/openapi.json``.
OPENAPI_PATHS: dict[str, Any] = {
    "/__admin/subscriptions": {
        "get": {
            "summary": "List callback URLs and waybill subscriptions",
            "description": (
                "callbacks: every one of the accounts asked about (at most one per account), never "
                "paged. subscriptions: without after by account, then oldest first (the whole list, "
                "or with limit the newest N); with after a page, in the order they were made across "
                "accounts; count, total, next and dropped (always 0) with after or limit."
            ),
            "parameters": [*_FILTERS, *page_params("subscriptions")],
            "responses": {
                "200": _json(
                    page_schema(
                        "subscriptions",
                        _OBJ,
                        "always 0: no bound drops subscriptions",
                        callbacks={"type": "array", "items": _OBJ},
                    )
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
            "description": (
                "Without after: by account, then seq (the whole list, or with limit the newest N). "
                "With after: a page, in the order the pushes were created across accounts (one "
                "account's: by seq). PUSH_RECORD_LIMIT bounds the records kept per account: past "
                "it the oldest settled ones (delivered, failed, dropped) are removed and counted in "
                "dropped; pending pushes are never removed."
            ),
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
                *page_params("pushes"),
            ],
            "responses": {
                "200": _json(
                    page_schema(
                        "pushes",
                        {"type": "object", "required": ["id", "seq", "carrier", "app_key", "state"]},
                        "push records of these accounts the bound removed (PUSH_RECORD_LIMIT per "
                        "account, oldest settled first)",
                        always=True,
                    )
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
    "/__admin/pushes/{push_id}/resend": {
        "post": {
            "summary": "Send a delivered, failed or dropped push again (same headers and body)",
            "description": (
                "Queues a copy of the push, due now on the account's clock, to the account's "
                "callback URL: the same signed headers and body, so the receiver sees a "
                "re-delivery with the same dedupe keys. The copy is a new push record "
                "(decided_by resend:<id>) with a fresh retry budget."
            ),
            "parameters": [{"name": "push_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {}, "additionalProperties": False}
                    }
                },
            },
            "responses": {
                "201": _json(
                    {
                        "type": "object",
                        "required": ["push", "resent_from"],
                        "properties": {"push": _OBJ, "resent_from": {"type": "string"}},
                    },
                    "Queued again",
                ),
                "400": _ERROR,
                "404": _ERROR,
                "409": _ERROR,
            },
        },
    },
    "/__admin/pushes/outage": {
        "get": {
            "summary": "List the push outages on now",
            "parameters": _FILTERS,
            "responses": {
                "200": _json(
                    {"type": "object", "properties": {"outages": {"type": "array", "items": _OUTAGE}}}
                ),
                "400": _ERROR,
            },
        },
        "post": _one_of(
            _post(
                "Stop an account's pushes for a while of its mock clock",
                {
                    "mode": {"type": "string", "enum": list(OUTAGE_MODES), "default": "unreachable"},
                    "duration_seconds": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": MAX_OUTAGE_SECONDS,
                    },
                    "until": {"type": "string", "format": "date-time"},
                },
                ["carrier", "app_key"],
                {"201": _json({"type": "object", "properties": {"outage": _OUTAGE}}, "Outage on")},
            ),
            ("duration_seconds", "until"),
        ),
        "delete": {
            "summary": "End an account's push outage now",
            "parameters": [
                {**_FILTERS[0], "required": True},
                {**_FILTERS[1], "required": True, "schema": NON_BLANK},
            ],
            "responses": {
                "200": _json({"type": "object", "properties": {"ended": {"type": ["object", "null"]}}}),
                "400": _ERROR,
                "404": _ERROR,
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
