"""App-level JSON errors (``{"error": code, "message": ...}``) for the admin API and unknown routes.

Carrier blueprints answer their own errors in their carrier's envelope (see
:mod:`mockserver.carriers.exchange`); everything else comes through here. An error keeps the
headers HTTP asks of it (``Allow`` on a 405, RFC 9110 §15.5.6), and ``OPTIONS`` on any route,
admin or carrier, answers ``204 No Content`` with ``Allow`` listing the route's methods
(RFC 9110 §9.3.7) instead of Flask's empty ``200 text/html``.
"""

from __future__ import annotations

import logging
import re
from typing import Optional

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

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
    """Answer ``ApiError``, every ``HTTPException`` and any other exception as JSON; ``OPTIONS`` as 204."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        return jsonify(error.to_dict()), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        code = error.code or 500
        message = error.description
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            message = f"{request.method} is not allowed here; allowed: {', '.join(error.valid_methods)}"
        answer = jsonify({"error": _snake(error.name), "message": message})
        for name, value in error.get_headers():
            if name.lower() != "content-type":  # e.g. Allow on a 405; the body is JSON, not HTML
                answer.headers[name] = value
        return answer, code

    @app.after_request
    def _options(answer: Response) -> Response:
        automatic = getattr(request.url_rule, "provide_automatic_options", False)  # set by Flask on its rules
        if request.method == "OPTIONS" and automatic and answer.status_code == 200:  # not a 401
            answer.status_code = 204  # Flask's automatic answer: Allow and nothing else
            answer.headers.pop("Content-Type", None)
            answer.headers.pop("Content-Length", None)
        return answer

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error")
        return jsonify(
            {"error": "internal_error", "message": f"unexpected {type(error).__name__}: {error}"}
        ), 500
