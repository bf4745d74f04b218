"""Admin routes over the simulated world: health, reset, accounts, parcels, intercepts, OpenAPI document.

Errors are ``{"error": code, "message": ..., "field"?: ...}``: 400 ``invalid_json`` /
``invalid_field`` (``field`` names the bad input), 404 ``not_found``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from attrs import evolve
from flask import Response, jsonify, request

from mockserver.admin.auth import keys_in_scope, principal, require_global, visible
from mockserver.admin.base import account as _account
from mockserver.admin.base import body as _body
from mockserver.admin.base import bp, string
from mockserver.admin.base import carrier as _carrier_field
from mockserver.admin.base import invalid as _invalid
from mockserver.admin.openapi import (
    HTTP_URL,
    NON_BLANK,
    build_document,
    carrier_enum,
    carrier_waybill,
    json_body,
    operation,
    query,
)
from mockserver.admin.paging import listed, page_params, page_schema, paged_answer
from mockserver.carriers import get_carrier
from mockserver.errors import ApiError
from mockserver.pushes import callback_policy, callback_url, set_callback
from mockserver.services import Services, get_services
from mockserver.store import Page
from mockserver.world import InterceptRecord, InterceptStatus, Stage
from mockserver.world.geo import Place

__all__ = ["OPENAPI_PATHS", "bp"]


def _string(data: Mapping[str, Any], name: str, *, required: bool = True) -> Optional[str]:
    return string(data, name, required=required)


def _carrier(data: Mapping[str, Any], name: str = "carrier") -> str:
    return _carrier_field(data, name) or ""


def _waybill(carrier: str, value: Any, field: str = "waybill") -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(field, f"{field} must be a non-empty string")
    waybill = value.strip()
    if not get_carrier(carrier).is_valid_waybill(waybill):
        raise _invalid(field, f"{waybill!r} is not a well-formed {carrier} waybill number")
    return waybill


def _place(data: Mapping[str, Any], name: str) -> Optional[Place]:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid(name, f"{name} must be an object with province and city")
    province = _string(value, "province", required=True) if "province" in value else None
    city = _string(value, "city", required=True) if "city" in value else None
    if province is None or city is None:
        raise _invalid(
            f"{name}.province" if province is None else f"{name}.city", f"{name} needs both province and city"
        )
    return Place(province=province, city=city)


@bp.get("/health")
def health() -> Response:
    hub = get_services()
    return jsonify({"status": "ok", "time": hub.clock.now().isoformat(), "carriers": list(hub.carriers)})


@bp.post("/reset")
def reset() -> Response:
    hub = get_services()
    data = _body()
    if not data:
        require_global("resetting the whole server")
        hub.reset_all()
        hub.pushes.forget_outages()
        return jsonify({"reset": "all"})
    carrier = _carrier(data)
    app_key = _string(data, "app_key") or ""
    account = hub.simulator.reset_account(_account(hub, carrier, app_key))
    hub.pushes.forget_outages(account.key)
    removed = _forget_traces(hub, carrier, app_key)
    return jsonify(
        {
            "reset": {"carrier": carrier, "app_key": app_key},
            "account": account.public_dict(),
            "scenarios_removed": removed,
        }
    )


def _forget_traces(hub: Services, carrier: str, app_key: str) -> list[str]:
    """Drop the account's journal entries and its scenarios; return the removed stub ids."""
    hub.journal.clear(carrier=carrier, account=app_key)
    removed = [
        stub.id
        for stub in hub.scenarios.stubs()
        if stub.match.account == app_key and stub.match.carrier in (None, carrier)
    ]
    for stub_id in removed:
        try:
            hub.scenarios.remove(stub_id)
        except KeyError:  # removed meanwhile by another admin call
            pass
    return removed


