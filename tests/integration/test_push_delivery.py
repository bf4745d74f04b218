"""Real pushes over loopback HTTP: the mock server sends, a receiver built on the SDK verifies, parses and acks.

Proves that the SDK and the mock agree on each carrier's push format, signature and
acknowledgement. The mock runs a manual clock; ``flush`` waits (bounded) for the deliveries.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Callable, Dict, Iterable, Iterator, List, Tuple

import pytest
from ksmock import WAYBILLS, sdk_config, test_account

from kscarriers import Client
from kscarriers.models import PushMessage
from mockserver.app import create_app, get_services
from mockserver.carriers import carrier_slugs
from mockserver.clock import ManualClock
from mockserver.serving import serve_in_thread
from mockserver.simulator import InterceptRequest
from mockserver.world import InterceptKind

CARRIERS = [
    slug for slug in carrier_slugs() if importlib.util.find_spec(f"kscarriers.carriers.{slug}") is not None
]


def _headers(environ: Dict[str, Any]) -> Dict[str, str]:
    found = {
        key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        found["Content-Type"] = environ["CONTENT_TYPE"]
    return found


def receiver(client: Client, carrier: str, received: List[Any]) -> Callable[..., Iterable[bytes]]:
    """A WSGI subscriber: ``client.parse_push`` then answer with the SDK's ack (400 if it refuses)."""

    def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            message = client.parse_push(carrier, _headers(environ), body)
        except Exception as exc:  # reported to the test through ``received``
            received.append(exc)
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [repr(exc).encode()]
        received.append(message)
        start_response(f"{message.ack.status} Ack", [("Content-Type", message.ack.content_type)])
        return [message.ack.body]

    return app


@pytest.fixture(params=CARRIERS)
def carrier(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def subscriber(carrier: str) -> Iterator[Tuple[str, List[Any]]]:
    received: List[Any] = []
    url, stop = serve_in_thread(receiver(Client(sdk_config()), carrier, received))
    try:
        yield f"{url}/push", received
    finally:
        stop()


def test_zto_is_covered() -> None:
    assert "zto" in CARRIERS


def test_trace_and_intercept_pushes_reach_an_sdk_receiver_and_are_acked(
    carrier: str, subscriber: Tuple[str, List[Any]]
) -> None:
    url, received = subscriber
    clock = ManualClock()
    app = create_app({"CLOCK": "manual", "RESULT_DELAY_SECONDS": 600, "PUSH_TIMEOUT_SECONDS": 5}, clock=clock)
    admin = app.test_client()
    account = test_account(carrier)
    key = {"carrier": carrier, "app_key": account["app_key"]}
    assert admin.post("/__admin/accounts", json={**account, "callback_url": url}).status_code == 201
    waybill = WAYBILLS[carrier]
    admin.post("/__admin/parcels", json={**key, "waybill": waybill, "stage": "picked_up"})
    admin.post("/__admin/subscriptions", json={**key, "waybill": waybill})

    clock.advance(6 * 3600)
    assert admin.post("/__admin/pushes/flush", json={"timeout": 10}).get_json()["done"] is True
    pushes = admin.get(f"/__admin/pushes?carrier={carrier}").get_json()["pushes"]
    assert pushes and {p["state"] for p in pushes} == {"delivered"}, pushes
    assert all(isinstance(item, PushMessage) for item in received), received
    events = [event for message in received for event in message.events]
    assert events and {event.waybill for event in events} == {waybill}

    hub = get_services(app)
    mock_account = hub.simulator.account(carrier, key["app_key"])
    assert mock_account is not None
    record = hub.simulator.create_intercept(
        mock_account, InterceptRequest(waybill=waybill, kind=InterceptKind.RETURN, request_id="it-1")
    ).record
    assert record is not None
    clock.advance(600)
    admin.post("/__admin/pushes/flush", json={"timeout": 10})
    intercepts = admin.get(f"/__admin/pushes?carrier={carrier}").get_json()["pushes"]
    (result,) = [p for p in intercepts if p["kind"] == "intercept"]
    assert result["state"] == "delivered", result
    assert isinstance(received[-1], PushMessage) and received[-1].events


def test_a_push_signed_with_another_secret_is_refused_and_retried(
    carrier: str, subscriber: Tuple[str, List[Any]]
) -> None:
    url, received = subscriber
    clock = ManualClock()
    app = create_app({"CLOCK": "manual", "PUSH_TIMEOUT_SECONDS": 5}, clock=clock)
    admin = app.test_client()
    account = {**test_account(carrier), "app_secret": "not-the-sdk-secret"}
    key = {"carrier": carrier, "app_key": account["app_key"]}
    admin.post("/__admin/accounts", json={**account, "callback_url": url})
    admin.post("/__admin/parcels", json={**key, "waybill": WAYBILLS[carrier], "stage": "picked_up"})
    admin.post("/__admin/subscriptions", json={**key, "waybill": WAYBILLS[carrier]})
    clock.advance(6 * 3600)
    admin.post("/__admin/pushes/flush", json={"timeout": 10})
    pushes = admin.get(f"/__admin/pushes?carrier={carrier}").get_json()["pushes"]
    assert pushes and all(p["state"] == "pending" for p in pushes)
    assert all(p["attempts"][0]["status"] == 400 and not p["attempts"][0]["acked"] for p in pushes)
    assert received and not any(isinstance(item, PushMessage) for item in received)
