"""Load on a shared mock server: ``python -m benchmarks.load [--clients 100] [--seconds 60] [--store memory]``.

What a CI fleet does to one mock server, measured from outside it: the server runs in its own
process (``python -m mockserver``), ``--clients`` threads call its ZTO endpoints (track,
subscribe, intercept) as fast as they can on a fixed pool of waybills, pushes flow to a local
receiver, and an admin prober advances the clock every 2 s and asks for health every 0.25 s.

Reported: carrier calls per second, the admin calls' latency (p50, p99, max), whether anything
was lost (every push the server delivered reached the receiver, once per delivery; every
intercept it accepted is in its store), and the server's resident memory after warm-up and at
the end. Nothing is asserted here: ``--check`` exits 1 when the goals of issue 11 are missed
(admin max <= 1 s, nothing lost, memory growth <= 20 %).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import requests

from kscarriers import CarrierConfig, Credentials, InterceptKind, InterceptRequest
from kscarriers.carriers.zto import ZtoAdapter
from mockserver.serving import serve_in_thread

KEY, SECRET = "load-key", "load-secret"
ACK = json.dumps({"status": True, "message": "ok", "result": "success"}).encode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """A push receiver that acknowledges every push and counts the bodies it got."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies: List[bytes] = []

    def __call__(self, environ: Dict[str, Any], start_response: Any) -> List[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        with self.lock:
            self.bodies.append(body)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [ACK]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _start_server(port: int, store: str, threads: int, log: Any) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MOCKSERVER_DEMO_ACCOUNTS": "false", "MOCKSERVER_RESULT_DELAY_SECONDS": "600"}
    args = [sys.executable, "-m", "mockserver", "--port", str(port), "--clock", "manual", "--store", store]
    if threads:
        args += ["--threads", str(threads)]
    # Its log goes to a file: an undrained pipe would fill up and block the server's threads.
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/__admin/health", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("mock server did not start (see its log)")


def _waybills(count: int) -> List[str]:
    return [f"731{n:011d}" for n in range(count)]


def run(clients: int, seconds: float, store: str, threads: int, waybills: int) -> Dict[str, Any]:
    receiver = Receiver()
    receiver_url, stop_receiver = serve_in_thread(receiver, threads=8)
    port = _free_port()
    log = tempfile.TemporaryFile()
    server = _start_server(port, store, threads, log)
    base = f"http://127.0.0.1:{port}"
    admin = requests.Session()
    admin.post(
        f"{base}/__admin/accounts",
        json={"carrier": "zto", "app_key": KEY, "app_secret": SECRET, "callback_url": receiver_url + "/push"},
        timeout=10,
    ).raise_for_status()
    adapter = ZtoAdapter(
        CarrierConfig(credentials=Credentials(app_key=KEY, app_secret=SECRET), base_url=f"{base}/zto")
    )
    pool = _waybills(waybills)
    stop = threading.Event()
    calls = [0] * clients
    errors: List[str] = []

    def client(index: int) -> None:
        session = requests.Session()
        n = 0
        while not stop.is_set():
            waybill = pool[(index * 7919 + n) % len(pool)]
            step = n % 3
            if step == 0:
                request = adapter.build_track(waybill)
            elif step == 1:
                request = adapter.build_subscribe(waybill, callback_url=None)
            else:
                request = adapter.build_intercept(
                    InterceptRequest(
                        waybill=waybill,
                        kind=InterceptKind.RETURN_TO_SENDER,
                        reason="load",
                        request_id=f"c{index}-{n}",
                    )
                )
            try:
                answer = session.post(request.url, data=request.body, headers=request.headers, timeout=30)
                if answer.status_code != 200:
                    errors.append(f"{answer.status_code} {answer.text[:100]}")
            except requests.RequestException as exc:
                errors.append(type(exc).__name__)
            n += 1
            calls[index] = n

    admin_latency: List[float] = []
    advances: List[float] = []

    def prober() -> None:
        next_advance = time.monotonic() + 2
        while not stop.is_set():
            started = time.monotonic()
            if started >= next_advance:
                admin.post(f"{base}/__admin/clock/advance", json={"seconds": 300}, timeout=60)
                advances.append(time.monotonic() - started)
                next_advance = started + 2
            else:
                admin.get(f"{base}/__admin/health", timeout=60)
            admin_latency.append(time.monotonic() - started)
            stop.wait(0.25)

    workers = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    probe = threading.Thread(target=prober, daemon=True)
    for worker in workers:
        worker.start()
    # Warm-up until the journal is full (it keeps the newest JOURNAL_LIMIT entries), so that the
    # memory measured from here on shows growth, not the journal filling up to its bound.
    limit = int(os.environ.get("MOCKSERVER_JOURNAL_LIMIT", "10000"))
    warm_until = time.monotonic() + max(5.0, seconds / 2)
    while time.monotonic() < warm_until:
        if admin.get(f"{base}/__admin/requests/count", timeout=60).json()["count"] >= limit:
            break
        time.sleep(0.5)
    rss_start = _rss_kib(server.pid)
    probe.start()
    started = time.monotonic()
    time.sleep(seconds)
    stop.set()
    elapsed = time.monotonic() - started
    for thread in [*workers, probe]:
        thread.join(timeout=60)
    rss_end = _rss_kib(server.pid)
    flush_started = time.monotonic()
    try:
        flushed = admin.post(f"{base}/__admin/pushes/flush", json={"timeout": 30}, timeout=120).json()
    except requests.RequestException as exc:
        flushed = {"error": type(exc).__name__}
    flushed["seconds"] = round(time.monotonic() - flush_started, 1)
    server.terminate()
    server.wait(timeout=30)
    log.seek(0)
    queue_warnings = sum(1 for line in log if b"Task queue depth" in line)
    log.close()
    stop_receiver()
    delivered_count = flushed.get("counts", {}).get("delivered")
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "store": store,
        "carrier_calls_per_s": round(sum(calls) / elapsed),
        "carrier_errors": len(errors),
        "first_errors": errors[:3],
        "admin_calls": len(admin_latency),
        "admin_p50_ms": round(statistics.median(admin_latency) * 1000, 1) if admin_latency else None,
        "admin_p99_ms": round(_quantile(admin_latency, 0.99) * 1000, 1) if admin_latency else None,
        "admin_max_ms": round(max(admin_latency) * 1000, 1) if admin_latency else None,
        "clock_advances": len(advances),
        "clock_advance_max_ms": round(max(advances) * 1000, 1) if advances else None,
        "pushes_received": len(receiver.bodies),
        "pushes_delivered_by_server": delivered_count,
        "flush": flushed,
        "waitress_queue_warnings": queue_warnings,
        "rss_start_mib": round(rss_start / 1024, 1),
        "rss_end_mib": round(rss_end / 1024, 1),
    }