@bp.delete("/accounts/<carrier>/<app_key>")
def delete_account(carrier: str, app_key: str) -> Response:
    """Forget an account entirely, so that a shared server does not fill up with test accounts."""
    hub = get_services()
    slug = _carrier({"carrier": carrier}) or ""
    account = _account(hub, slug, app_key)
    hub.store.delete_account(*account.key)
    removed = _forget_traces(hub, slug, app_key)
    return jsonify({"deleted": {"carrier": slug, "app_key": app_key}, "scenarios_removed": removed})


@bp.post("/accounts")
def create_account() -> tuple[Response, int]:
    hub = get_services()
    data = _body()
    carrier = _carrier(data)
    app_key = _string(data, "app_key") or ""
    app_secret = _string(data, "app_secret") or ""
    auto_parcels = data.get("auto_parcels", True)
    if not isinstance(auto_parcels, bool):
        raise _invalid("auto_parcels", "auto_parcels must be true or false")
    extra = data.get("extra", {})
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise _invalid("extra", 'extra must be an object of strings (e.g. {"client_id": "C1"})')
    _check_owner(hub, carrier, app_key)
    wants_callback = "callback_url" in data
    policy = callback_policy(hub.config)
    url = callback_url(data["callback_url"], "callback_url", policy=policy) if wants_callback else None
    account, created = hub.simulator.register_account(
        carrier, app_key, app_secret, auto_parcels=auto_parcels, extra=extra, team=principal().team
    )
    if wants_callback:
        set_callback(get_services().pushes, account.carrier, account.app_key, url)
    return jsonify({"account": account.public_dict(), "created": created}), 201 if created else 200


def _check_owner(hub: Services, carrier: str, app_key: str) -> None:
    """Refuse registering an account the caller may not manage (a team's token: its own only)."""
    caller = principal()
    existing = hub.store.get_account(carrier, app_key)
    if caller.kind == "account" and caller.account != (carrier, app_key):
        raise ApiError(
            code="forbidden",
            status=403,
            message=f"an account's secret manages that account only ({caller.describe()}); "
            "registering others needs a team or the admin token",
        )
    if existing is not None and not caller.owns(existing):
        raise ApiError(
            code="conflict",
            status=409,
            field="app_key",
            message=f"app_key {app_key!r} is already registered for {carrier} outside your scope; "
            "choose another",
        )


@bp.get("/accounts")
def list_accounts() -> Response:
    hub = get_services()
    carrier = request.args.get("carrier") or None
    shown, total, next_after = listed(
        lambda: visible(hub.store.list_accounts(carrier)),
        lambda after, size: hub.store.page_accounts(
            carrier, after=after, limit=size, scope=keys_in_scope(hub)
        ),
    )
    return jsonify(
        paged_answer("accounts", [a.public_dict() for a in shown], total=total, next_after=next_after)
    )


@bp.post("/parcels")
def create_parcel() -> tuple[Response, int]:
    hub = get_services()
    data = _body()
    carrier = _carrier(data)
    account = _account(hub, carrier, _string(data, "app_key") or "")
    waybill = _waybill(carrier, data.get("waybill"))
    stage_text = data.get("stage", Stage.CREATED.value)
    try:
        stage = Stage(stage_text)
    except ValueError:
        raise _invalid("stage", f"stage must be one of {', '.join(s.value for s in Stage)}") from None
    parcel = hub.simulator.create_parcel(
        account, waybill, stage=stage, origin=_place(data, "origin"), destination=_place(data, "destination")
    )
    return jsonify({"parcel": parcel.to_dict(now=hub.simulator.now_for(account)), "stage": stage.value}), 201


