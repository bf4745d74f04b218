"""The admin API at ``/__admin``: health, reset, accounts, parcels, clock, journal and intercepts (JSON only).

Errors are ``{"error": code, "message": ..., "field"?: ...}``: 400 ``invalid_json`` /
``invalid_field`` (``field`` names the bad input), 404 ``not_found``, 409 ``clock_not_manual``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Optional

from flask import Blueprint, Response, jsonify, request

from mockserver.carriers import CARRIER_SLUGS, carrier_module
from mockserver.clock import ManualClock, SystemClock
from mockserver.domain import Account, Stage
from mockserver.errors import ApiError
from mockserver.geo import Place
from mockserver.services import Services, get_services

__all__ = ["bp"]

bp = Blueprint("admin", __name__)


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(code="invalid_field", message=message, field=field)


def _body() -> dict[str, Any]:
    """The JSON object body; an empty body counts as ``{}``."""
    if not request.get_data(cache=True).strip():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(code="invalid_json", message="the request body must be a JSON object")
    return data


def _string(data: Mapping[str, Any], name: str, *, required: bool = True) -> Optional[str]:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _invalid(name, f"{name} must be a non-empty string")
    return value.strip()


def _carrier(data: Mapping[str, Any], name: str = "carrier") -> str:
    slug = _string(data, name) or ""
    if slug not in CARRIER_SLUGS:
        raise _invalid(name, f"unknown carrier {slug!r}; known: {', '.join(CARRIER_SLUGS)}")
    return slug


def _account(hub: Services, carrier: str, app_key: str) -> Account:
    account = hub.ops.account(carrier, app_key)
    if account is None:
        raise ApiError(code="not_found", status=404, field="app_key",
                       message=f"no {carrier} account with app_key {app_key!r}")
    return account


def _waybill(carrier: str, value: Any, field: str = "waybill") -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(field, f"{field} must be a non-empty string")
    waybill = value.strip()
    if not carrier_module(carrier).is_valid_waybill(waybill):
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
        raise _invalid(f"{name}.province" if province is None else f"{name}.city",
                       f"{name} needs both province and city")
    return Place(province=province, city=city)


def _manual_clock(hub: Services) -> ManualClock:
    if not isinstance(hub.clock, ManualClock):
        raise ApiError(code="clock_not_manual", status=409,
                       message="the clock can only be moved when the server runs a manual clock "
                               "(start it with --clock manual or CLOCK=manual)")
    return hub.clock


def _clock_state(hub: Services) -> dict[str, Any]:
    clock = hub.clock
    kind = "manual" if isinstance(clock, ManualClock) else "system" if isinstance(
        clock, SystemClock) else type(clock).__name__
    state: dict[str, Any] = {"time": clock.now().isoformat(), "kind": kind}
    if isinstance(clock, SystemClock):
        state["speed"] = clock.speed
    return state


@bp.get("/health")
def health() -> Response:
    hub = get_services()
    return jsonify({"status": "ok", "time": hub.clock.now().isoformat(),
                    "carriers": list(CARRIER_SLUGS)})


@bp.post("/reset")
def reset() -> Response:
    hub = get_services()
    data = _body()
    if not data:
        hub.reset_all()
        return jsonify({"reset": "all"})
    carrier = _carrier(data)
    app_key = _string(data, "app_key") or ""
    account = hub.ops.reset_account(_account(hub, carrier, app_key))
    hub.journal.clear(carrier=carrier, account=app_key)
    return jsonify({"reset": {"carrier": carrier, "app_key": app_key},
                    "account": account.public_dict()})


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
    if not isinstance(extra, dict):
        raise _invalid("extra", "extra must be an object")
    account, created = hub.ops.register_account(
        carrier, app_key, app_secret, auto_parcels=auto_parcels, extra=extra)
    return jsonify({"account": account.public_dict(), "created": created}), 201 if created else 200


@bp.get("/accounts")
def list_accounts() -> Response:
    hub = get_services()
    carrier = request.args.get("carrier") or None
    accounts = hub.store.list_accounts(carrier)
    return jsonify({"accounts": [a.public_dict() for a in accounts]})


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
        raise _invalid("stage", f"stage must be one of {', '.join(s.value for s in Stage)}"
                       ) from None
    parcel = hub.ops.create_parcel(account, waybill, stage=stage,
                                   origin=_place(data, "origin"),
                                   destination=_place(data, "destination"))
    return jsonify({"parcel": parcel.to_dict(now=hub.clock.now()), "stage": stage.value}), 201


@bp.get("/parcels/<carrier>/<waybill>")
def get_parcel(carrier: str, waybill: str) -> Response:
    hub = get_services()
    slug = _carrier({"carrier": carrier})
    app_key = _string(request.args, "app_key") or ""
    account = _account(hub, slug, app_key)
    number = _waybill(slug, waybill)
    parcel = hub.ops.parcel(account, number)
    if parcel is None:
        raise ApiError(code="not_found", status=404, field="waybill",
                       message=f"{number} does not exist (the account has auto_parcels off)")
    records = hub.ops.intercepts(account, number)
    return jsonify({"parcel": parcel.to_dict(now=hub.clock.now()),
                    "intercepts": [r.to_dict() for r in records]})


@bp.get("/clock")
def get_clock() -> Response:
    return jsonify(_clock_state(get_services()))


@bp.post("/clock/advance")
def advance_clock() -> Response:
    hub = get_services()
    data = _body()
    seconds = data.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise _invalid("seconds", "seconds must be a number >= 0")
    _manual_clock(hub).advance(seconds)
    return jsonify(_clock_state(hub))


@bp.post("/clock")
def set_clock() -> Response:
    hub = get_services()
    data = _body()
    text = _string(data, "time") or ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid("time", f"time must be ISO 8601, e.g. 2025-01-06T10:00:00+08:00 "
                               f"(got {text!r})") from None
    if moment.tzinfo is None:
        raise _invalid("time", "time needs a UTC offset, e.g. +08:00 or Z")
    _manual_clock(hub).set(moment)
    return jsonify(_clock_state(hub))


def _journal_filters() -> dict[str, Optional[str]]:
    return {
        "carrier": request.args.get("carrier") or None,
        "operation": request.args.get("operation") or None,
        "waybill": request.args.get("waybill") or None,
        "account": request.args.get("app_key") or None,
    }


@bp.get("/requests")
def list_requests() -> Response:
    entries = get_services().journal.filter(**_journal_filters())
    return jsonify({"count": len(entries), "requests": [e.to_dict() for e in entries]})


@bp.delete("/requests")
def clear_requests() -> Response:
    journal = get_services().journal
    return jsonify({"cleared": journal.clear(carrier=request.args.get("carrier") or None,
                                             account=request.args.get("app_key") or None)})


@bp.get("/intercepts")
def list_intercepts() -> Response:
    hub = get_services()
    carrier = request.args.get("carrier") or None
    if carrier is not None:
        _carrier({"carrier": carrier})
    app_key = request.args.get("app_key") or None
    accounts = [a for a in hub.store.list_accounts(carrier)
                if app_key is None or a.app_key == app_key]
    records = [r.to_dict() for account in accounts for r in hub.ops.intercepts(account)]
    return jsonify({"intercepts": records})
