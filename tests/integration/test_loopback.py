"""The SDK over real HTTP on loopback: requests + waitress, no in-process shortcuts."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests
from ksmock import WAYBILLS, sdk_config, test_account

from kscarriers import Client, ConnectError, InterceptStatus, RetryPolicy, TrackingStatus


@pytest.fixture
def live_client(mockserver_live: Any) -> Client:
    for slug in WAYBILLS:
        answer = requests.post(f"{mockserver_live.url}/__admin/accounts", json=test_account(slug), timeout=5)
        if answer.status_code == 400:  # carrier not served by this mock build
            continue
        assert answer.status_code in (200, 201), answer.text
    with Client(sdk_config(mockserver_live.url), sleep=lambda s: None) as client:
        yield client


def test_track_and_intercept_over_http(live_client: Client, mockserver_live: Any) -> None:
    waybill = WAYBILLS["zto"]
    answer = requests.post(
        f"{mockserver_live.url}/__admin/parcels",
        json={
            "carrier": "zto",
            "app_key": test_account("zto")["app_key"],
            "waybill": waybill,
            "stage": "in_transit",
        },
        timeout=5,
    )
    assert answer.status_code == 201
    assert live_client.track(waybill).status is TrackingStatus.IN_TRANSIT
    assert (
        live_client.intercept(waybill, reason="refund", idempotency_key="loop-1").status
        is InterceptStatus.PENDING
    )
    # The same request id again gets the first answer, not a duplicate refusal.
    assert (
        live_client.intercept(waybill, reason="refund", idempotency_key="loop-1").status
        is InterceptStatus.PENDING
    )
    journal = requests.get(
        f"{mockserver_live.url}/__admin/requests", params={"waybill": waybill}, timeout=5
    ).json()
    assert journal["count"] == 3


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_is_a_retryable_connect_error_that_was_never_sent() -> None:
    waits: list = []
    config = sdk_config(f"http://127.0.0.1:{_closed_port()}")
    client = Client(
        config.__class__(carriers=config.carriers, retry=RetryPolicy(max_attempts=2, initial=0.01)),
        sleep=waits.append,
    )
    with pytest.raises(ConnectError) as info:
        client.track(WAYBILLS["zto"])
    assert info.value.retryable and info.value.maybe_sent is False and len(waits) == 1
