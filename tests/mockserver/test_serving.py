"""serve_in_thread: stopping a live server never writes to a closed trigger."""

from __future__ import annotations

import http.client
import threading
from typing import Any, Callable, Iterable, List
from urllib.parse import urlsplit

import pytest

from mockserver import serving
from mockserver.serving import serve_in_thread


def _blocking_app(entered: threading.Event, release: threading.Event) -> Any:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        entered.set()
        release.wait(timeout=10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"late"]

    return app


def test_stop_while_a_request_is_in_flight_raises_nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    failures: List[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    entered, release, connections_closed = threading.Event(), threading.Event(), threading.Event()
    real_close = getattr(serving, "_close_channels", None) or (lambda s, trigger: serving._close_all(s))

    def close_and_tell(server: Any, *, trigger: bool) -> None:
        real_close(server, trigger=trigger)
        if not trigger:
            connections_closed.set()

    monkeypatch.setattr(serving, "_close_channels", close_and_tell)
    url, stop = serve_in_thread(_blocking_app(entered, release), threads=1)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/")
    assert entered.wait(timeout=10)
    stopper = threading.Thread(target=stop)
    stopper.start()
    assert connections_closed.wait(timeout=10)
    # The worker answers only now, after its connection closed: it still wakes the loop
    # through the trigger, which must therefore be open.
    release.set()
    stopper.join(timeout=10)
    assert not stopper.is_alive()
    assert failures == []
    conn.close()


def test_stop_is_safe_to_call_twice_and_frees_the_port() -> None:
    url, stop = serve_in_thread(_blocking_app(threading.Event(), threading.Event()))
    stop()
    stop()
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
    with pytest.raises(OSError):
        conn.request("GET", "/")
        conn.getresponse()


class _Task:
    def __init__(self, path: str) -> None:
        self.request = type("Request", (), {"path": path})()


def test_admin_calls_are_served_before_queued_carrier_calls() -> None:
    dispatcher = serving.AdminFirstDispatcher(0)  # no worker: the queue only fills
    carrier_calls = [_Task("/zto/zto.merchant.waybill.track.query") for _ in range(3)]
    for task in carrier_calls:
        dispatcher.add_task(task)
    health = _Task("/__admin/health")
    dispatcher.add_task(health)
    assert list(dispatcher.queue) == [health, *carrier_calls]


def test_the_queue_depth_warning_is_one_line_per_ten_seconds(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    dispatcher = serving.AdminFirstDispatcher(0, clock=lambda: now[0])
    with caplog.at_level("WARNING", logger="waitress.queue"):
        for _ in range(50):
            dispatcher.add_task(_Task("/zto/x"))
        now[0] = 10.0
        dispatcher.add_task(_Task("/zto/x"))
    lines = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
    assert lines == [
        "Task queue depth is 1",
        "Task queue depth is 51 (49 more such warnings in the last 10 s)",
    ]


def test_the_command_line_server_serves_admin_calls_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver.__main__ import main

    given: dict[str, Any] = {}

    class Fake:
        effective_port = 8080

        def run(self) -> None:
            pass

    def fake_server(app: Any, **kwargs: Any) -> Any:
        given.update(kwargs)
        return Fake()

    monkeypatch.setattr("mockserver.__main__.create_server", fake_server)
    monkeypatch.setattr("signal.signal", lambda *args: None)
    assert main(["--clock", "manual", "--port", "0", "--threads", "3"]) == 0
    assert isinstance(given["_dispatcher"], serving.AdminFirstDispatcher)
    assert len(given["_dispatcher"].threads) == 3
    given["_dispatcher"].shutdown()
