"""Test transports: into a WSGI app in-process, recording, or answering from a script.

This module never imports ``mockserver``: pass it any WSGI application.
"""

from __future__ import annotations

import io
import sys
import threading
from typing import Any, Callable, Iterable, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from ..config import Timeouts
from ..errors import ConnectError
from ..transport import HttpRequest, HttpResponse, Transport

__all__ = ["RecordingTransport", "ScriptedTransport", "Step", "WSGITransport"]

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


#: One scripted step: an answer, an exception to raise, or a function of the request.
Step = Union[HttpResponse, BaseException, Callable[[HttpRequest], HttpResponse]]


class ScriptedTransport:
    """Answer each request with the next step of a script, and keep the requests.

    A step is an :class:`~kscarriers.HttpResponse` (for example from
    :func:`kscarriers.testing.answer`), an exception to raise (``kscarriers.TimeoutError(...)``
    as the transport raises it), or a function of the request. A request after the last step
    is an ``AssertionError`` naming it: the code under test sent more than the test expected.

    Example::

        transport = ScriptedTransport(answer("zto", "intercept", "already_signed"))
        client = Client(config, transport=transport, sleep=lambda s: None)
    """

    def __init__(self, *steps: Step) -> None:
        self.steps: List[Step] = list(steps)
        self.requests: List[HttpRequest] = []
        self._lock = threading.Lock()

    def add(self, *steps: Step) -> None:
        """Append steps to the script."""
        with self._lock:
            self.steps.extend(steps)

    def send(self, request: HttpRequest, *, timeouts: Timeouts) -> HttpResponse:
        """The next step's answer (or its exception)."""
        with self._lock:
            self.requests.append(request)
            if not self.steps:
                raise AssertionError(f"unexpected request {request.method} {request.url}: the script is done")
            step = self.steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return step(request)
        return step
