"""The dashboard at ``/__admin/ui``: server-rendered pages whose script reads and drives the admin API.

The pages hold no data of their own: each is a skeleton (navigation, forms, empty tables) and
``static/dashboard.js`` fills it with ``fetch`` calls to ``/__admin/...`` and sends every action
(advance the clock, add a preset scenario, remove a stub, resend a push, reset the account)
through the same API, so that anything done here can also be scripted. Every asset is packaged
under ``static/``; no page loads anything from another origin.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, send_from_directory, url_for

from mockserver.admin.base import bp as admin_bp
from mockserver.admin.base import carrier as known_carrier
from mockserver.admin.openapi import NON_BLANK, carrier_enum, query
from mockserver.errors import ApiError

__all__ = ["OPENAPI_PATHS", "PAGES", "ui"]

#: The pages of one account, in the order of the navigation bar.
PAGES: tuple[str, ...] = ("parcels", "journal", "pushes", "scenarios", "clock")

ui = Blueprint("ui", __name__, template_folder="templates", url_prefix="/ui")


def _render(page: str, **context: str) -> str:
    admin_root = url_for("admin.health").rsplit("/", 1)[0]  # "/__admin", wherever it is mounted
    return render_template(f"dashboard/{page}.html", page=page, pages=PAGES, admin_root=admin_root, **context)


@ui.get("")
def accounts_page() -> str:
    return _render("accounts")


@ui.get("/<carrier>/<app_key>/<page>")
def account_page(carrier: str, app_key: str, page: str) -> str:
    known_carrier({"carrier": carrier})  # a 400 naming the known carriers; the account is the API's to check
    if page not in PAGES:
        raise ApiError(
            code="not_found", status=404, field="page", message=f"no page {page!r}; pages: {', '.join(PAGES)}"
        )
    return _render(page, carrier=carrier, app_key=app_key)


@ui.get("/static/<path:filename>")
def static_file(filename: str) -> Response:
    return send_from_directory(ui.root_path + "/static", filename, max_age=300)


admin_bp.register_blueprint(ui)


def _html(description: str, *, missing: str = "", bad: str = "") -> dict[str, Any]:
    answers: dict[str, Any] = {
        "200": {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}
    }
    for status, text in (("400", bad), ("404", missing)):
        if text:
            answers[status] = {
                "description": text,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
    return answers


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/__admin/ui": {
        "get": {
            "summary": "Dashboard: pick an account (an HTML page driven by this API)",
            "tags": ["dashboard"],
            "responses": _html("the accounts page"),
        }
    },
    "/__admin/ui/{carrier}/{app_key}/{page}": {
        "get": {
            "summary": "Dashboard: one account's parcels, journal, pushes, scenarios or clock",
            "tags": ["dashboard"],
            "parameters": [
                query("carrier", "carrier slug", location="path", schema=carrier_enum()),
                query("app_key", "the account's app key", location="path", schema=NON_BLANK),
                query("page", "which page", location="path", schema={"type": "string", "enum": list(PAGES)}),
            ],
            "responses": _html("the page", missing="no such page", bad="unknown carrier"),
        }
    },
    "/__admin/ui/static/{filename}": {
        "get": {
            "summary": "Dashboard: a packaged script or style sheet",
            "tags": ["dashboard"],
            "parameters": [query("filename", "asset name", location="path")],
            "responses": {
                "200": {"description": "the asset", "content": {"*/*": {"schema": {"type": "string"}}}},
                "404": {
                    "description": "no such asset",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
    },
}
