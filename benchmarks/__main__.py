"""Run the benchmarks: ``python -m benchmarks [--quick] [--only TEXT]`` (also ``tox -e bench``).

Each line is ``name: ratio x (subject … µs vs baseline … µs; median of N, ratios low–high)``.
Ratios, not absolute times, are what to compare between runs: the machines are shared and
noisy, and both sides of a ratio are measured in the same run, interleaved repeat by repeat;
the line gives the median over the repeats and the lowest and highest ratio seen.
docs/performance.md lists the goal of each row.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl

from benchmarks.mock_growth import STORES, bench_track_growth
from benchmarks.mock_http import CONCURRENCY, bench_mock_track
from benchmarks.push_timing import bench_push_timing
from benchmarks.scheduler_tick import STORES as TICK_STORES
from benchmarks.scheduler_tick import bench_due_pushes, bench_tick_after_write
from benchmarks.sdk_http import Row, bench_track_http, bench_track_many, interleaved
from kscarriers import CarrierConfig, Client, ClientConfig, Credentials
from kscarriers.carriers.zto import ZtoAdapter
from kscarriers.testing import WSGITransport
from kscarriers.transport import HttpResponse
from mockserver import create_app
from mockserver.clock import ManualClock

KEY, SECRET = "bench-key", "bench-secret"
WAYBILL = "73100130019486"


def _mock() -> Tuple[object, Client]:
    app = create_app({"CLOCK": "manual", "DEMO_ACCOUNTS": False}, clock=ManualClock())
    admin = app.test_client()
    admin.post("/__admin/accounts", json={"carrier": "zto", "app_key": KEY, "app_secret": SECRET})
    admin.post(
        "/__admin/parcels", json={"carrier": "zto", "app_key": KEY, "waybill": WAYBILL, "stage": "signed"}
    )
    config = ClientConfig(
        carriers={
            "zto": CarrierConfig(
                credentials=Credentials(app_key=KEY, app_secret=SECRET), base_url="http://m/zto"
            )
        }
    )
    return app, Client(config, transport=WSGITransport(app), sleep=lambda s: None)


def bench_sdk_overhead(number: int, repeat: int) -> Row:
    """client.track() in-process vs the same signed request posted with Flask's test client."""
    app, client = _mock()
    request = ZtoAdapter(client.config.carrier("zto")).build_track(WAYBILL)
    test_client = app.test_client()  # type: ignore[attr-defined]
    path = "/zto/" + request.url.rsplit("/", 1)[1]

    def baseline() -> object:
        return test_client.post(path, data=request.body, headers=dict(request.headers))

    def subject() -> object:
        return client.track(WAYBILL)

    return interleaved(subject, baseline, number, repeat)


def bench_parse(number: int, repeat: int) -> Row:
    """ZTO track answer normalisation vs plain json.loads of the same body."""
    app, client = _mock()
    adapter = ZtoAdapter(client.config.carrier("zto"))
    req = adapter.build_track(WAYBILL)
    test_client = app.test_client()  # type: ignore[attr-defined]
    raw = test_client.post("/zto/" + req.url.rsplit("/", 1)[1], data=req.body, headers=dict(req.headers))
    response = HttpResponse(status=200, headers={}, body=raw.data)

    return interleaved(
        lambda: adapter.parse_track(WAYBILL, response), lambda: json.loads(response.body), number, repeat
    )


def bench_push_verify(number: int, repeat: int) -> Row:
    """Verifying and normalising a push vs only decoding it (form + JSON, no checks)."""
    from mockserver.carriers import get_carrier

    app, client = _mock()
    services = app.extensions["mockserver"]  # type: ignore[attr-defined]
    account = services.simulator.account("zto", KEY)
    scan = services.simulator.trace(account, WAYBILL)[0]
    (push,) = get_carrier("zto").pushes.build_trace_pushes(account, [(WAYBILL, scan)])
    body = push.body

    return interleaved(
        lambda: client.parse_push("zto", push.headers, body),
        lambda: json.loads(dict(parse_qsl(body.decode()))["data"]),
        number,
        repeat,
    )


def in_process(quick: bool) -> Dict[str, Row]:
    """The in-process rows: no sockets, the mock app called through WSGI."""
    number, repeat = (3, 1) if quick else (300, 5)
    return {
        "sdk_track_vs_raw_flask_post": bench_sdk_overhead(number, repeat),
        "zto_parse_vs_json_loads": bench_parse(number, repeat),
        "push_verify_vs_plain_decode": bench_push_verify(number, repeat),
    }


