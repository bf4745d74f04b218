"""The admin blueprint, and the request parsing its routes share: JSON bodies and fields."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Optional

from flask import Blueprint, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter

from mockserver.admin.auth import install_auth, principal
from mockserver.carriers.fields import loads
from mockserver.errors import ApiError
from mockserver.services import Services, get_services
from mockserver.world import Account

__all__ = ["RESERVED_STUB_IDS", "account", "body", "bp", "carrier", "invalid", "number", "string"]

#: The one blueprint of the admin API, mounted at ``/__admin``; every admin module adds its routes.
bp = Blueprint("admin", __name__)

#: The fixed routes under ``/__admin/scenarios/``: never a stub id, so ``DELETE
#: /__admin/scenarios/<stub_id>`` does not also match them (and their ``Allow`` stays exact).
RESERVED_STUB_IDS: tuple[str, ...] = ("explain", "misses", "reset", "schema", "states")


class StubIdConverter(BaseConverter):
    """A path segment that is not one of :data:`RESERVED_STUB_IDS` (``<stub_id:stub_id>``)."""

    regex = "(?!(?:" + "|".join(RESERVED_STUB_IDS) + ")$)[^/]+"


def _add_converters(state: BlueprintSetupState) -> None:
    state.app.url_map.converters["stub_id"] = StubIdConverter


# Recorded first (this module is imported before any route module), so it runs before any rule is added.
bp.record_once(_add_converters)
# Every /__admin request authenticates first (mockserver.admin.auth; a no-op without tokens).
bp.record_once(install_auth)


def invalid(field: str, message: str) -> ApiError:
    """A 400 ``invalid_field`` error naming ``field``."""
    return ApiError(code="invalid_field", message=message, field=field)


def body() -> dict[str, Any]:
    """The JSON object body; an empty body counts as ``{}``.

    Raises:
        ApiError: 400 ``invalid_json`` if the body is not a JSON object.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise ApiError(code="invalid_json", message="the request body must be a JSON object")
    return data


def string(
    data: Mapping[str, Any], name: str, *, required: bool = True, path: Optional[str] = None
) -> Optional[str]:
    """A non-empty string field (``None`` when optional and absent); ``path`` names it in errors."""
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        where = path or name
        raise invalid(where, f"{where} must be a non-empty string")
    return value.strip()


def number(
    data: Mapping[str, Any],
    name: str,
    *,
    default: Optional[float] = None,
    minimum: float = 0.0,
    maximum: Optional[float] = None,
    path: Optional[str] = None,
) -> Optional[float]:
    """A finite number field within ``[minimum, maximum]`` (``default`` when absent).

    Python's JSON parser accepts ``NaN`` and ``Infinity``; both are refused here.
    """
    if name not in data or data[name] is None:
        return default
    value = data[name]
    where = path or name
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        upper = f" and <= {maximum:g}" if maximum is not None else ""
        raise invalid(where, f"{where} must be a number >= {minimum:g}{upper}")
    return float(value)


def carrier(
    data: Mapping[str, Any], name: str = "carrier", *, required: bool = True, path: Optional[str] = None
) -> Optional[str]:
    """A known carrier slug."""
    slug = string(data, name, required=required, path=path)
    if slug is None:
        return None
    known = get_services().carriers
    if slug not in known:
        raise invalid(path or name, f"unknown carrier {slug!r}; known: {', '.join(known)}")
    return slug


def account(hub: Services, carrier_slug: str, app_key: str) -> Account:
    """The account, or a 404 ``not_found`` naming ``app_key``.

    An account outside the caller's scope (another team's) is answered exactly as one that
    does not exist: it is invisible.
    """
    found = hub.simulator.account(carrier_slug, app_key)
    if found is None or not principal().owns(found):
        raise ApiError(
            code="not_found",
            status=404,
            field="app_key",
            message=f"no {carrier_slug} account with app_key {app_key!r}",
        )
    return found
