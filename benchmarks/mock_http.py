"""The mock server's own speed: its carrier track endpoint against a bare Flask endpoint.

``mock_track_c<N>_vs_bare_flask`` (issue 12): the mock's ZTO track endpoint (signature check,
scenario engine, journal) against a bare Flask endpoint that answers the same JSON bytes, both
under waitress with the same threads, each in a child process of its own so that the client's
threads and the server's do not share a GIL. N client threads post the same signed request
again and again; the ratio is the mock's throughput as a share of the bare endpoint's (1.00x:
as fast; the goal is at least 0.80x). The two servers take turns, repeat by repeat, and which
goes first alternates.

``python -m benchmarks.mock_http cpu`` prints what the two apps cost without waitress and
sockets (:func:`cpu_per_track`: CPU per track, the WSGI app called in-process), which a loaded
machine disturbs much less than the HTTP rows.
"""

from __future__ import annotations

import logging
import statistics
import sys
import threading
import time
from functools import partial
from typing import Any, Callable, Dict, List, Tuple

import requests

from benchmarks.sdk_http import WAYBILLS, Row, _config, _mock_app, paired, serve_in_child
from kscarriers import Client
from mockserver.serving import serve_in_thread

__all__ = ["CONCURRENCY", "bench_mock_track", "cpu_per_track"]

#: The client concurrencies measured.
CONCURRENCY = (1, 4, 16)
#: Waitress threads of both servers.
SERVER_THREADS = 4


def _bare_app() -> object:
    """A bare Flask app answering every ZTO POST with the bytes the mock answers a track with."""
    from flask import Flask, Response

    mock = _mock_app()
    with Client(_config("http://m")) as client:
        signed = client.adapter("zto").build_track(WAYBILLS["zto"])
    answer = mock.test_client().post(
        "/zto/" + signed.url.rsplit("/", 1)[1], data=signed.body, headers=dict(signed.headers)
    )
    body, content_type = answer.data, answer.content_type
    bare = Flask("bare")

    @bare.post("/zto/<path:operation>")
    def track(operation: str) -> Response:
        return Response(body, content_type=content_type)

    return bare


def _serve(kind: str) -> Tuple[str, Callable[[], None]]:
    """The ``mock`` or ``bare`` server in a child process; its base URL and how to stop it."""
    return serve_in_child("benchmarks.mock_http", kind, str(SERVER_THREADS), what=f"{kind} benchmark server")


def _per_request(base: str, clients: int, per_client: int) -> float:
    """Wall seconds per request with ``clients`` threads each posting ``per_client`` tracks."""
    with Client(_config(base)) as client:
        signed = client.adapter("zto").build_track(WAYBILLS["zto"])
    failures: List[str] = []
    sessions = [requests.Session() for _ in range(clients)]
    for session in sessions:  # connect before the clock starts
        session.post(signed.url, data=signed.body, headers=signed.headers).raise_for_status()
    start = threading.Barrier(clients + 1)

    def post_many(session: requests.Session) -> None:
        start.wait()
        for _ in range(per_client):
            answer = session.post(signed.url, data=signed.body, headers=signed.headers)
            if answer.status_code != 200 or b'"status":true' not in answer.content:
                failures.append(f"{answer.status_code} {answer.content[:200]!r}")

    threads = [threading.Thread(target=post_many, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    for session in sessions:
        session.close()
    if failures:
        raise RuntimeError(f"{len(failures)} benchmark requests failed, the first: {failures[0]}")
    return took / (clients * per_client)


def bench_mock_track(requests_per_round: int, repeat: int) -> Dict[int, Row]:
    """Per client concurrency: the mock's throughput as a share of the bare endpoint's."""
    mock_base, stop_mock = _serve("mock")
    try:
        bare_base, stop_bare = _serve("bare")
        try:
            rows: Dict[int, Row] = {}
            for clients in CONCURRENCY:
                per_client = max(1, requests_per_round // clients)
                rows[clients] = paired(
                    partial(_per_request, mock_base, clients, per_client),
                    partial(_per_request, bare_base, clients, per_client),
                    repeat,
                    ratio=lambda mock, bare: bare / mock,  # throughput: the mock's share of the bare one's
                )
            return rows
        finally:
            stop_bare()
    finally:
        stop_mock()


def cpu_per_track(rounds: int = 9, per_round: int = 1000, fill: int = 11_000) -> Dict[str, List[float]]:
    """In-process CPU (``time.process_time``) per signed ZTO track, mock and bare, in µs per round.

    No sockets and no waitress: the WSGI app is called directly, so what is left is each app's
    own work. The mock's journal is filled past its bounds first (``fill`` tracks), as the
    HTTP rows fill it; then the two apps take turns, ``rounds`` rounds of ``per_round`` tracks.
    """
    import io

    from werkzeug.test import EnvironBuilder

    mock, bare = _mock_app(), _bare_app()
    with Client(_config("http://m")) as client:
        signed = client.adapter("zto").build_track(WAYBILLS["zto"])
    body = signed.body if isinstance(signed.body, bytes) else signed.body.encode("utf-8")
    path = "/zto/" + signed.url.rsplit("/", 1)[1]
    environ = EnvironBuilder(path=path, method="POST", data=body, headers=dict(signed.headers)).get_environ()

    def run(app: Callable[..., Any], times: int) -> None:
        def start(status: str, headers: object, exc_info: object = None) -> None:
            if not status.startswith("200"):
                raise RuntimeError(f"the benchmark track was answered {status}")

        for _ in range(times):
            answer = app({**environ, "wsgi.input": io.BytesIO(body)}, start)
            b"".join(answer)
            getattr(answer, "close", lambda: None)()

    run(mock, fill)
    run(bare, fill // 5)
    took: Dict[str, List[float]] = {"mock": [], "bare": []}
    for i in range(rounds):
        for name, app in (("mock", mock), ("bare", bare)) if i % 2 == 0 else (("bare", bare), ("mock", mock)):
            began = time.process_time()
            run(app, per_round)
            took[name].append((time.process_time() - began) / per_round * 1e6)
    return took


def _print_cpu() -> None:
    took = cpu_per_track()
    for name, values in took.items():
        print(
            f"{name}: {statistics.median(values):.1f} µs CPU per track ({min(values):.1f}–{max(values):.1f})"
        )
    ratios = [m / b for m, b in zip(took["mock"], took["bare"])]
    print(f"mock / bare: {statistics.median(ratios):.2f}x ({min(ratios):.2f}–{max(ratios):.2f})")


def _serve_forever(kind: str, threads: int) -> None:
    """Serve the mock or the bare app until terminated; the first line printed is its base URL."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" is the point here
    app = _mock_app() if kind == "mock" else _bare_app()
    base, stop = serve_in_thread(app, threads=threads)
    print(base, flush=True)
    try:
        threading.Event().wait()
    finally:
        stop()


if __name__ == "__main__":
    if sys.argv[1:] == ["cpu"]:  # python -m benchmarks.mock_http cpu: the in-process CPU per track
        _print_cpu()
    else:  # python -m benchmarks.mock_http mock|bare THREADS (used by bench_mock_track)
        _serve_forever(sys.argv[1], int(sys.argv[2]))