def over_http(quick: bool) -> Dict[str, Row]:
    """Client.track over loopback HTTP per carrier, against a bare requests post (goal ≤ 1.10x)."""
    number, repeat = (10, 1) if quick else (20, 31)
    return {f"{slug}_track_http_vs_bare_post": row for slug, row in bench_track_http(number, repeat).items()}


def batch(quick: bool) -> Dict[str, Row]:
    """track_many at 50 ms latency: speed-up over serial as a share of the ideal (goal ≥ 0.80x)."""
    if quick:
        row = bench_track_many(16, 8, 1, serial_sample=8)
    else:
        row = bench_track_many(400, 8, 3, serial_sample=40)
    return {"track_many_50ms_c8_speedup_vs_ideal": row}


def mock_server(quick: bool) -> Dict[str, Row]:
    """The mock's track endpoint vs a bare Flask one, per client concurrency (goal ≥ 0.80x)."""
    rows = bench_mock_track(*((20, 1) if quick else (600, 5)))
    return {f"mock_track_c{clients}_vs_bare_flask": row for clients, row in rows.items()}


def mock_growth(quick: bool) -> Dict[str, Row]:
    """A track's server CPU at 10k intercepts/parcels/accounts vs empty, per store (goal ≤ 1.20x)."""
    size = 200 if quick else GROWTH_SIZE
    rows = bench_track_growth(size, *((3, 1) if quick else (300, 5)))
    return {f"mock_track_{store}_at_10k_vs_empty": row for store, row in rows.items()}


#: How many intercepts, parcels and accounts the growth rows hold (a quick run holds 200).
GROWTH_SIZE = 10_000


def push_timing(quick: bool) -> Dict[str, Row]:
    """Push lateness on the real-time clock, p99 of the mock over a heap scheduler's (goal: p99 ≤ 20 ms, ≤ 2x)."""
    row = bench_push_timing(50, 0.25, 1) if quick else bench_push_timing(1000, 10.0, 3)
    return {"push_lateness_p99_vs_heap_scheduler": row}


def push_tick(quick: bool) -> Dict[str, Row]:
    """A push scheduler tick right after one write, 10k pending intercepts vs 1k, per store.

    The goal: about 1x (a tick costs what changed, not what is pending), at most 5 ms at 10,000.
    """
    rows = bench_tick_after_write(*((200, 20, 3, 1) if quick else (10_000, 1_000, 200, 5)))
    return {f"push_tick_after_write_{store}_10k_vs_1k_pending": row for store, row in rows.items()}


def push_due(quick: bool) -> Dict[str, Row]:
    """10 pushes falling due and flushed, 10k pending pushes vs 1k, per store (goal about 1x)."""
    rows = bench_due_pushes(*((100, 20, 1, 3, 1) if quick else (10_000, 1_000, 10, 10, 5)))
    return {f"push_due_{store}_10k_vs_1k_pending_pushes": row for store, row in rows.items()}


#: Each group of rows, with the names of the rows it gives (for ``--only``).
GROUPS: List[Tuple[Tuple[str, ...], Callable[[bool], Dict[str, Row]]]] = [
    (("sdk_track_vs_raw_flask_post", "zto_parse_vs_json_loads", "push_verify_vs_plain_decode"), in_process),
    (tuple(f"{slug}_track_http_vs_bare_post" for slug in ("zto", "yto", "sto", "jt")), over_http),
    (("track_many_50ms_c8_speedup_vs_ideal",), batch),
    (tuple(f"mock_track_c{clients}_vs_bare_flask" for clients in CONCURRENCY), mock_server),
    (tuple(f"mock_track_{store}_at_10k_vs_empty" for store in STORES), mock_growth),
    (("push_lateness_p99_vs_heap_scheduler",), push_timing),
    (tuple(f"push_tick_after_write_{store}_10k_vs_1k_pending" for store in TICK_STORES), push_tick),
    (tuple(f"push_due_{store}_10k_vs_1k_pending_pushes" for store in TICK_STORES), push_due),
]


def line(name: str, row: Row) -> str:
    """One report line (the format tests/benchmarks checks)."""
    return (
        f"{name}: {row.ratio:.2f}x (subject {row.subject * 1e6:.1f} µs vs baseline {row.baseline * 1e6:.1f} µs; "
        f"median of {row.repeats}, ratios {row.low:.2f}–{row.high:.2f})"
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="kscarriers benchmarks (ratios)")
    parser.add_argument("--quick", action="store_true", help="few iterations (a smoke run)")
    parser.add_argument("--only", default="", help="run only the rows whose name contains this")
    args = parser.parse_args(argv)
    for names, group in GROUPS:
        if not any(args.only in name for name in names):
            continue
        for name, row in group(args.quick).items():
            if args.only in name:
                print(line(name, row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
