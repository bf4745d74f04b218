"""One user story, four carriers: the SDK against the mock server, in-process.

Each carrier is implemented twice — in ``kscarriers`` and in ``mockserver`` — from the same
protocol notes; this suite is where the two must agree.
"""

from __future__ import annotations

from typing import Any

import pytest
from ksmock import WAYBILLS, make_parcel, sdk_config, test_account

from kscarriers import (
    AuthenticationError,
    Client,
    InterceptFailure,
    InterceptStatus,
    Operation,
    PushKind,
    SignatureError,
    TrackingStatus,
    UnsupportedOperationError,
    default_registry,
)
from kscarriers.testing import WSGITransport

#: Every carrier the SDK registers; each must also be a mock carrier with a sample waybill.
CARRIERS = default_registry.slugs()
RESULT_DELAY = 1800


@pytest.fixture(params=CARRIERS)
def carrier(request: Any) -> str:
    from mockserver.carriers import carrier_slugs

    if request.param not in carrier_slugs():
        pytest.fail(f"the mock server has no {request.param} carrier")
    if request.param not in WAYBILLS:
        pytest.fail(f"tests/support/ksmock.py WAYBILLS has no sample waybill for {request.param}")
    return request.param


def advance(admin: Any, seconds: int) -> None:
    assert admin.post("/__admin/clock/advance", json={"seconds": seconds}).status_code == 200


def test_track_gives_normalised_events_with_raw_codes(
    ks_client: Client, ks_accounts: Any, carrier: str
) -> None:
    waybill = make_parcel(ks_accounts, carrier, "in_transit")
    result = ks_client.track(waybill)  # carrier detected from the number
    assert result.carrier == carrier and result.waybill == waybill
    assert result.status is TrackingStatus.IN_TRANSIT
    assert result.events[0].status is TrackingStatus.PICKED_UP
    assert all(e.raw_code for e in result.events)
    assert all(e.time.utcoffset() is not None for e in result.events)
    assert [e.time for e in result.events] == sorted(e.time for e in result.events)


def test_signed_parcel_tracks_as_delivered(ks_client: Client, ks_accounts: Any, carrier: str) -> None:
    waybill = make_parcel(ks_accounts, carrier, "signed")
    result = ks_client.track(waybill, carrier)
    assert result.status is TrackingStatus.DELIVERED and result.is_signed


def test_subscribe_is_accepted(ks_client: Client, ks_accounts: Any, carrier: str) -> None:
    waybill = make_parcel(ks_accounts, carrier, "in_transit")
    assert ks_client.subscribe(waybill).subscribed


def test_intercept_before_dispatch_is_pending_then_succeeds(
    ks_client: Client, ks_accounts: Any, carrier: str
) -> None:
    waybill = make_parcel(ks_accounts, carrier, "in_transit")
    accepted = ks_client.intercept(waybill, reason="buyer asked for a refund")
    assert accepted.status is InterceptStatus.PENDING and not accepted.refund_auto_approvable
    advance(ks_accounts, RESULT_DELAY + 60)
    final = ks_client.intercept_status(waybill)
    assert final.status is InterceptStatus.SUCCEEDED and final.refund_auto_approvable
    later = ks_client.track(waybill)
    assert later.status in (TrackingStatus.RETURNING, TrackingStatus.RETURNED)


def test_returned_parcel_ends_as_returned_not_delivered(
    ks_client: Client, ks_accounts: Any, carrier: str
) -> None:
    waybill = make_parcel(ks_accounts, carrier, "in_transit")
    ks_client.intercept(waybill, reason="refund")
    advance(ks_accounts, 30 * 24 * 3600)
    assert ks_client.track(waybill).status is TrackingStatus.RETURNED


def test_intercept_after_signing_is_rejected_as_already_signed(
    ks_client: Client, ks_accounts: Any, carrier: str
) -> None:
    waybill = make_parcel(ks_accounts, carrier, "signed")
    result = ks_client.intercept(waybill, reason="refund")
    assert (result.status, result.failure) == (InterceptStatus.FAILED, InterceptFailure.ALREADY_SIGNED)
    assert result.raw_code and not result.refund_auto_approvable


def test_intercept_out_for_delivery_is_rejected(ks_client: Client, ks_accounts: Any, carrier: str) -> None:
    waybill = make_parcel(ks_accounts, carrier, "out_for_delivery")
    result = ks_client.intercept(waybill, reason="refund")
    assert result.failure is InterceptFailure.OUT_FOR_DELIVERY and result.raw_code


def test_second_intercept_is_a_duplicate(ks_client: Client, ks_accounts: Any, carrier: str) -> None:
    waybill = make_parcel(ks_accounts, carrier, "in_transit")
    assert ks_client.intercept(waybill, reason="refund").status is InterceptStatus.PENDING
    again = ks_client.intercept(waybill, reason="refund again")
    assert again.failure is InterceptFailure.DUPLICATE_REQUEST and again.raw_code


