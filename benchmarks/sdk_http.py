"""The SDK over real HTTP: ``Client.track`` and ``Client.track_many`` against the mock under waitress.

Two kinds of rows (issue 12):

* ``<carrier>_track_http_vs_bare_post``: ``Client.track`` over loopback HTTP, against a bare
  ``requests.Session().post`` of the same signed body to the same endpoint. Both run in the same
  process against the same server, interleaved batch by batch, so machine noise hits both sides.
* ``track_many_50ms_c<N>_vs_ideal``: ``track_many`` with concurrency N against a server that
  answers each request after 50 ms; the ratio is the speed-up over one call at a time divided by
  the ideal speed-up N (1.00x is ideal; the goal is at least 0.80x). That server runs in a
  child process, as a carrier would be elsewhere.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Tuple

import requests

from kscarriers import CarrierConfig, Client, ClientConfig, Credentials, Timeouts
from kscarriers.transport import HttpRequest, HttpResponse
from mockserver import create_app
from mockserver.clock import ManualClock
from mockserver.serving import serve_in_thread

__all__ = [
    "Row",
    "bench_track_canned",
    "bench_track_http",
    "bench_track_many",
    "interleaved",
    "paired",
    "serve_in_child",
    "sleeping_app",
    "summary",
]

#: One waybill per carrier, the numbers the tests use.
WAYBILLS: Dict[str, str] = {
    "zto": "73100130019486",
    "yto": "YT2600227881409",
    "sto": "777031922725111",
    "jt": "JT2099306666983",
}


class Row(NamedTuple):
    """One report line: the median ratio, both sides' median seconds, and the spread of ratios."""

    ratio: float
    subject: float
    baseline: float
    low: float
    high: float
    repeats: int


def summary(ratios: List[float], subjects: List[float], baselines: List[float]) -> Row:
    """The row of ``repeats`` paired measurements."""
    return Row(
        ratio=statistics.median(ratios),
        subject=statistics.median(subjects),
        baseline=statistics.median(baselines),
        low=min(ratios),
        high=max(ratios),
        repeats=len(ratios),
    )