@bp.get("/parcels/<carrier>/<waybill>")
def get_parcel(carrier: str, waybill: str) -> Response:
    hub = get_services()
    slug = _carrier({"carrier": carrier})
    app_key = _string(request.args, "app_key") or ""
    account = _account(hub, slug, app_key)
    number = waybill.strip()
    if not get_carrier(slug).is_valid_waybill(number):
        raise ApiError(
            code="not_found",
            status=404,
            field="waybill",
            message=f"{waybill!r} is not a well-formed {slug} waybill number, so it is no parcel",
        )
    parcel = hub.simulator.parcel(account, number)
    if parcel is None:
        raise ApiError(
            code="not_found",
            status=404,
            field="waybill",
            message=f"{number} does not exist (the account has auto_parcels off)",
        )
    records = hub.simulator.intercepts(account, number)
    now = hub.simulator.now_for(account)
    return jsonify({"parcel": parcel.to_dict(now=now), "intercepts": [r.to_dict() for r in records]})


@bp.get("/openapi.json")
def openapi_document() -> Response:
    hub = get_services()
    patterns = {slug: get_carrier(slug).waybill_pattern for slug in hub.carriers}
    return jsonify(
        build_document(
            carriers=hub.carriers,
            waybill_patterns={slug: found for slug, found in patterns.items() if found},
            max_body=int(hub.config["MAX_CONTENT_LENGTH"]),
            auth=bool(hub.config.get("ADMIN_TOKEN") or hub.config.get("TEAM_TOKENS")),
        )
    )


@bp.get("/intercepts")
def list_intercepts() -> Response:
    hub = get_services()
    carrier = request.args.get("carrier") or None
    if carrier is not None:
        _carrier({"carrier": carrier})
    app_key = request.args.get("app_key") or None

    def whole() -> list[InterceptRecord]:
        accounts = [
            a for a in visible(hub.store.list_accounts(carrier)) if app_key is None or a.app_key == app_key
        ]
        return [r for account in accounts for r in hub.simulator.intercepts(account)]

    shown, total, next_after = listed(
        whole,
        lambda after, size: _settled(
            hub.store.page_intercepts(carrier, app_key, after=after, limit=size, scope=keys_in_scope(hub))
        ),
    )
    return jsonify(
        paged_answer("intercepts", [r.to_dict() for r in shown], total=total, next_after=next_after)
    )


def _settled(page: Page[InterceptRecord]) -> Page[InterceptRecord]:
    """A page of stored records as they are once the due ones have settled (as listing settles them)."""
    hub = get_services()
    pending = {
        (r.carrier, r.app_key, r.waybill) for _, r in page.items if r.status is InterceptStatus.PENDING
    }
    fresh: dict[str, InterceptRecord] = {}
    for carrier, app_key, waybill in sorted(pending):
        account = hub.store.get_account(carrier, app_key)
        if account is not None:
            fresh.update((r.id, r) for r in hub.simulator.intercepts(account, waybill))
    return evolve(page, items=tuple((position, fresh.get(r.id, r)) for position, r in page.items))


