"""Push faults against the SDK's receiver side: the mock's faulty pushes are refused by
``parse_push`` with ``SignatureError``, a resent push verifies and repeats the dedupe keys.

The mock's sender hands each push straight to the SDK (no sockets); the SDK's answer (its ack,
or HTTP 400 when it refuses the push) goes back to the mock as the receiver's answer.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Callable, List, Mapping, Tuple

import pytest
from ksmock import WAYBILLS, sdk_config, test_account

from kscarriers import CarrierConfig, Client, Credentials
from kscarriers.carriers.jt import JtAdapter
from kscarriers.errors import SignatureError
from kscarriers.models import PushMessage
from mockserver.app import close_app, create_app, get_services
from mockserver.carriers import carrier_slugs
from mockserver.clock import ManualClock
from mockserver.simulator import InterceptRequest
from mockserver.world import InterceptKind

CARRIERS = [
    slug for slug in carrier_slugs() if importlib.util.find_spec(f"kscarriers.carriers.{slug}") is not None
]
URL = "http://receiver.test/push"

Parse = Callable[[Mapping[str, str], bytes], Any]


class Receiver:
    """A subscriber that verifies each push with the SDK and keeps what it made of it."""

    def __init__(self, parse: Parse) -> None:
        self.parse = parse
        self.received: List[Any] = []

    def __call__(
        self, url: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> Tuple[int, bytes]:
        try:
            message = self.parse(headers, body)
        except SignatureError as exc:
            self.received.append(exc)
            return 400, repr(exc).encode()
        self.received.append(message)
        if isinstance(message, PushMessage):
            return message.ack.status, message.ack.body
        return 200, b'{"code":"1","msg":"success","data":"SUCCESS"}'


class Mock:
    """A mock server on a manual clock whose pushes go to ``receiver``, for the SDK's test account."""

    def __init__(self, carrier: str, receiver: Receiver) -> None:
        self.carrier = carrier
        self.clock = ManualClock()
        self.app = create_app(
            {"CLOCK": "manual", "TESTING": True, "PUSH_SENDER": receiver, "PUSH_RETRY_LIMIT": 0},
            clock=self.clock,
        )
        self.admin = self.app.test_client()
        account = test_account(carrier)
        self.key = {"carrier": carrier, "app_key": account["app_key"]}
        assert self.admin.post("/__admin/accounts", json={**account, "callback_url": URL}).status_code == 201
        waybill = WAYBILLS[carrier]
        self.admin.post("/__admin/parcels", json={**self.key, "waybill": waybill, "stage": "picked_up"})
        self.admin.post("/__admin/subscriptions", json={**self.key, "waybill": waybill})
        parcel = self.admin.get(f"/__admin/parcels/{carrier}/{waybill}?app_key={account['app_key']}")
        self.scans = [s["time"] for s in parcel.get_json()["parcel"]["route"] if not s["visible"]]

    def stub(self, outcome: Mapping[str, Any]) -> None:
        stub = {
            "match": {"carrier": self.carrier, "operation": "push"},
            "outcome": {"type": "push", **outcome},
        }
        answer = self.admin.post("/__admin/scenarios", json=stub)
        assert answer.status_code == 201, answer.get_json()

    def push_first_scan(self) -> List[Any]:
        self.admin.post("/__admin/clock", json={"time": self.scans[0]})
        assert self.admin.post("/__admin/pushes/flush", json={"timeout": 10}).get_json()["done"] is True
        return self.admin.get(f"/__admin/pushes?carrier={self.carrier}").get_json()["pushes"]  # type: ignore[no-any-return]

    def now_ms(self) -> int:
        return int(
            get_services(self.app).pushes.now_of((self.carrier, self.key["app_key"])).timestamp() * 1000
        )

    def close(self) -> None:
        close_app(self.app)


def _sdk_receiver(carrier: str) -> Receiver:
    client = Client(sdk_config())
    return Receiver(lambda headers, body: client.parse_push(carrier, headers, body))


