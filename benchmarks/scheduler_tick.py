"""The push scheduler's cost per tick as its pending work grows, on both stores.

``push_tick_after_write_<store>_10k_vs_1k_pending`` (issue 12): the CPU seconds of one
``PushScheduler.tick`` right after one write to the account (a pending intercept of one waybill
stored again), on a server whose account has 10,000 pending intercepts (each on a waybill of its
own, each resolving a day later: 10,000 moments the scheduler has to watch), against the same
tick on a server of the same store kind with 1,000. 1.00x: the tick costs what changed, not what
is pending. The goal is proportional (about 1x) and at most 5 ms per tick at 10,000 pending: the
line's subject is that tick's time. The two servers take turns, repeat by repeat; only the tick
is timed, not the write.

``push_due_<store>_10k_vs_1k_pending_pushes``: the CPU seconds of moving the clock so that 10
pushes fall due and flushing them (the tick the clock move makes, the deliveries, the flush's
checks), with 10,000 pushes pending (each due at a second of its own, later) against the same
with 1,000. The sender records nothing and acknowledges at once, so the figure is the
scheduler's own cost.

``python -m benchmarks.scheduler_tick [SIZE [BASELINE_SIZE [NUMBER [REPEAT]]]]`` prints the rows.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping

from benchmarks.sdk_http import Row, paired
from mockserver import create_app
from mockserver.app import close_app
from mockserver.clock import ManualClock
from mockserver.world import InterceptKind, InterceptRecord, InterceptStatus

__all__ = ["STORES", "bench_due_pushes", "bench_tick_after_write"]

#: The store kinds measured.
STORES = ("memory", "sqlite")
KEY, SECRET = "bench-zto", "bench-zto-secret"


#: The ZTO push acknowledgement (what its subscriber answers).
ACK = b'{"status":true,"statusCode":"0"}'
#: Mock seconds between a result and its push in the pending-pushes rows: long enough for every
#: push to wait in the queue.
DELAY = 1_000_000.0


def _acked(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> tuple[int, bytes]:
    return 200, ACK


def _server(store: str, folder: Path, name: str, pending: int, opened: List[Any], delay: float = 0.0) -> Any:
    """A server whose account has ``pending`` intercepts, the n-th resolving a day and n seconds
    later (``delay``: mock seconds from a result to its push), watched by a first tick."""
    spec = f"sqlite:{folder / name}.db" if store == "sqlite" else "memory"
    clock = ManualClock()
    settings = {"CLOCK": "manual", "DEMO_ACCOUNTS": False, "STORE": spec, "PUSH_SENDER": _acked}
    app = create_app({**settings, "PUSH_DELAY_SECONDS": delay}, clock=clock)
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
    scheduler.tick()  # the first look reads everything; what is measured comes after it
    return app, records


def _write_then_tick(
    store: str, folder: Path, name: str, pending: int, opened: List[Any]
) -> Callable[[], float]:
    """A function that writes once to the account, then ticks, and returns the tick's CPU seconds."""
    app, records = _server(store, folder, name, pending, opened)
    services = app.extensions["mockserver"]
    turn = iter(range(sys.maxsize))

    def measured() -> float:
        services.store.put_intercept(records[next(turn) % len(records)])
        started = time.process_time()
        services.pushes.tick()
        return time.process_time() - started

    return measured


def _due_then_flush(
    store: str, folder: Path, name: str, pending: int, due: int, opened: List[Any]
) -> Callable[[], float]:
    """A function that moves the clock so that ``due`` of ``pending`` queued pushes fall due,
    flushes them, and returns the CPU seconds of both."""
    app, records = _server(store, folder, name, pending, opened, DELAY)
    services = app.extensions["mockserver"]
    clock, scheduler = services.clock, services.pushes
    start = records[0].resolve_at
    clock.set(records[-1].resolve_at)  # every intercept resolves: a push each, due DELAY later
    if not scheduler.flush(timeout=600) or len(scheduler.pushes()) != pending:
        raise RuntimeError("the benchmark's pushes were not queued")
    clock.set(start + timedelta(seconds=DELAY) - timedelta(seconds=1))
    step = timedelta(seconds=due)

    def measured() -> float:
        started = time.process_time()
        clock.advance(step.total_seconds())
        if not scheduler.flush(timeout=60):
            raise RuntimeError("the benchmark's pushes were not delivered")
        return time.process_time() - started

    return measured


def _per_tick(tick: Callable[[], float], number: int) -> float:
    return sum(tick() for _ in range(number)) / number


def bench_tick_after_write(size: int, baseline_size: int, number: int, repeat: int) -> Dict[str, Row]:
    """Per store kind: CPU per tick after one write at ``size`` pending vs at ``baseline_size``."""
    return _rows(
        lambda store, folder, name, n, opened: _write_then_tick(store, folder, name, n, opened),
        size,
        baseline_size,
        number,
        repeat,
    )


def bench_due_pushes(size: int, baseline_size: int, due: int, number: int, repeat: int) -> Dict[str, Row]:
    """Per store kind: CPU of ``due`` pushes falling due and flushed, ``size`` pending vs ``baseline_size``.

    Each measurement uses up ``due`` pushes: ``baseline_size`` must exceed
    ``due * (number * repeat + 3)``.
    """
    if baseline_size <= due * (number * repeat + 3):
        raise ValueError("too few pending pushes for that many measurements")
    return _rows(
        lambda store, folder, name, n, opened: _due_then_flush(store, folder, name, n, due, opened),
        size,
        baseline_size,
        number,
        repeat,
    )


def _rows(
    make: Callable[[str, Path, str, int, List[Any]], Callable[[], float]],
    size: int,
    baseline_size: int,
    number: int,
    repeat: int,
) -> Dict[str, Row]:
    rows: Dict[str, Row] = {}
    opened: List[Any] = []
    with tempfile.TemporaryDirectory(prefix="push-tick-") as folder:
        try:
            for store in STORES:
                subject = make(store, Path(folder), "large", size, opened)
                baseline = make(store, Path(folder), "small", baseline_size, opened)
                for _ in range(3):  # warm both
                    subject()
                    baseline()
                rows[store] = paired(
                    partial(_per_tick, subject, number), partial(_per_tick, baseline, number), repeat
                )
        finally:
            for app in opened:
                close_app(app, drain_seconds=0)
    return rows


def _print(what: str, rows: Dict[str, Row]) -> None:
    for kind, row in rows.items():
        print(
            f"{what} {kind}: {row.ratio:.2f}x, {row.subject * 1e3:.3f} ms vs {row.baseline * 1e3:.3f} ms "
            f"(ratios {row.low:.2f}–{row.high:.2f}, median of {row.repeats})",
            flush=True,
        )


if __name__ == "__main__":
    size, baseline_size, number, repeat = (
        [int(a) for a in sys.argv[1:]] + [10_000, 1_000, 200, 5][len(sys.argv) - 1 :]
    )[:4]
    _print("tick after one write:", bench_tick_after_write(size, baseline_size, number, repeat))
    _print("10 pushes due:", bench_due_pushes(size, baseline_size, 10, max(1, number // 20), repeat))
