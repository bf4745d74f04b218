"""The pytest plugin's fixtures clean up after themselves: no push worker or server thread outlives them."""

from __future__ import annotations

import threading
from typing import Any

from mockserver import pytest_plugin
from mockserver.clock import ManualClock
from mockserver.services import get_services

OK = b'{"status":true,"message":"ok","statusCode":"SYS000"}'


def _push_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("mockserver-push")]


def _deliver_one_push(app: Any, clock: ManualClock) -> None:
    admin = app.test_client()
    account = {"carrier": "zto", "app_key": "zto-demo"}
    admin.post("/__admin/subscriptions/callback", json={**account, "url": "http://ci.test/push"})
    admin.post("/__admin/parcels", json={**account, "waybill": "73100130019486", "stage": "picked_up"})
    admin.post("/__admin/subscriptions", json={**account, "waybill": "73100130019486"})
    clock.advance(86400)
    assert get_services(app).pushes.flush(timeout=5)


def test_mock_app_stops_its_push_workers_at_teardown() -> None:
    before = set(_push_threads())
    clock = ManualClock()
    config = {"CLOCK": "manual", "PUSH_SENDER": lambda *args: (200, OK)}
    fixture = pytest_plugin.mock_app.__wrapped__(config, clock)
    app = next(fixture)
    _deliver_one_push(app, clock)
    started = [t for t in _push_threads() if t not in before]
    assert started
    next(fixture, None)  # teardown
    for thread in started:
        thread.join(timeout=2)  # the workers end on their own once the pool is shut down
    assert not any(t.is_alive() for t in started)
