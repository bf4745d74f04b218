"""The push scheduler's cost per tick as its pending work grows, on both stores.

``push_tick_after_write_<store>_10k_vs_1k_pending`` (issue 12): the CPU seconds of one
``PushScheduler.tick`` right after one write to the account (a pending intercept of one waybill
stored again), on a server whose account has 10,000 pending intercepts (each on a waybill of its
own, each resolving a day later: 10,000 moments the scheduler has to watch), against the same
tick on a server of the same store kind with 1,000. 1.00x: the tick costs what changed, not what
is pending. The goal is proportional (about 1x) and at most 5 ms per tick at 10,000 pending: the
line's subject is that tick's time. The two servers take turns, repeat by repeat; only the tick
is timed, not the write.

``python -m benchmarks.scheduler_tick [SIZE [BASELINE_SIZE [NUMBER [REPEAT]]]]`` prints the rows.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping

from benchmarks.sdk_http import Row, summary
from mockserver import create_app
from mockserver.app import close_app
from mockserver.clock import ManualClock
from mockserver.world import InterceptKind, InterceptRecord, InterceptStatus

__all__ = ["STORES", "bench_tick_after_write"]

#: The store kinds measured.
STORES = ("memory", "sqlite")
KEY, SECRET = "bench-zto", "bench-zto-secret"


def _never_sent(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> tuple[int, bytes]:
    raise RuntimeError("the tick benchmark queues no push")


def _server(store: str, folder: Path, name: str, pending: int, opened: List[Any]) -> Callable[[], float]:
    """A function that writes once to the account, then ticks, and returns the tick's CPU seconds."""
    spec = f"sqlite:{folder / name}.db" if store == "sqlite" else "memory"
    clock = ManualClock()
    app = create_app(
        {"CLOCK": "manual", "DEMO_ACCOUNTS": False, "STORE": spec, "PUSH_SENDER": _never_sent}, clock=clock
    )
    opened.append(app)
    admin = app.test_client()
    admin.post("/__admin/accounts", json={"carrier": "zto", "app_key": KEY, "app_secret": SECRET})
    answer = admin.post(
        "/__admin/subscriptions/callback",
        json={"carrier": "zto", "app_key": KEY, "url": "http://cb.test/push"},
    )
    if answer.status_code != 200:
        raise RuntimeError(f"cannot set the benchmark callback: {answer.get_json()}")
    services = app.extensions["mockserver"]
    world, scheduler = services.store, services.pushes
    now = clock.now()
    records = [
        InterceptRecord(
            id=f"bench-{n}",
            carrier="zto",
            app_key=KEY,
            waybill=f"7310{n:010d}",
            kind=InterceptKind.RETURN,
            request_id=f"bench-{n}",
            external_ref=f"bench-{n}",
            status=InterceptStatus.PENDING,
            created_at=now,
            resolve_at=now + timedelta(days=1, seconds=n),
            updated_at=now,
        )
        for n in range(pending)
    ]
    with world.atomic():  # one transaction on SQLite
        for record in records:
            world.put_intercept(record)
    scheduler.tick()  # the first look reads everything; the ticks measured come after it
    turn = iter(range(sys.maxsize))

    def write_then_tick() -> float:
        world.put_intercept(records[next(turn) % len(records)])
        started = time.process_time()
        scheduler.tick()
        return time.process_time() - started

    return write_then_tick


def _per_tick(tick: Callable[[], float], number: int) -> float:
    return sum(tick() for _ in range(number)) / number


def bench_tick_after_write(size: int, baseline_size: int, number: int, repeat: int) -> Dict[str, Row]:
    """Per store kind: CPU per tick after one write at ``size`` pending vs at ``baseline_size``."""
    rows: Dict[str, Row] = {}
    opened: List[Any] = []
    with tempfile.TemporaryDirectory(prefix="push-tick-") as folder:
        try:
            for store in STORES:
                subject = _server(store, Path(folder), "large", size, opened)
                baseline = _server(store, Path(folder), "small", baseline_size, opened)
                for _ in range(3):  # warm both
                    subject()
                    baseline()
                ratios, subjects, baselines = [], [], []
                for i in range(repeat):
                    if i % 2:
                        b, s = _per_tick(baseline, number), _per_tick(subject, number)
                    else:
                        s, b = _per_tick(subject, number), _per_tick(baseline, number)
                    ratios.append(s / b)
                    subjects.append(s)
                    baselines.append(b)
                rows[store] = summary(ratios, subjects, baselines)
        finally:
            for app in opened:
                close_app(app, drain_seconds=0)
    return rows


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:]] + [10_000, 1_000, 200, 3][len(sys.argv) - 1 :]
    for kind, row in bench_tick_after_write(*numbers[:4]).items():
        print(
            f"{kind}: {row.ratio:.2f}x, {row.subject * 1e3:.3f} ms vs {row.baseline * 1e3:.3f} ms a tick "
            f"(ratios {row.low:.2f}–{row.high:.2f}, median of {row.repeats})"
        )
