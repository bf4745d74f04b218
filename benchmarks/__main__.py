"""Run the benchmarks: ``python -m benchmarks [--quick]`` (also ``tox -e bench``).

Each line is ``name: ratio x (subject … µs vs baseline … µs)``. Ratios, not absolute times,
are what to compare between runs: the machines are shared and noisy, and both sides of a
ratio are measured in the same run, interleaved, taking the best of several repeats.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl

from kscarriers import CarrierConfig, Client, ClientConfig, Credentials
from kscarriers.carriers.zto import ZtoAdapter
from kscarriers.testing import WSGITransport
from kscarriers.transport import HttpResponse
from mockserver import create_app
from mockserver.clock import ManualClock

KEY, SECRET = "bench-key", "bench-secret"
WAYBILL = "73100130019486"


def best(fn: Callable[[], object], number: int, repeat: int) -> float:
    """Best per-call time in seconds over ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


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


def bench_sdk_overhead(number: int, repeat: int) -> Tuple[float, float]:
    """client.track() in-process vs the same signed request posted with Flask's test client."""
    app, client = _mock()
    request = ZtoAdapter(client.config.carrier("zto")).build_track(WAYBILL)
    test_client = app.test_client()  # type: ignore[attr-defined]
    path = "/zto/" + request.url.rsplit("/", 1)[1]

    def baseline() -> object:
        return test_client.post(path, data=request.body, headers=dict(request.headers))

    def subject() -> object:
        return client.track(WAYBILL)

    return best(subject, number, repeat), best(baseline, number, repeat)


def bench_parse(number: int, repeat: int) -> Tuple[float, float]:
    """ZTO track answer normalisation vs plain json.loads of the same body."""
    app, client = _mock()
    adapter = ZtoAdapter(client.config.carrier("zto"))
    req = adapter.build_track(WAYBILL)
    raw = app.test_client().post(
        "/zto/" + req.url.rsplit("/", 1)[1], data=req.body, headers=dict(req.headers)
    )  # type: ignore[attr-defined]
    response = HttpResponse(status=200, headers={}, body=raw.data)

    return (
        best(lambda: adapter.parse_track(WAYBILL, response), number, repeat),
        best(lambda: json.loads(response.body), number, repeat),
    )


def bench_push_verify(number: int, repeat: int) -> Tuple[float, float]:
    """Verifying and normalising a push vs only decoding it (form + JSON, no checks)."""
    from mockserver.carriers import get_carrier

    app, client = _mock()
    services = app.extensions["mockserver"]  # type: ignore[attr-defined]
    account = services.simulator.account("zto", KEY)
    scan = services.simulator.trace(account, WAYBILL)[0]
    (push,) = get_carrier("zto").pushes.build_trace_pushes(account, [(WAYBILL, scan)])
    body = push.body

    return (
        best(lambda: client.parse_push("zto", push.headers, body), number, repeat),
        best(lambda: json.loads(dict(parse_qsl(body.decode()))["data"]), number, repeat),
    )


BENCHMARKS: Dict[str, Callable[[int, int], Tuple[float, float]]] = {
    "sdk_track_vs_raw_flask_post": bench_sdk_overhead,
    "zto_parse_vs_json_loads": bench_parse,
    "push_verify_vs_plain_decode": bench_push_verify,
}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="kscarriers benchmarks (ratios)")
    parser.add_argument("--quick", action="store_true", help="few iterations (a smoke run)")
    args = parser.parse_args(argv)
    number, repeat = (3, 1) if args.quick else (300, 5)
    for name, bench in BENCHMARKS.items():
        subject, baseline = bench(number, repeat)
        print(
            f"{name}: {subject / baseline:.2f}x ({subject * 1e6:.1f} µs vs baseline {baseline * 1e6:.1f} µs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