def _quantile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _missed(result: Dict[str, Any]) -> List[str]:
    missed = []
    if result["admin_max_ms"] is None or result["admin_max_ms"] > 1000:
        missed.append(f"an admin call took {result['admin_max_ms']} ms (goal <= 1000)")
    if (
        result["pushes_delivered_by_server"] is not None
        and result["pushes_received"] < result["pushes_delivered_by_server"]
    ):
        missed.append("pushes the server counts as delivered never reached the receiver")
    if result["carrier_errors"]:
        missed.append(f"{result['carrier_errors']} carrier calls failed")
    if result["rss_start_mib"] and result["rss_end_mib"] > result["rss_start_mib"] * 1.2:
        missed.append("memory grew by more than 20 %")
    return missed


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--store", default="memory", help="memory, sqlite (a temporary file) or sqlite:PATH")
    parser.add_argument("--threads", type=int, default=0, help="waitress threads (default: the server's)")
    parser.add_argument("--waybills", type=int, default=500, help="size of the waybill pool")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:{Path(tmp) / 'load.db'}" if args.store == "sqlite" else args.store
        result = run(args.clients, args.seconds, store, args.threads, args.waybills)
    result["store"] = args.store
    print(json.dumps(result, ensure_ascii=False, indent=2))
    missed = _missed(result)
    for line in missed:
        print("missed:", line, file=sys.stderr)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