def test_intercept_of_unknown_waybill_is_not_found(ks_client: Client, mock_client: Any, carrier: str) -> None:
    account = dict(test_account(carrier), auto_parcels=False)
    assert mock_client.post("/__admin/accounts", json=account).status_code in (200, 201)
    result = ks_client.intercept(WAYBILLS[carrier], reason="refund")
    assert result.failure is InterceptFailure.WAYBILL_NOT_FOUND and result.raw_code


def test_cancel_or_not_supported(ks_client: Client, ks_accounts: Any, carrier: str) -> None:
    waybill = make_parcel(ks_accounts, carrier, "in_transit")
    ks_client.intercept(waybill, reason="refund")
    if not ks_client.supports(carrier, Operation.CANCEL_INTERCEPT):
        with pytest.raises(UnsupportedOperationError):
            ks_client.cancel_intercept(waybill)
        return
    assert ks_client.cancel_intercept(waybill).status is InterceptStatus.CANCELLED
    nothing = ks_client.cancel_intercept(waybill)
    assert nothing.failure is InterceptFailure.NO_INTERCEPT_TO_CANCEL


def test_wrong_secret_is_an_authentication_error(mock_app: Any, ks_accounts: Any, carrier: str) -> None:
    client = Client(
        sdk_config(secrets={carrier: "not-the-secret"}),
        transport=WSGITransport(mock_app),
        sleep=lambda s: None,
    )
    with pytest.raises(AuthenticationError) as info:
        client.track(WAYBILLS[carrier])
    assert info.value.carrier == carrier and not info.value.retryable


def _mock_push(mock_app: Any, carrier: str, waybill: str) -> Any:
    """A trace push for the parcel's first scan, built and signed by the mock's carrier module."""
    from mockserver.carriers import get_carrier

    services = mock_app.extensions["mockserver"]
    account = services.simulator.account(carrier, test_account(carrier)["app_key"])
    scans = services.simulator.trace(account, waybill)
    module = get_carrier(carrier).pushes
    (push, *_) = module.build_trace_pushes(account, [(waybill, scans[0])])
    return module, push


def test_valid_push_is_parsed_and_acknowledged(
    ks_client: Client, ks_accounts: Any, mock_app: Any, carrier: str
) -> None:
    waybill = make_parcel(ks_accounts, carrier, "in_transit")
    module, push = _mock_push(mock_app, carrier, waybill)
    message = ks_client.parse_push(carrier, push.headers, push.body)
    (event,) = message.events
    assert event.kind is PushKind.TRACKING and event.waybill == waybill
    assert event.tracking is not None and event.tracking.status is TrackingStatus.PICKED_UP
    assert event.dedupe_key == ks_client.parse_push(carrier, push.headers, push.body).events[0].dedupe_key
    assert module.is_push_ack(message.ack.status, message.ack.body)
    nack = ks_client.push_nack(carrier)
    assert not module.is_push_ack(nack.status, nack.body)


def test_tampered_push_is_rejected(ks_client: Client, ks_accounts: Any, mock_app: Any, carrier: str) -> None:
    waybill = make_parcel(ks_accounts, carrier, "in_transit")
    _, push = _mock_push(mock_app, carrier, waybill)
    tampered = push.body.replace(
        waybill.encode(), waybill[:-1].encode() + (b"8" if waybill[-1] != "8" else b"7")
    )
    assert tampered != push.body
    with pytest.raises(SignatureError) as info:
        ks_client.parse_push(carrier, push.headers, tampered)
    assert info.value.reason == "mismatch"


def test_check_intercept_tracks_the_parcel_and_predicts_the_refusal(
    ks_client: Client, ks_accounts: Any
) -> None:
    from datetime import datetime, timedelta, timezone

    from kscarriers.rules import Merchant, Order, OrderStatus, Parcel, Refund, RefundType

    waybill = make_parcel(ks_accounts, "zto", "out_for_delivery")
    paid = datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=8)))
    order = Order(
        order_id="o-1",
        status=OrderStatus.SHIPPED,
        amount_paid_fen=9900,
        paid_at=paid,
        shipped_at=paid + timedelta(hours=2),
        parcels=(Parcel(carrier="zto", waybill=waybill),),
    )
    report = ks_client.check_intercept(
        order=order,
        merchant=Merchant(intercept_agreement_signed=True, e_waybill_carriers=frozenset({"zto"})),
        refund=Refund(
            refund_id="r-1", type=RefundType.REFUND_ONLY, requested_after_shipment=True, amount_fen=9900
        ),
    )
    assert report.eligible
    assert report.carrier_prediction is not None
    assert report.carrier_prediction.likely_failure is InterceptFailure.OUT_FOR_DELIVERY
