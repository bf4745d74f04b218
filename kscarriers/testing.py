"""Test helpers: transports that talk to a WSGI app in-process, or record and replay.

This module never imports ``mockserver``: pass it any WSGI application.
"""

from __future__ import annotations

import io
import sys
import threading
from typing import Any, Callable, Iterable, List, Optional, Tuple
from urllib.parse import urlsplit

from .config import Timeouts
from .errors import ConnectError
from .transport import HttpRequest, HttpResponse, Transport

__all__ = ["RecordingTransport", "WSGITransport"]

WSGIApp = Callable[..., Iterable[bytes]]


class WSGITransport:
    """Send requests straight into a WSGI application (no sockets), as httpx's WSGITransport.

    Args:
        app: any WSGI callable, for example ``mockserver.create_app()``.
        script_name: a mount prefix to strip, if the app is mounted below one.
    """

    def __init__(self, app: WSGIApp, *, script_name: str = "") -> None:
        self.app = app
        self.script_name = script_name

    def send(self, request: HttpRequest, *, timeouts: Timeouts) -> HttpResponse:
        """Run the request through the app and collect its answer."""
        url = urlsplit(request.url)
        path = url.path or "/"
        if self.script_name and path.startswith(self.script_name):
            path = path[len(self.script_name) :] or "/"
        environ = {
            "REQUEST_METHOD": request.method.upper(),
            "SCRIPT_NAME": self.script_name,
            "PATH_INFO": path,
            "QUERY_STRING": url.query,
            "SERVER_NAME": url.hostname or "localhost",
            "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme or "http",
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(request.body)),
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        captured: List[Any] = []

        def start_response(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        try:
            chunks = self.app(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if callable(close):
                    close()
        except ConnectionError as exc:  # an app may simulate a reset this way
            raise ConnectError(f"connection to {request.url} was reset", url=request.url) from exc
        status_line, headers = captured
        return HttpResponse(status=int(status_line.split(" ", 1)[0]), headers=dict(headers), body=body)


class RecordingTransport:
    """Wrap a transport and keep every request and answer (or error), in order."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.calls: List[Tuple[HttpRequest, Optional[HttpResponse], Optional[BaseException]]] = []
        self._lock = threading.Lock()

    def send(self, request: HttpRequest, *, timeouts: Timeouts) -> HttpResponse:
        """Send through the wrapped transport and record the exchange."""
        try:
            response = self.inner.send(request, timeouts=timeouts)
        except BaseException as exc:
            with self._lock:
                self.calls.append((request, None, exc))
            raise
        with self._lock:
            self.calls.append((request, response, None))
        return response

    @property
    def requests(self) -> List[HttpRequest]:
        """The requests sent so far."""
        with self._lock:
            return [call[0] for call in self.calls]
