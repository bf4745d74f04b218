"""Damaged answers on the wire (reset, truncated, malformed, wrong type), the same for every carrier."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from flask import Response

__all__ = ["ConnectionDropped", "break_answer"]

try:  # waitress closes the socket without answering when the app raises this
    from waitress.channel import ClientDisconnected as _Disconnected
except ImportError:  # pragma: no cover - waitress is a dependency of the server

    class _Disconnected(Exception):  # type: ignore[no-redef]
        """Stand-in when waitress is not installed."""


class ConnectionDropped(ConnectionResetError, _Disconnected):  # type: ignore[misc]
    """Raised from a response body to drop the connection before anything is sent.

    Under waitress this closes the socket without an answer (the client sees the server hang
    up); in-process, WSGI test transports see a :class:`ConnectionError`.
    """


_HTML_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>系统维护中</title></head>'
    "<body><h1>系统维护中</h1><p>The service is under maintenance. Please try again later.</p>"
    "</body></html>"
)


def _dropped() -> Iterator[bytes]:
    raise ConnectionDropped("connection dropped by the mock server (scenario)")
    yield b""  # pragma: no cover - makes this a generator, so it raises when iterated


def break_answer(response: Response, kind: str, content_type: Optional[str] = None) -> tuple[Response, str]:
    """Damage ``response`` and say how (for the journal's ``error``).

    Args:
        response: the carrier's final answer.
        kind: ``connection_reset``, ``truncated_body``, ``malformed_json`` or
            ``wrong_content_type``.
        content_type: for ``wrong_content_type``: the header to send with the real body;
            ``None`` sends an HTML maintenance page instead.

    Returns:
        The answer to send and a description of the damage.
    """
    body = response.get_data()
    if kind == "connection_reset":
        return (
            Response(_dropped(), status=response.status_code, direct_passthrough=True),
            "connection dropped before answering (scenario)",
        )
    if kind == "truncated_body":
        response.set_data(body[: len(body) // 2])
        # Announce the whole length: a real client waits for bytes that never come.
        response.headers["Content-Length"] = str(max(len(body), 2))
        return response, f"body truncated to {len(body) // 2} of {len(body)} bytes (scenario)"
    if kind == "malformed_json":
        response.set_data(body[:-1] + b",}" if body else b"{")
        return response, "malformed JSON answer (scenario)"
    if content_type is None:
        response.set_data(_HTML_PAGE.encode("utf-8"))
    response.headers["Content-Type"] = content_type or "text/html; charset=utf-8"
    return response, "answered with the wrong content type (scenario)"