_CARRIER = carrier_enum()
_APP_KEY_QUERY = query("app_key", "the account's app key", schema=NON_BLANK)
_PLACE = {
    "type": ["object", "null"],
    "properties": {"province": NON_BLANK, "city": NON_BLANK},
    "required": ["province", "city"],
    "description": "e.g. {province: 浙江省, city: 杭州市}; null: chosen by the simulator",
}
_ACCOUNT_VIEW = {"type": "object", "required": ["carrier", "app_key"]}
_UNBOUNDED = "always 0: no bound drops {what}"
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/__admin/health": {
        "get": operation(
            "Liveness, mock time and the carriers served",
            answers={200: "{status, time, carriers}"},
            schemas={
                200: {
                    "type": "object",
                    "required": ["status", "time", "carriers"],
                    "properties": {
                        "status": {"const": "ok"},
                        "time": {"type": "string", "format": "date-time"},
                        "carriers": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
        )
    },
    "/__admin/reset": {
        "post": operation(
            "Reset everything, or one account (its parcels, intercepts, journal and scenario stubs)",
            body=json_body(
                {"carrier": _CARRIER, "app_key": NON_BLANK},
                description="empty body: reset all; carrier + app_key: that account only",
                rules=({"anyOf": [{"maxProperties": 0}, {"required": ["carrier", "app_key"]}]},),
            ),
            answers={
                200: "what was reset",
                400: "bad field",
                403: "resetting everything needs full access",
                404: "no such account",
            },
        )
    },
    "/__admin/accounts": {
        "post": operation(
            "Register an account (201) or update it (200)",
            body=json_body(
                {
                    "carrier": _CARRIER,
                    "app_key": NON_BLANK,
                    "app_secret": NON_BLANK,
                    "auto_parcels": {"type": "boolean"},
                    "extra": {"type": "object", "additionalProperties": {"type": "string"}},
                    "callback_url": {"anyOf": [{"type": "null"}, HTTP_URL]},
                },
                ("carrier", "app_key", "app_secret"),
            ),
            answers={
                200: "updated",
                201: "created",
                400: "bad field, or callback_refused (the rule that refused callback_url)",
                403: "an account's own secret registers that account only",
                409: "the app_key is registered outside the caller's scope",
            },
            schemas={
                status: {
                    "type": "object",
                    "required": ["account", "created"],
                    "properties": {"account": _ACCOUNT_VIEW, "created": {"type": "boolean"}},
                }
                for status in (200, 201)
            },
        ),
        "get": operation(
            "List accounts (never their secrets), in the order they were registered",
            params=(
                query("carrier", "only this carrier (empty: all; unknown: none)"),
                *page_params("accounts"),
            ),
            answers={200: "{count, total, next, dropped, accounts}", 400: "bad limit or after"},
            schemas={
                200: page_schema("accounts", _ACCOUNT_VIEW, _UNBOUNDED.format(what="accounts")),
            },
        ),
    },
    "/__admin/accounts/{carrier}/{app_key}": {
        "delete": operation(
            "Forget an account: its state, callback, journal entries and scenarios",
            params=(
                query("carrier", "carrier slug", location="path", schema=_CARRIER),
                query("app_key", "the account's app key", location="path", schema=NON_BLANK),
            ),
            answers={200: "deleted", 400: "bad field", 404: "no such account"},
        )
    },
    "/__admin/parcels": {
        "post": operation(
            "Create a parcel at a stage",
            body=json_body(
                {
                    "carrier": _CARRIER,
                    "app_key": NON_BLANK,
                    "waybill": NON_BLANK,
                    "stage": {"enum": [stage.value for stage in Stage]},
                    "origin": _PLACE,
                    "destination": _PLACE,
                },
                ("carrier", "app_key", "waybill"),
                rules=(carrier_waybill(),),
            ),
            answers={201: "the parcel", 400: "bad field", 404: "no such account"},
        )
    },
    "/__admin/parcels/{carrier}/{waybill}": {
        "get": operation(
            "A parcel with its route and intercepts",
            params=(
                query("carrier", "carrier slug", location="path", schema=_CARRIER),
                query("waybill", "waybill number (a malformed one is never a parcel: 404)", location="path"),
                {**_APP_KEY_QUERY, "required": True},
            ),
            answers={200: "{parcel, intercepts}", 400: "bad field", 404: "no such account or parcel"},
        )
    },
    "/__admin/openapi.json": {"get": operation("This OpenAPI document")},
    "/__admin/intercepts": {
        "get": operation(
            "Intercept records, settled up to now: without after by account, then oldest first; "
            "with after in the order they were made (across accounts)",
            params=(
                query("carrier", "only this carrier (empty: all)", schema=carrier_enum(empty=True)),
                query("app_key", "only this account (empty: all)"),
                *page_params("intercepts"),
            ),
            answers={200: "{count, total, next, dropped, intercepts}", 400: "bad field, limit or after"},
            schemas={
                200: page_schema(
                    "intercepts",
                    {"type": "object", "required": ["id", "carrier", "app_key", "waybill", "status"]},
                    _UNBOUNDED.format(what="intercepts"),
                )
            },
        )
    },
}
