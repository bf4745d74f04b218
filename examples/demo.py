"""End-to-end demo: start the mock carrier server, then track, intercept and receive a push.

Run ``python examples/demo.py``. Everything runs on this machine: the mock server listens on
a free loopback port, and a small push receiver (built with the SDK) listens on another.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional

import requests

from kscarriers import (
    CarrierConfig,
    Client,
    ClientConfig,
    Credentials,
    KsCarriersError,
    PushEvent,
    RetryPolicy,
)
from mockserver import create_app
from mockserver.clock import ManualClock
from mockserver.serving import serve_in_thread

WAYBILLS = {
    "zto": ("73100130019486", "73111435816656"),
    "yto": ("YT2600227881409", "YT9093718083088"),
    "sto": ("777031922725111", "772011975782987"),
    "jt": ("JT2099306666983", "JT2099306666990"),
}


def account(slug: str) -> Dict[str, str]:
    return {"carrier": slug, "app_key": f"{slug}-demo-shop", "app_secret": f"{slug}-demo-shop-secret"}


class PushReceiver:
    """A merchant's push endpoint: verifies each push with the SDK and answers the carrier's ack."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.events: List[PushEvent] = []
        self.seen: set = set()
        self.rejected = 0
        self._lock = threading.Lock()

    def __call__(self, environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        carrier = environ.get("PATH_INFO", "/").strip("/")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {k[5:].replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        try:
            message = self.client.parse_push(carrier, headers, body)
        except KsCarriersError:
            with self._lock:
                self.rejected += 1
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"rejected"]
        with self._lock:
            for event in message.events:
                if event.dedupe_key not in self.seen:  # carriers push the same event twice
                    self.seen.add(event.dedupe_key)
                    self.events.append(event)
        start_response(f"{message.ack.status} OK", [("Content-Type", message.ack.content_type)])
        return [message.ack.body]


def run(out: Callable[[str], None] = print, carriers: Optional[List[str]] = None) -> Dict[str, Any]:
    """Run the whole story; returns what happened (the tests check it)."""
    slugs = carriers or list(WAYBILLS)
    app = create_app({"CLOCK": "manual", "RESULT_DELAY_SECONDS": 1800}, clock=ManualClock())
    base, stop_mock = serve_in_thread(app)
    admin = requests.Session()
    summary: Dict[str, Any] = {"carriers": {}}
    try:
        config = ClientConfig(
            carriers={
                slug: CarrierConfig(
                    credentials=Credentials(
                        app_key=account(slug)["app_key"], app_secret=account(slug)["app_secret"]
                    ),
                    base_url=f"{base}/{slug}",
                )
                for slug in slugs
            },
            retry=RetryPolicy(max_attempts=3, initial=0.2),
        )
        client = Client(config)
        receiver = PushReceiver(client)
        receiver_url, stop_receiver = serve_in_thread(receiver)
        out(f"mock carrier server on {base}; push receiver on {receiver_url}\n")
        try:
            for slug in slugs:
                admin.post(f"{base}/__admin/accounts", json=account(slug), timeout=5).raise_for_status()
                admin.post(
                    f"{base}/__admin/subscriptions/callback",
                    json={
                        "carrier": slug,
                        "app_key": account(slug)["app_key"],
                        "url": f"{receiver_url}/{slug}",
                    },
                    timeout=5,
                ).raise_for_status()
                summary["carriers"][slug] = story(client, admin, base, slug, out)
            admin.post(
                f"{base}/__admin/clock/advance", json={"seconds": 3 * 3600}, timeout=5
            ).raise_for_status()
            admin.post(f"{base}/__admin/pushes/flush", json={}, timeout=30).raise_for_status()
            summary["pushes"] = len(receiver.events)
            summary["rejected_pushes"] = receiver.rejected
            out(f"\npushes received and verified: {len(receiver.events)} (rejected: {receiver.rejected})")
            for slug in slugs:
                mine = [e for e in receiver.events if e.carrier == slug]
                scans = [e.tracking.status.value for e in mine if e.tracking is not None]
                results = [e.intercept.status.value for e in mine if e.intercept is not None]
                summary["carriers"][slug]["pushed_scans"] = scans
                summary["carriers"][slug]["pushed_results"] = results
                pushed = ", ".join(scans) or "none"
                out(f"  [{slug}] scans: {pushed}; intercept results: {', '.join(results) or 'none'}")
        finally:
            stop_receiver()
            client.close()
    finally:
        stop_mock()
    return summary


def story(
    client: Client, admin: requests.Session, base: str, slug: str, out: Callable[[str], None]
) -> Dict[str, Any]:
    """Track, subscribe, intercept one parcel that can be stopped and one already signed."""
    moving, signed = WAYBILLS[slug]
    key = account(slug)["app_key"]
    for number, stage in ((moving, "in_transit"), (signed, "signed")):
        admin.post(
            f"{base}/__admin/parcels",
            json={"carrier": slug, "app_key": key, "waybill": number, "stage": stage},
            timeout=5,
        ).raise_for_status()
    tracked = client.track(moving)  # the carrier is detected from the number
    latest = tracked.latest
    assert latest is not None
    out(
        f"[{slug}] {moving}: {tracked.status.value} ({len(tracked.events)} scans, "
        f"latest {latest.raw_code!r} at {latest.location or latest.city})"
    )
    client.subscribe(moving)
    accepted = client.intercept(moving, reason="buyer asked for a refund before delivery")
    out(f"[{slug}] intercept {moving}: {accepted.status.value}")
    admin.post(f"{base}/__admin/clock/advance", json={"seconds": 1860}, timeout=5).raise_for_status()
    final = client.intercept_status(moving)
    out(
        f"[{slug}] 31 min later: {final.status.value}; refund auto-approvable: {final.refund_auto_approvable}"
    )
    refused = client.intercept(signed, reason="buyer asked for a refund")
    reason = refused.failure.value if refused.failure else ""
    out(f"[{slug}] intercept {signed}: {refused.status.value}, {reason} (carrier code {refused.raw_code})")
    return {
        "tracked": tracked.status.value,
        "accepted": accepted.status.value,
        "final": final.status.value,
        "refused": refused.failure.value if refused.failure else None,
        "refused_code": refused.raw_code,
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--carrier", action="append", choices=sorted(WAYBILLS), help="limit to these carriers"
    )
    args = parser.parse_args(argv)
    try:
        run(carriers=args.carrier)
    except (KsCarriersError, requests.RequestException) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
