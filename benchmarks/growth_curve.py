"""How a mock server's per-request cost and memory grow with the requests and parcels it has seen.

``python -m benchmarks.growth_curve [--quick] [--runs N] [--only TEXT]`` (also run by ``tox -e bench``).

Each measurement is a fresh mock server (``CLOCK=manual``, no demo accounts) in a child process of
its own (``multiprocessing`` *spawn*: a new interpreter, none of this process's memory), one per
store kind: ``memory`` and ``sqlite:<file in a temporary directory>``. The child drives its own app
through WSGI (no sockets, no client threads) with requests signed beforehand by the SDK in this
process, so its CPU and RSS are the server's plus a loop and the ready-made requests (constant).

- **requests**: signed ZTO track requests, spread over :data:`ACCOUNTS` accounts (so the
  journal's overall bound, ``JOURNAL_LIMIT`` 10,000, is the one that fills, not the per-account
  ``JOURNAL_ACCOUNT_LIMIT`` 2,000), up to 100,000. The ``mix`` workload sends, of every ten
  requests, eight tracks, one return intercept of another parcel, in transit, and one
  intercept-status query of it (the same request id each time: the mock answers the same
  intercept again, so the intercepts held stay one per account).
- **parcels**: 1,000 then up to 10,000 parcels of one account registered through
  ``POST /__admin/parcels``; at each point, a window of tracks of some of them.

At each point the child reports the median CPU (``time.process_time``) of the
:data:`WINDOW` requests just before it, and its ``VmRSS`` (``/proc/self/status``) at that point,
read without forcing a garbage collection. Ratios are against the same run's first point (1k).
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

__all__ = ["ACCOUNTS", "WINDOW", "Curve", "Point", "Task", "in_child", "main", "measure"]

#: Accounts the request workloads spread over (8 × 2,000 per account > the 10,000 overall bound).
ACCOUNTS = 8
#: Requests timed at each point (the ones just before it); their median is the point's cost.
WINDOW = 500
#: Where the request workloads report.
REQUEST_POINTS = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
#: Where the parcel workload reports.
PARCEL_POINTS = (1_000, 2_000, 5_000, 10_000)
#: Parcels of the parcel workload that are tracked at each point (in turns).
TRACKED_PARCELS = 50
STORES = ("memory", "sqlite")
WORKLOADS = ("requests", "mix", "parcels")
TRACKED = "73100130019486"
#: The mix workload's intercepted parcel (in transit, so the intercept is accepted, and then repeated).
INTERCEPTED = "73100130019493"

#: One request as the child sends it: path, body, headers.
Signed = Tuple[str, bytes, Dict[str, str]]


class Point(NamedTuple):
    """One point of one run: after ``at`` requests (or with ``at`` parcels)."""

    at: int
    cpu: float  # seconds, median over the window
    rss_kb: int
    journal: int  # entries kept
    dropped: int  # entries the bounds dropped so far


class Task(NamedTuple):
    """One run to make: a fresh server of ``store`` driven by ``workload`` up to each of ``points``."""

    store: str
    workload: str
    signed: List[Signed]
    points: Sequence[int]
    window: int
    #: Settings for :func:`mockserver.create_app` on top of the benchmark's own (say, a journal bound).
    settings: Optional[Dict[str, Any]] = None


class Curve(NamedTuple):
    """The points of one workload on one store, one list of points per run."""

    store: str
    workload: str
    runs: List[List[Point]]


def _credentials(n: int) -> Tuple[str, str]:
    return f"growth-{n}", f"growth-{n}-secret"


def _sign(workload: str) -> List[Signed]:
    """The requests of a workload, signed by the SDK (in this process, never in the server's)."""
    from kscarriers import CarrierConfig, Client, ClientConfig, Credentials
    from kscarriers.models import InterceptKind, InterceptRequest

    def client(n: int) -> Client:
        key, secret = _credentials(n)
        config = ClientConfig(
            carriers={
                "zto": CarrierConfig(
                    credentials=Credentials(app_key=key, app_secret=secret), base_url="http://m/zto"
                )
            }
        )
        return Client(config)

    def as_signed(request: Any) -> Signed:
        return "/zto/" + request.url.rsplit("/", 1)[1], request.body, dict(request.headers)

    signed: List[Signed] = []
    if workload == "parcels":
        with client(0) as c:
            adapter = c.adapter("zto")
            return [as_signed(adapter.build_track(_parcel_waybill(n))) for n in range(TRACKED_PARCELS)]
    for n in range(ACCOUNTS):
        with client(n) as c:
            adapter = c.adapter("zto")
            track = as_signed(adapter.build_track(TRACKED))
            if workload == "requests":
                signed.append(track)
                continue
            status = as_signed(adapter.build_intercept_status(INTERCEPTED))
            intercept = as_signed(
                adapter.build_intercept(
                    InterceptRequest(
                        waybill=INTERCEPTED,
                        kind=InterceptKind.RETURN_TO_SENDER,
                        reason="growth",
                        request_id=f"growth-{n}",
                    )
                )
            )
            signed.extend([track] * 8 + [intercept, status])
    return signed


def _parcel_waybill(n: int) -> str:
    return f"7311{n:010d}"


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for text in status:
            if text.startswith("VmRSS:"):
                return int(text.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(task: Task) -> List[Point]:
    """One run in this process: a fresh server, driven through WSGI up to each point."""
    from werkzeug.test import EnvironBuilder

    from mockserver import create_app
    from mockserver.app import close_app
    from mockserver.clock import ManualClock

    store, workload, signed, points, window, settings = task
    with tempfile.TemporaryDirectory(prefix="growth-curve-") as folder:
        spec = f"sqlite:{Path(folder) / 'growth.db'}" if store == "sqlite" else "memory"
        app = create_app(
            {"CLOCK": "manual", "DEMO_ACCOUNTS": False, "STORE": spec, **(settings or {})},
            clock=ManualClock(),
        )
        try:
            admin = app.test_client()
            journal = app.extensions["mockserver"].journal
            for n in range(1 if workload == "parcels" else ACCOUNTS):
                key, secret = _credentials(n)
                admin.post("/__admin/accounts", json={"carrier": "zto", "app_key": key, "app_secret": secret})
                if workload != "parcels":
                    _created(admin.post("/__admin/parcels", json=_parcel(key, TRACKED)))
                if workload == "mix":
                    _created(admin.post("/__admin/parcels", json=_parcel(key, INTERCEPTED, "in_transit")))
            environs = [
                (EnvironBuilder(path=path, method="POST", data=body, headers=headers).get_environ(), body)
                for path, body, headers in signed
            ]
            statuses: List[str] = []

            def start(status: str, headers: Any, exc_info: Any = None) -> None:
                statuses.append(status)

            def call(i: int) -> None:
                environ, body = environs[i % len(environs)]
                answer = b"".join(app({**environ, "wsgi.input": io.BytesIO(body)}, start))
                if not statuses.pop().startswith("200") or b'"status":true' not in answer:
                    raise RuntimeError(f"growth request failed: {answer[:200]!r}")

            def timed(count: int) -> float:
                cpu: List[float] = []
                clock = time.process_time
                for i in range(count):
                    started = clock()
                    call(i)
                    cpu.append(clock() - started)
                return statistics.median(cpu)

            found: List[Point] = []
            done = 0
            for at in points:
                if workload == "parcels":
                    owner = _credentials(0)[0]
                    for n in range(done, at):
                        _created(admin.post("/__admin/parcels", json=_parcel(owner, _parcel_waybill(n))))
                    done = at
                    rss = _rss_kb()  # before the window: the parcels, not the window's journal entries
                    cpu = timed(window)
                    found.append(Point(at, cpu, rss, len(journal), journal.dropped()))
                    journal.clear()
                    continue
                for i in range(done, at - window):
                    call(i)
                cpu = timed(at - max(done, at - window))
                done = at
                found.append(Point(at, cpu, _rss_kb(), len(journal), journal.dropped()))
            return found
        finally:
            close_app(app)


def _parcel(key: str, waybill: str, stage: str = "signed") -> Dict[str, str]:
    return {"carrier": "zto", "app_key": key, "waybill": waybill, "stage": stage}


def _created(answer: Any) -> None:
    if answer.status_code != 201:
        raise RuntimeError(f"cannot create a growth parcel: {answer.get_json()}")


def _child(task: Task, out: Any) -> None:
    try:
        out.send(("ok", measure(task)))
    except BaseException as error:  # reported to the parent, which raises
        out.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        out.close()


def in_child(task: Task) -> List[Point]:
    """:func:`measure` in a fresh interpreter (a *spawned* child process), so its RSS is the server's."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(task, theirs))
    process.start()
    theirs.close()
    try:
        kind, found = mine.recv()
    except EOFError:
        kind, found = "error", "the child process died without an answer"
    process.join()
    if kind != "ok":
        raise RuntimeError(f"growth run {task.store}/{task.workload} failed: {found}")
    return [Point(*p) for p in found]


def curves(workloads: Sequence[str], runs: int, quick: bool) -> List[Curve]:
    """Every (store, workload) curve; runs take turns store by store so load drifts hit both alike.

    A quick run (a smoke run: its figures mean nothing) measures small points in this process.
    """
    found: Dict[Tuple[str, str], Curve] = {}
    for workload in workloads:
        signed = _sign(workload)
        if workload == "parcels":
            points: Sequence[int] = (20, 40, 80) if quick else PARCEL_POINTS
        else:
            points = (40, 80, 160) if quick else REQUEST_POINTS
        window = 10 if quick else WINDOW
        for _ in range(runs):
            for store in STORES:
                run = (measure if quick else in_child)(Task(store, workload, signed, points, window))
                found.setdefault((store, workload), Curve(store, workload, [])).runs.append(run)
    return list(found.values())


def report(curve: Curve) -> List[str]:
    """The table of one curve: per point the median over runs, and the ratios' spread."""
    runs = curve.runs
    lines = [
        (
            f"{curve.workload} on the {curve.store} store (median of {len(runs)} run(s); ratios vs the same "
            "run's first point, low–high over the runs)"
        ),
        f"  {'at':>7}  {'CPU µs':>8}  {'CPU ratio':>17}  {'RSS MB':>7}  {'RSS ratio':>17}  {'journal':>7}  {'dropped':>7}",
    ]
    for index, at in enumerate(p.at for p in runs[0]):
        here = [run[index] for run in runs]
        cpu_ratios = [run[index].cpu / run[0].cpu for run in runs]
        rss_ratios = [run[index].rss_kb / run[0].rss_kb for run in runs]
        lines.append(
            f"  {at:>7,}  {statistics.median(p.cpu for p in here) * 1e6:>8.1f}  "
            f"{_ratio(cpu_ratios):>17}  {statistics.median(p.rss_kb for p in here) / 1024:>7.1f}  "
            f"{_ratio(rss_ratios):>17}  {here[0].journal:>7,}  {here[0].dropped:>7,}"
        )
    return lines


def _ratio(ratios: List[float]) -> str:
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}–{max(ratios):.2f})"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="mock server cost and RSS as requests and parcels grow")
    parser.add_argument("--quick", action="store_true", help="tiny points, in this process (a smoke run)")
    parser.add_argument("--runs", type=int, default=None, help="runs per store (default 3; 1 with --quick)")
    parser.add_argument("--only", default="", help="only the workloads whose growth_<workload> contains this")
    args = parser.parse_args(argv)
    runs = (1 if args.quick else 3) if args.runs is None else args.runs
    if runs < 1:
        parser.error("--runs must be at least 1")
    workloads = [w for w in WORKLOADS if args.only in f"growth_{w}"]
    for curve in curves(workloads, runs, args.quick):
        print("\n".join(report(curve)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