def interleaved(
    subject: Callable[[], object],
    baseline: Callable[[], object],
    number: int,
    repeat: int,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> Row:
    """Per-call seconds of ``subject`` and ``baseline``, ``number`` calls each, in turns.

    ``clock`` is wall time by default; ``time.thread_time`` counts this thread's CPU only.
    """
    return paired(
        lambda: _per_call(subject, number, clock), lambda: _per_call(baseline, number, clock), repeat
    )


def paired(
    subject: Callable[[], float],
    baseline: Callable[[], float],
    repeat: int,
    *,
    ratio: Callable[[float, float], float] = lambda subject, baseline: subject / baseline,
) -> Row:
    """``repeat`` paired measurements: each call of ``subject`` / ``baseline`` measures its side once.

    Which side goes first alternates, so neither always meets a warmer (or busier) machine.
    ``ratio(subject, baseline)`` is the row's figure (a cost's share by default).
    """
    ratios, subjects, baselines = [], [], []
    for i in range(repeat):
        if i % 2:
            b = baseline()
            s = subject()
        else:
            s = subject()
            b = baseline()
        ratios.append(ratio(s, b))
        subjects.append(s)
        baselines.append(b)
    return summary(ratios, subjects, baselines)


def _per_call(fn: Callable[[], object], number: int, clock: Callable[[], float]) -> float:
    started = clock()
    for _ in range(number):
        fn()
    return (clock() - started) / number


def _mock_app() -> Any:
    app = create_app({"CLOCK": "manual", "DEMO_ACCOUNTS": False}, clock=ManualClock())
    admin = app.test_client()
    for slug, waybill in WAYBILLS.items():
        key, secret = f"bench-{slug}", f"bench-{slug}-secret"
        admin.post("/__admin/accounts", json={"carrier": slug, "app_key": key, "app_secret": secret})
        answer = admin.post(
            "/__admin/parcels",
            json={"carrier": slug, "app_key": key, "waybill": waybill, "stage": "signed"},
        )
        if answer.status_code != 201:
            raise RuntimeError(f"cannot create the {slug} benchmark parcel: {answer.get_json()}")
    return app


def _config(base: str) -> ClientConfig:
    return ClientConfig(
        carriers={
            slug: CarrierConfig(
                credentials=Credentials(app_key=f"bench-{slug}", app_secret=f"bench-{slug}-secret"),
                base_url=f"{base}/{slug}",
            )
            for slug in WAYBILLS
        }
    )


def _carrier_row(
    client: Client,
    slug: str,
    number: int,
    repeat: int,
    clock: Callable[[], float] = time.perf_counter,
    trust_env: bool = True,
) -> Row:
    waybill = WAYBILLS[slug]
    request = client.adapter(slug).build_track(waybill)
    headers = {**request.headers, "User-Agent": client.config.user_agent}
    with requests.Session() as session:
        session.trust_env = trust_env

        def baseline() -> object:
            return session.post(request.url, data=request.body, headers=headers).content

        def subject() -> object:
            return client.track(waybill, slug)

        for _ in range(max(3, number // 10)):  # warm both connections and caches
            subject()
            baseline()
        return interleaved(subject, baseline, number, repeat, clock=clock)


def bench_track_http(
    number: int, repeat: int, *, clock: Callable[[], float] = time.perf_counter, trust_env: bool = True
) -> Dict[str, Row]:
    """Per carrier: ``Client.track`` vs a bare ``requests`` post of the same signed request.

    The same signed body is posted again and again (the mock checks signatures, not replays).
    With ``clock=time.thread_time`` both sides are the CPU of this (the client's) thread: the
    server's threads are not counted, so ``subject - baseline`` is the SDK's own CPU per
    track, the figure least disturbed by other work on a shared machine
    (``python -m benchmarks.sdk_http cpu``). With ``trust_env=False`` the bare post reads no
    proxy settings from the environment at all (``python -m benchmarks.sdk_http cpu-no-env``):
    the SDK's own work alone, without what its transport saves by reading them once per host.
    """
    base, stop = serve_in_thread(_mock_app(), threads=4)
    try:
        with Client(_config(base)) as client:
            return {slug: _carrier_row(client, slug, number, repeat, clock, trust_env) for slug in WAYBILLS}
    finally:
        stop()


def sleeping_app(app: Any, latency: float) -> Callable[..., Iterable[bytes]]:
    """``app`` behind a WSGI middleware that waits ``latency`` seconds before each answer."""

    def slow(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        time.sleep(latency)
        return app(environ, start_response)  # type: ignore[no-any-return]

    return slow


def serve_in_child(module: str, *args: str, what: str = "benchmark server") -> Tuple[str, Callable[[], None]]:
    """``python -m module *args`` in a child process, which prints its base URL on its first line.

    Returns the URL and how to stop the child. A server in this process would compete with the
    client's threads for the interpreter lock and measure that instead of the subject.
    """
    child = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert child.stdout is not None
    base = child.stdout.readline().strip()
    if not base.startswith("http://"):
        child.kill()
        raise RuntimeError(f"the {what} did not start (said {base!r})")

    def stop() -> None:
        child.terminate()
        child.wait(timeout=10)

    return base, stop


def _serve_elsewhere(latency: float, threads: int) -> Tuple[str, Callable[[], None]]:
    """The sleeping mock in a child process, as a real carrier is another machine."""
    return serve_in_child("benchmarks.sdk_http", str(latency), str(threads))


def bench_track_many(
    waybills: int, concurrency: int, repeat: int, *, latency: float = 0.05, serial_sample: int = 20
) -> Row:
    """``track_many`` speed-up at ``concurrency`` over one call at a time, as a share of ideal.

    The serial time per waybill is measured on ``serial_sample`` waybills (``concurrency=1``); the
    ideal time of ``waybills`` waybills is that times ``waybills / concurrency``.
    """
    base, stop = _serve_elsewhere(latency, threads=concurrency * 2)
    slug = "zto"
    try:
        with Client(_config(base)) as client:
            client.track_many([WAYBILLS[slug]] * concurrency, slug, concurrency=concurrency)  # warm the pool
            ratios: List[float] = []
            subjects: List[float] = []
            baselines: List[float] = []
            for _ in range(repeat):
                started = time.perf_counter()
                serial = client.track_many([WAYBILLS[slug]] * serial_sample, slug, concurrency=1)
                per_call = (time.perf_counter() - started) / serial_sample
                started = time.perf_counter()
                out = client.track_many([WAYBILLS[slug]] * waybills, slug, concurrency=concurrency)
                took = (time.perf_counter() - started) / waybills
                failed = [r for r in [*serial, *out] if isinstance(r, Exception)]
                if failed:
                    raise RuntimeError(f"track_many benchmark: {len(failed)} calls failed: {failed[0]}")
                ideal = per_call / concurrency
                ratios.append(ideal / took)
                subjects.append(took)
                baselines.append(ideal)
    finally:
        stop()
    return summary(ratios, subjects, baselines)


def _serve_forever(latency: float, threads: int) -> None:
    """Serve the sleeping mock until terminated; the first line printed is its base URL."""
    base, stop = serve_in_thread(sleeping_app(_mock_app(), latency), threads=threads)
    print(base, flush=True)
    try:
        threading.Event().wait()
    finally:
        stop()


class _Canned:
    """A transport that answers every request with one recorded answer, without a socket."""

    def __init__(self, answer: HttpResponse) -> None:
        self.answer = answer

    def send(self, request: HttpRequest, *, timeouts: Timeouts) -> HttpResponse:
        return self.answer


def bench_track_canned(number: int, repeat: int) -> Dict[str, Tuple[float, float]]:
    """Per carrier: CPU seconds per ``Client.track`` with a canned answer, and per ``json.loads`` of it.

    The answer is the mock's, recorded once over HTTP; each figure is the best of ``repeat``
    loops of ``number`` calls (``time.process_time``). This is the SDK's own work with warm
    caches: what a track costs beside the socket (``python -m benchmarks.sdk_http canned``).
    """
    base, stop = serve_in_thread(_mock_app(), threads=4)
    try:
        with Client(_config(base)) as client:
            answers = {}
            for slug, waybill in WAYBILLS.items():
                request = client.adapter(slug).build_track(waybill)
                sent = requests.post(
                    request.url, data=request.body, headers=dict(request.headers), timeout=10
                )
                answers[slug] = HttpResponse(
                    status=sent.status_code, headers=dict(sent.headers), body=sent.content
                )
    finally:
        stop()
    return {slug: _canned_figures(slug, answer, number, repeat) for slug, answer in answers.items()}


def _canned_figures(slug: str, answer: HttpResponse, number: int, repeat: int) -> Tuple[float, float]:
    client = Client(_config("http://canned.test"), transport=_Canned(answer))
    waybill = WAYBILLS[slug]

    def track() -> object:
        return client.track(waybill, slug)

    def decode() -> object:
        return json.loads(answer.body)

    return (
        min(_per_call(track, number, time.process_time) for _ in range(repeat)),
        min(_per_call(decode, number, time.process_time) for _ in range(repeat)),
    )


def _print_track_canned() -> None:
    for slug, (track, decode) in bench_track_canned(3000, 5).items():
        print(f"{slug}_track_canned: {track * 1e6:.1f} µs a track, of which json.loads {decode * 1e6:.1f} µs")


def _print_track_cpu(trust_env: bool = True) -> None:
    """The SDK's own CPU per track, per carrier: client-thread CPU of a track minus a bare post's."""
    name = "bare_post" if trust_env else "bare_post_without_env"
    for slug, row in bench_track_http(50, 21, clock=time.thread_time, trust_env=trust_env).items():
        print(
            f"{slug}_track_thread_cpu_vs_{name}: {row.ratio:.2f}x (subject {row.subject * 1e6:.1f} µs "
            f"vs baseline {row.baseline * 1e6:.1f} µs: the SDK's own {(row.subject - row.baseline) * 1e6:.0f} "
            f"µs a track; median of {row.repeats}, ratios {row.low:.2f}–{row.high:.2f})"
        )


if __name__ == "__main__":
    if sys.argv[1:] == ["cpu"]:  # python -m benchmarks.sdk_http cpu
        _print_track_cpu()
    elif sys.argv[1:] == ["cpu-no-env"]:  # python -m benchmarks.sdk_http cpu-no-env
        _print_track_cpu(trust_env=False)
    elif sys.argv[1:] == ["canned"]:  # python -m benchmarks.sdk_http canned
        _print_track_canned()
    else:  # python -m benchmarks.sdk_http LATENCY THREADS (used by bench_track_many)
        _serve_forever(float(sys.argv[1]), int(sys.argv[2]))
