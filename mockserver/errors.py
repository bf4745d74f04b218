"""App-level JSON errors (``{"error": code, "message": ...}``) for the admin API and unknown routes.

Carrier blueprints answer their own errors in their carrier's envelope (see
:mod:`mockserver.carriers.exchange`); everything else comes through here.
"""

from __future__ import annotations

import logging
import re
from typing import Optional

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

__all__ = ["ApiError", "register_error_handlers"]

log = logging.getLogger("mockserver")


class ApiError(Exception):
    """An admin API error answered as JSON.

    Args:
        code: a stable snake_case error code (``invalid_field``, ``not_found``, ...).
        message: a sentence for humans.
        status: the HTTP status.
        field: the request field at fault, when there is one.
    """

    def __init__(self, *, code: str, message: str, status: int = 400, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.field = field

    def to_dict(self) -> dict[str, str]:
        payload = {"error": self.code, "message": self.message}
        if self.field is not None:
            payload["field"] = self.field
        return payload


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def register_error_handlers(app: Flask) -> None:
    """Answer ``ApiError``, every ``HTTPException`` and any other exception as JSON."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        return jsonify(error.to_dict()), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        code = error.code or 500
        return jsonify({"error": _snake(error.name), "message": error.description}), code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error")
        return jsonify(
            {"error": "internal_error", "message": f"unexpected {type(error).__name__}: {error}"}
        ), 500
