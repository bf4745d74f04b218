"""Serving an app: with waitress on a background thread (loopback tests, demos, the pytest
plugin), and the access log ``python -m mockserver`` writes.

The access log: :class:`AccessLog` wraps a WSGI app and logs one line per request on the
``mockserver.access`` logger once the answer is sent: the client's address, the method, the path
(secret-looking query parameters masked), the status, the time taken in milliseconds and the
bytes of the answer's body; never a body or a header. As text it reads
``127.0.0.1 GET /__admin/health 200 1.4ms 97B``; :class:`JsonLinesFormatter` writes each as one
JSON object. The fields are also on each record as ``record.access`` (a dict) for a logging
set-up of your own.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable as _Callable
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, urlencode

from waitress import wasyncore
from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher

__all__ = [
    "ACCESS_LOGGER",
    "AccessLog",
    "AdminFirstDispatcher",
    "JsonLinesFormatter",
    "mask_query",
    "serve_in_thread",
]

ACCESS_LOGGER = "mockserver.access"

#: Where the admin API lives: its calls are served before queued carrier calls.
ADMIN_PREFIX = "/__admin"


class _Throttled:
    """A logger's ``warning`` at most once per ``interval`` seconds (counting what it held back)."""

    def __init__(self, logger: logging.Logger, interval: float, clock: _Callable[[], float]) -> None:
        self._logger, self._interval, self._clock = logger, interval, clock
        self._last = float("-inf")
        self._held = 0

    def warning(self, message: str, *args: Any) -> None:
        now = self._clock()
        if now - self._last < self._interval:
            self._held += 1
            return
        held, self._held, self._last = self._held, 0, now
        suffix = f" ({held} more such warnings in the last {self._interval:g} s)" if held else ""
        self._logger.warning(message + suffix, *args)


class AdminFirstDispatcher(ThreadedTaskDispatcher):  # type: ignore[misc]  # waitress is untyped
    """waitress's worker pool, but admin calls jump the queue.

    On a server a CI fleet shares, a hundred clients keep every worker busy and the queue full;
    in plain FIFO order a health check or a clock advance waits behind all of them. Admin calls
    are few and short, so serving them first keeps them fast without slowing carrier calls
    noticeably. waitress's "Task queue depth" warning, logged for every queued request under
    load, is kept to one line per 10 s.
    """

    def __init__(self, threads: int, *, clock: _Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.queue_logger = _Throttled(logging.getLogger("waitress.queue"), 10.0, clock)
        self.set_thread_count(threads)

    def add_task(self, task: Any) -> None:
        path = getattr(getattr(task, "request", None), "path", "") or ""
        if not path.startswith(ADMIN_PREFIX):
            super().add_task(task)
            return
        with self.lock:
            self.queue.appendleft(task)
            self.queue_cv.notify()


def _close_channels(server: Any, *, trigger: bool) -> None:
    """Close the listener and every connection; the wake-up trigger too only when ``trigger``."""
    for channel in list(server._map.values()):
        if channel is server and not trigger:
            wasyncore.dispatcher.close(server)  # the listener alone: server.close() also closes the trigger
        elif trigger or channel is not server.trigger:
            channel.close()


def serve_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, threads: int = 4
) -> tuple[str, Callable[[], None]]:
    """Start ``app`` under waitress in a daemon thread.

    Args:
        app: a WSGI application.
        host: the interface to bind.
        port: the port; ``0`` picks a free one.
        threads: waitress worker threads.

    Returns:
        ``(base_url, stop)``: e.g. ``"http://127.0.0.1:54321"`` and a function that stops the
        server and waits for its thread (safe to call twice).
    """
    server = create_server(app, host=host, port=port, _dispatcher=AdminFirstDispatcher(threads))
    bound_host, bound_port = server.effective_host, server.effective_port
    thread = threading.Thread(target=server.run, name=f"mockserver:{bound_port}", daemon=True)
    thread.start()
    lock = threading.Lock()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        with lock:
            if stopped:
                return
            stopped = True
        # In three steps, so that nothing ever writes to a closed trigger (EBADF, or worse a
        # byte into whatever file reused its number): first the listener and connections go,
        # from inside the server's loop; then the worker threads finish, still free to wake
        # the loop; only then does the trigger close, which empties the map and ends the loop.
        closed = threading.Event()

        def close_connections() -> None:
            _close_channels(server, trigger=False)
            closed.set()

        server.trigger.pull_trigger(close_connections)
        closed.wait(timeout=5)
        server.task_dispatcher.shutdown()
        server.trigger.pull_trigger(lambda: _close_channels(server, trigger=True))
        thread.join(timeout=5)

    shown_host = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    return f"http://{shown_host}:{bound_port}", stop


