"""Serve an app with waitress on a background thread (loopback tests, demos, the pytest plugin)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable as _Callable
from typing import Any, Callable

from waitress import wasyncore
from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher

__all__ = ["AdminFirstDispatcher", "serve_in_thread"]

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
