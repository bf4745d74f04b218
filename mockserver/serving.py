"""Serve an app with waitress on a background thread (loopback tests, demos, the pytest plugin)."""

from __future__ import annotations

import threading
from typing import Any, Callable

from waitress.server import create_server

__all__ = ["serve_in_thread"]


def _close_all(server: Any) -> None:
    for channel in list(server._map.values()):
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
    server = create_server(app, host=host, port=port, threads=threads)
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
        # Close every socket (listener, trigger, keep-alive connections) from inside the
        # server's own loop thread: the loop ends once its socket map is empty.
        server.trigger.pull_trigger(lambda: _close_all(server))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()

    shown_host = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    return f"http://{shown_host}:{bound_port}", stop
