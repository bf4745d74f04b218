"""Admin route listing an account's parcels, each with its route on the account's own clock.

``GET /__admin/parcels?carrier=&app_key=`` answers ``{"now", "parcels"}``: ``now`` is the
account's time, and every scan of every parcel says whether it is ``visible`` at that time.
Auto parcels appear once a request (or ``GET /__admin/parcels/<carrier>/<waybill>``) has
materialised them. Errors: 400 ``invalid_field``, 404 ``not_found`` (no such account).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from mockserver.admin.base import account, bp, carrier, string
from mockserver.admin.openapi import NON_BLANK, carrier_enum, operation, query
from mockserver.admin.paging import listed, page_params, page_schema, paged_answer
from mockserver.services import get_services

__all__ = ["OPENAPI_PATHS"]


@bp.get("/parcels")
def list_parcels() -> Response:
    hub = get_services()
    found = account(hub, carrier(request.args) or "", string(request.args, "app_key") or "")
    stored, total, next_after = listed(
        lambda: sorted(hub.store.list_parcels(*found.key), key=lambda p: (p.created_at, p.waybill)),
        lambda after, size: hub.store.page_parcels(*found.key, after=after, limit=size),
    )
    parcels = []
    for each in stored:
        settled = hub.simulator.parcel(found, each.waybill)  # due intercept results land first
        if settled is not None:
            parcels.append(settled)
    now = hub.simulator.now_for(found)
    shown = [p.to_dict(now=now) for p in parcels]
    return jsonify(paged_answer("parcels", shown, total=total, next_after=next_after, now=now.isoformat()))


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/__admin/parcels": {
        "get": operation(
            "An account's parcels, each scan marked visible or not at the account's time: without "
            "after oldest first (by created_at), with after in the order they were stored",
            params=(
                query("carrier", "carrier slug", schema=carrier_enum(), required=True),
                query("app_key", "the account's app key", schema=NON_BLANK, required=True),
                *page_params("parcels"),
            ),
            answers={
                200: "{now, count, total, next, dropped, parcels}",
                400: "bad field, limit or after",
                404: "no such account",
            },
            schemas={
                200: page_schema(
                    "parcels",
                    {"type": "object", "required": ["waybill"]},
                    "always 0: no bound drops parcels",
                    now={"type": "string", "format": "date-time"},
                )
            },
        )
    }
}