@pytest.fixture(params=CARRIERS)
def carrier(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.mark.parametrize("fault", ["bad_signature", "tampered_body"])
def test_the_sdk_refuses_a_wrongly_signed_push_with_a_signature_error(carrier: str, fault: str) -> None:
    receiver = _sdk_receiver(carrier)
    mock = Mock(carrier, receiver)
    try:
        mock.stub({"fault": fault})
        pushes = mock.push_first_scan()
    finally:
        mock.close()
    assert receiver.received and all(isinstance(item, SignatureError) for item in receiver.received)
    assert {item.reason for item in receiver.received} == {"mismatch"}
    assert {p["state"] for p in pushes} == {"failed"}
    assert all(p["attempts"][0]["status"] == 400 for p in pushes)


def test_the_sdk_refuses_a_stale_jt_push_when_push_tolerance_is_set() -> None:
    account = test_account("jt")
    config = CarrierConfig(
        credentials=Credentials(app_key=account["app_key"], app_secret=account["app_secret"]),
        base_url="http://mockserver.test/jt",
        push_tolerance=300,
    )
    holder: List[Mock] = []
    adapter = JtAdapter(config, now_ms=lambda: holder[0].now_ms())
    receiver = Receiver(adapter.parse_push)
    mock = Mock("jt", receiver)
    holder.append(mock)
    try:
        mock.push_first_scan()  # a fresh push is accepted by the same tolerant receiver
        fresh = list(receiver.received)
        mock.stub({"fault": "stale_timestamp"})
        mock.admin.post("/__admin/clock", json={"time": mock.scans[1]})
        mock.admin.post("/__admin/pushes/flush", json={"timeout": 10})
    finally:
        mock.close()
    assert len(fresh) == 1 and not isinstance(fresh[0], Exception)
    stale = receiver.received[1:]
    assert stale and all(isinstance(item, SignatureError) and item.reason == "stale" for item in stale)


def test_a_resent_push_verifies_and_repeats_the_dedupe_keys(carrier: str) -> None:
    receiver = _sdk_receiver(carrier)
    mock = Mock(carrier, receiver)
    try:
        (delivered, *_) = mock.push_first_scan()
        answer = mock.admin.post(f"/__admin/pushes/{delivered['id']}/resend")
        assert answer.status_code == 201, answer.get_json()
        mock.admin.post("/__admin/pushes/flush", json={"timeout": 10})
    finally:
        mock.close()
    first, again = receiver.received[0], receiver.received[-1]
    assert isinstance(first, PushMessage) and isinstance(again, PushMessage)
    assert [e.dedupe_key for e in again.events] == [e.dedupe_key for e in first.events]
    assert again.events


def test_only_the_intercept_result_is_tampered_when_the_stub_names_that_push_kind(carrier: str) -> None:
    receiver = _sdk_receiver(carrier)
    mock = Mock(carrier, receiver)
    try:
        stub = {
            "match": {"push_kind": "intercept_result"},
            "outcome": {"type": "push", "fault": "tampered_body"},
        }
        assert mock.admin.post("/__admin/scenarios", json=stub).status_code == 201
        hub = get_services(mock.app)
        account = hub.simulator.account(carrier, mock.key["app_key"])
        assert account is not None
        hub.simulator.create_intercept(
            account, InterceptRequest(waybill=WAYBILLS[carrier], kind=InterceptKind.RETURN, request_id="qa-1")
        )
        mock.clock.advance(6 * 3600)  # the intercept settles; scans fall due too
        mock.admin.post("/__admin/pushes/flush", json={"timeout": 10})
        pushes = mock.admin.get(f"/__admin/pushes?carrier={carrier}").get_json()["pushes"]
    finally:
        mock.close()
    states = {(p["kind"], p["state"]) for p in pushes}
    assert ("intercept", "failed") in states and ("trace", "delivered") in states
    assert ("trace", "failed") not in states
    refused = [item for item in receiver.received if isinstance(item, SignatureError)]
    assert len(refused) == 1 and refused[0].reason == "mismatch"
