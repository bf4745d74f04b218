"""A carrier track request's server cost as the server's state grows, on both stores.

``mock_track_<store>_at_<N>_vs_empty`` (issue 12): the CPU seconds the mock spends on one signed
ZTO track request (called through WSGI in this process: no sockets, no client in the figure)
on a server holding N intercepts and N parcels of the calling account plus N other accounts,
against the same request on an empty server of the same store kind. 1.00x: state costs
nothing; the goal is at most 1.20x at N = 10,000. The two servers take turns, repeat by repeat.
"""

from __future__ import annotations

import io
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

from attrs import evolve
from werkzeug.test import EnvironBuilder

from benchmarks.sdk_http import WAYBILLS, Row, _config, interleaved
from kscarriers import Client
from mockserver import create_app
from mockserver.app import close_app
from mockserver.clock import ManualClock
from mockserver.world import Account, InterceptKind, InterceptRecord, InterceptStatus

__all__ = ["STORES", "bench_track_growth"]

#: The store kinds measured.
STORES = ("memory", "sqlite")
KEY, SECRET = "bench-zto", "bench-zto-secret"


def _server(store: str, folder: Path, name: str, size: int, opened: List[Any]) -> Callable[[], None]:
    """One signed track request against a server of ``store`` holding ``size`` of everything.

    The app is added to ``opened`` (to be closed by the caller)."""
    spec = f"sqlite:{folder / name}.db" if store == "sqlite" else "memory"
    clock = ManualClock()
    app = create_app({"CLOCK": "manual", "DEMO_ACCOUNTS": False, "STORE": spec}, clock=clock)
    opened.append(app)
    admin = app.test_client()
    admin.post("/__admin/accounts", json={"carrier": "zto", "app_key": KEY, "app_secret": SECRET})
    tracked = WAYBILLS["zto"]
    answer = admin.post(
        "/__admin/parcels", json={"carrier": "zto", "app_key": KEY, "waybill": tracked, "stage": "signed"}
    )
    if answer.status_code != 201:
        raise RuntimeError(f"cannot create the benchmark parcel: {answer.get_json()}")
    _fill(app.extensions["mockserver"], tracked, size)
    with Client(_config("http://m")) as client:
        signed = client.adapter("zto").build_track(tracked)
    environ = EnvironBuilder(
        path="/zto/" + signed.url.rsplit("/", 1)[1], method="POST", data=signed.body, headers=signed.headers
    ).get_environ()

    def call() -> None:
        request = {**environ, "wsgi.input": io.BytesIO(signed.body)}
        seen: List[str] = []
        body = b"".join(app(request, lambda status, headers, exc_info=None: seen.append(status)))
        if not seen[0].startswith("200") or b'"status":true' not in body:
            raise RuntimeError(f"benchmark track failed: {seen[0]} {body[:200]!r}")

    return call


def _fill(services: Any, tracked: str, size: int) -> None:
    """``size`` settled intercepts and parcels on other waybills of the account, ``size`` accounts."""
    store = services.store
    account = services.simulator.account("zto", KEY)
    parcel = services.simulator.parcel(account, tracked)
    now = services.clock.now()
    with store.atomic():  # one transaction on SQLite
        for n in range(size):
            waybill = f"7310{n:010d}"
            store.put_parcel(evolve(parcel, waybill=waybill))
            store.put_intercept(
                InterceptRecord(
                    id=f"bench-{n}",
                    carrier="zto",
                    app_key=KEY,
                    waybill=waybill,
                    kind=InterceptKind.RETURN,
                    request_id=f"bench-{n}",
                    external_ref=f"bench-{n}",
                    status=InterceptStatus.SUCCEEDED,
                    created_at=now,
                    resolve_at=now,
                    updated_at=now,
                )
            )
            store.put_account(Account(carrier="zto", app_key=f"other-{n}", app_secret="s", epoch=now))


def bench_track_growth(size: int, number: int, repeat: int) -> Dict[str, Row]:
    """Per store kind: CPU per track request at ``size`` of everything vs on an empty server."""
    rows: Dict[str, Row] = {}
    opened: List[Any] = []
    with tempfile.TemporaryDirectory(prefix="mock-growth-") as folder:
        try:
            for store in STORES:
                rows[store] = _store_row(store, Path(folder), size, number, repeat, opened)
        finally:
            for app in opened:
                close_app(app)
    return rows


def _store_row(store: str, folder: Path, size: int, number: int, repeat: int, opened: List[Any]) -> Row:
    full = _server(store, folder, "full", size, opened)
    empty = _server(store, folder, "empty", 0, opened)
    for _ in range(max(3, number // 10)):  # warm both
        full()
        empty()
    return interleaved(full, empty, number, repeat, clock=time.process_time)