MASK = "***"
# A query parameter whose name (lower case, without "_" and "-") contains one of these is masked.
# ``app_key`` is not among them: it names the account, the secret is ``app_secret``.
_SECRET_MARKERS = ("secret", "token", "password", "passwd", "pwd", "sign", "digest", "auth", "credential")

_StartResponse = Callable[..., Any]
_WsgiApp = Callable[[dict[str, Any], _StartResponse], Iterable[bytes]]


def _secret_name(name: str) -> bool:
    folded = name.lower().replace("_", "").replace("-", "")
    return any(marker in folded for marker in _SECRET_MARKERS)


def mask_query(query: str) -> str:
    """``query`` with the value of every secret-looking parameter replaced by ``***``.

    >>> mask_query("app_key=k&app_secret=s&sign=abc")
    'app_key=k&app_secret=%2A%2A%2A&sign=%2A%2A%2A'
    """
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(_secret_name(name) for name, _ in pairs):
        return query  # as sent, when there is nothing to hide
    return urlencode([(name, MASK if _secret_name(name) else value) for name, value in pairs])


def _printable(text: str) -> str:
    """``text`` with control characters escaped: a ``%0A`` in a path must not forge a log line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _wsgi_text(value: str) -> str:
    """A WSGI environ string (bytes decoded as latin-1) as the UTF-8 the client meant."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


class JsonLinesFormatter(logging.Formatter):
    """Formats an access record as one JSON object: ``time`` (UTC, ISO 8601) and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "access", None)
        if not isinstance(fields, dict):
            return json.dumps({"message": record.getMessage()}, ensure_ascii=False)
        moment = datetime.fromtimestamp(record.created, tz=timezone.utc)
        return json.dumps({"time": moment.isoformat(timespec="milliseconds"), **fields}, ensure_ascii=False)


class AccessLog:
    """WSGI middleware logging one INFO line per request once its answer is sent.

    Args:
        app: the WSGI app to wrap.
        logger: where the lines go (default: the ``mockserver.access`` logger).
        timer: monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        app: _WsgiApp,
        *,
        logger: Optional[logging.Logger] = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self.logger = logger if logger is not None else logging.getLogger(ACCESS_LOGGER)
        self._timer = timer

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        started = self._timer()
        seen: dict[str, Any] = {"status": 0, "bytes": 0}

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            write = start_response(status, headers, exc_info)

            def counting_write(data: bytes) -> Any:
                seen["bytes"] += len(data)
                return write(data)

            return counting_write

        try:
            body = self.app(environ, recording_start_response)
        except BaseException:
            seen["status"] = seen["status"] or 500
            self._log(environ, seen, started)
            raise
        return _Counted(body, seen, lambda: self._log(environ, seen, started))

    def _log(self, environ: dict[str, Any], seen: dict[str, Any], started: float) -> None:
        path = _wsgi_text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        query = mask_query(_wsgi_text(environ.get("QUERY_STRING", "")))
        fields = {
            "method": _printable(str(environ.get("REQUEST_METHOD", ""))),
            "path": _printable(path + ("?" + query if query else "")),
            "status": seen["status"],
            "duration_ms": round((self._timer() - started) * 1000, 1),
            "bytes": seen["bytes"],
            "remote_addr": str(environ.get("REMOTE_ADDR", "-")),
        }
        self.logger.info(
            "%s %s %s %s %.1fms %dB",
            fields["remote_addr"],
            fields["method"],
            fields["path"],
            fields["status"],
            fields["duration_ms"],
            fields["bytes"],
            extra={"access": fields},
        )


class _Counted:
    """The answer's body as the server iterates it, counted; ``done`` runs once, at ``close``."""

    def __init__(self, body: Iterable[bytes], seen: dict[str, Any], done: Callable[[], None]) -> None:
        self._body = body
        self._seen = seen
        self._done: Optional[Callable[[], None]] = done

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._seen["bytes"] += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done()
