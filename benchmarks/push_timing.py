"""Push timing on the real-time clock: how late pushes reach a local receiver (issue 12).

``push_lateness_p99_vs_heap_scheduler``: the mock on a system clock (speed 1) with one ZTO
account whose callback is a local HTTP receiver. ``pushes`` delivered pushes are resent at
random moments spread over ``spread`` seconds (``PushScheduler.resend``, what
``POST /__admin/pushes/<id>/resend`` does: a new push record due at that moment); the lateness
of each is its arrival at the receiver (on the app's clock) minus its ``due_at``. The baseline
is a one-thread heap scheduler (``heapq`` + ``time.sleep`` until due, then a ``requests`` post
of the same body to the same receiver) sending at the same random moments, in the same run.
The ratio is the mock's p99 over the baseline's; the goal is a p99 of at most 20 ms and within
2x of the baseline.
"""

from __future__ import annotations

import heapq
import random
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, NamedTuple

import requests

from benchmarks.sdk_http import Row, summary
from mockserver import create_app
from mockserver.world import PushState

__all__ = ["Lateness", "bench_push_timing", "lateness_of_heap", "lateness_of_mock"]

KEY, SECRET = "push-bench", "push-bench-secret"
#: A ZTO subscriber's acknowledgement.
ACK = b'{"status":true,"message":"ok"}'


class Lateness(NamedTuple):
    """Seconds late: median, 99th percentile and worst of one run."""

    p50: float
    p99: float
    worst: float

    @classmethod
    def of(cls, late: List[float]) -> Lateness:
        ordered = sorted(late)
        return cls(
            statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], ordered[-1]
        )


class _Receiver:
    """A local HTTP server that acknowledges every push and notes when each body arrived."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.arrived: Dict[bytes, float] = {}
        self.done = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = now()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(ACK)))
                self.end_headers()
                self.wfile.write(ACK)
                with receiver.done:
                    receiver.arrived[body] = at
                    receiver.done.notify_all()

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.done:
            return self.done.wait_for(lambda: len(self.arrived) >= count, timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _moments(pushes: int, spread: float, seed: int) -> List[float]:
    rng = random.Random(seed)
    return sorted(rng.uniform(0.0, spread) for _ in range(pushes))


def lateness_of_mock(pushes: int, spread: float, seed: int) -> Lateness:
    """Resend ``pushes`` delivered pushes at random moments; how late each reaches the receiver."""
    app = create_app({"CLOCK": "system", "DEMO_ACCOUNTS": False})
    services = app.extensions["mockserver"]
    scheduler = services.pushes
    receiver = _Receiver(lambda: scheduler.now_of(("zto", KEY)).timestamp())
    try:
        admin = app.test_client()
        admin.post("/__admin/accounts", json={"carrier": "zto", "app_key": KEY, "app_secret": SECRET})
        answer = admin.post(
            "/__admin/subscriptions/callback", json={"carrier": "zto", "app_key": KEY, "url": receiver.url}
        )
        if answer.status_code != 200:
            raise RuntimeError(f"cannot set the benchmark callback: {answer.get_json()}")
        # Parcels just created, subscribed, then the account's clock moved on past their routes:
        # every scan is news, a dozen trace pushes per parcel.
        for number in range(pushes // 8 + 1):
            waybill = f"7310013{number:07d}"
            for path, extra in (("/__admin/parcels", {"stage": "created"}), ("/__admin/subscriptions", {})):
                answer = admin.post(
                    path, json={"carrier": "zto", "app_key": KEY, "waybill": waybill, **extra}
                )
                if answer.status_code != 201:
                    raise RuntimeError(f"cannot set up the push benchmark ({path}): {answer.get_json()}")
        admin.post("/__admin/clock/advance", json={"carrier": "zto", "app_key": KEY, "seconds": 30 * 86400})
        if not scheduler.flush(timeout=120):
            raise RuntimeError("the push benchmark's first deliveries did not finish")
        originals = [r for r in scheduler.pushes("zto", KEY, state=PushState.DELIVERED)][:pushes]
        if len(originals) < pushes or len({r.body for r in originals}) < pushes:
            raise RuntimeError("the push benchmark needs distinct delivered pushes")
        receiver.arrived.clear()
        due: Dict[bytes, float] = {}
        started = time.monotonic()
        for at, original in zip(_moments(pushes, spread, seed), originals):
            pause = started + at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            record = scheduler.resend(original.id)
            assert record.due_at is not None
            due[record.body.encode("utf-8")] = record.due_at.timestamp()
        if not receiver.wait_for(pushes, timeout=60):
            raise RuntimeError(f"only {len(receiver.arrived)} of {pushes} resent pushes arrived")
        return Lateness.of([receiver.arrived[body] - due[body] for body in due])
    finally:
        scheduler.close()
        receiver.close()


def lateness_of_heap(pushes: int, spread: float, seed: int) -> Lateness:
    """A one-thread heap scheduler posting ``pushes`` bodies at the same random moments."""
    receiver = _Receiver(time.monotonic)
    try:
        with requests.Session() as session:
            session.post(receiver.url, data=b"warm").close()
            receiver.arrived.clear()
            started = time.monotonic() + 0.05
            heap = [
                (started + at, f"push {i}".encode()) for i, at in enumerate(_moments(pushes, spread, seed))
            ]
            heapq.heapify(heap)
            due = dict((body, when) for when, body in heap)
            while heap:
                when, body = heapq.heappop(heap)
                pause = when - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                session.post(receiver.url, data=body).close()
        if not receiver.wait_for(pushes, timeout=60):
            raise RuntimeError(f"only {len(receiver.arrived)} of {pushes} heap pushes arrived")
        return Lateness.of([receiver.arrived[body] - due[body] for body in due])
    finally:
        receiver.close()


def bench_push_timing(
    pushes: int, spread: float, repeat: int, report: Callable[[str], None] = lambda text: None
) -> Row:
    """The mock's p99 lateness over the heap scheduler's, ``repeat`` paired runs (alternating order)."""
    ratios: List[float] = []
    subjects: List[float] = []
    baselines: List[float] = []
    for i in range(repeat):
        if i % 2:
            heap = lateness_of_heap(pushes, spread, seed=i)
            mock = lateness_of_mock(pushes, spread, seed=i)
        else:
            mock = lateness_of_mock(pushes, spread, seed=i)
            heap = lateness_of_heap(pushes, spread, seed=i)
        ratios.append(mock.p99 / max(heap.p99, 1e-6))
        subjects.append(mock.p99)
        baselines.append(heap.p99)
        report(
            f"push timing run {i + 1}: mock p50 {mock.p50 * 1e3:.1f} ms, p99 {mock.p99 * 1e3:.1f} ms, "
            f"max {mock.worst * 1e3:.1f} ms; heap p50 {heap.p50 * 1e3:.1f} ms, p99 {heap.p99 * 1e3:.1f} ms, "
            f"max {heap.worst * 1e3:.1f} ms"
        )
    return summary(ratios, subjects, baselines)


if __name__ == "__main__":  # python -m benchmarks.push_timing [PUSHES SPREAD REPEAT]: each run's figures
    import sys

    args = sys.argv[1:] or ["1000", "10", "3"]
    row = bench_push_timing(int(args[0]), float(args[1]), int(args[2]), report=print)
    print(f"p99 ratio {row.ratio:.2f}x (mock {row.subject * 1e3:.1f} ms vs heap {row.baseline * 1e3:.1f} ms)")
