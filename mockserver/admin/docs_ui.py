"""Swagger UI at ``/__admin/docs``: the copy packaged in ``flask-swagger-ui``, over ``openapi.json``.

The page and every asset it loads come from this server (CI machines are offline), and it reads
the server's own OpenAPI document, whose ``servers`` entry is relative: "Try it out" calls the
same origin. The validator badge, which would call an outside service, is switched off.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any, Optional

from flask import Response, url_for
from flask import send_from_directory as _send
from markupsafe import escape

from mockserver.admin.base import bp
from mockserver.admin.openapi import query
from mockserver.errors import ApiError

__all__ = ["OPENAPI_PATHS", "swagger_ui_dir"]

#: What the page loads from the package's ``dist`` folder.
ASSETS = ("swagger-ui.css", "index.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png")


def swagger_ui_dir() -> Optional[Path]:
    """The packaged Swagger UI files, or ``None`` when ``flask-swagger-ui`` is not installed."""
    spec = importlib.util.find_spec("flask_swagger_ui")
    if spec is None or spec.origin is None:
        return None
    dist = Path(spec.origin).parent / "dist"
    return dist if (dist / "swagger-ui-bundle.js").is_file() else None


def _dist() -> Path:
    found = swagger_ui_dir()
    if found is None:
        raise ApiError(
            code="not_installed",
            status=501,
            message="Swagger UI needs the flask-swagger-ui package (pip install flask-swagger-ui); "
            "the document itself is at /__admin/openapi.json",
        )
    return found


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>mockserver admin API · Swagger UI</title>
  <link rel="stylesheet" href="{asset}swagger-ui.css">
  <link rel="stylesheet" href="{asset}index.css">
  <link rel="icon" type="image/png" href="{asset}favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="{asset}favicon-16x16.png" sizes="16x16">
</head>
<body>
<p style="margin:8px 16px;font-family:sans-serif"><a href="{dashboard}">&larr; dashboard</a></p>
<div id="swagger-ui"></div>
<script src="{asset}swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({config});
</script>
</body>
</html>
"""


@bp.get("/docs")
def docs_page() -> Response:
    _dist()
    asset = url_for("admin.docs_asset", filename="x")[:-1]  # "/__admin/docs/"
    config = {
        "url": url_for("admin.openapi_document"),
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "validatorUrl": None,  # the default badge asks validator.swagger.io
        "layout": "BaseLayout",
        "docExpansion": "list",
        "tryItOutEnabled": False,
    }
    page = _PAGE.format(
        asset=escape(asset),
        dashboard=escape(url_for("admin.ui.accounts_page")),
        config=json.dumps(config).replace("</", "<\\/"),
    )
    return Response(page, mimetype="text/html")


@bp.get("/docs/<path:filename>")
def docs_asset(filename: str) -> Response:
    return _send(_dist(), filename, max_age=3600)


_HTML = {"text/html": {"schema": {"type": "string"}}}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/__admin/docs": {
        "get": {
            "summary": "Swagger UI over this document (packaged; loads nothing from elsewhere)",
            "tags": ["dashboard"],
            "responses": {
                "200": {"description": "the page", "content": _HTML},
                "501": {"description": "flask-swagger-ui is not installed", "content": _ERROR},
            },
        }
    },
    "/__admin/docs/{filename}": {
        "get": {
            "summary": "A packaged Swagger UI asset",
            "tags": ["dashboard"],
            "parameters": [query("filename", "asset name, e.g. swagger-ui-bundle.js", location="path")],
            "responses": {
                "200": {"description": "the asset", "content": {"*/*": {"schema": {"type": "string"}}}},
                "404": {"description": "no such asset", "content": _ERROR},
                "501": {"description": "flask-swagger-ui is not installed", "content": _ERROR},
            },
        }
    },
}
