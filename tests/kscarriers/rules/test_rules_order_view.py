"""The customer-service order view: statuses side by side, overdue flag, one line per parcel."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from rules_builders import PAID, WAYBILL, delivered, in_transit, order

from kscarriers.errors import ValidationError
from kscarriers.models import TrackingStatus, TrackingSubStatus
from kscarriers.rules import AfterSalesStatus, OrderStatus, Parcel, build_order_view

PROMISED = PAID + timedelta(hours=48)


def unshipped(**overrides: object) -> object:
    return order(status=OrderStatus.AWAITING_SHIPMENT, shipped_at=None, parcels=[], **overrides)


def test_shipped_order_shows_shipping_time_and_no_promise() -> None:
    view = build_order_view(order(), [in_transit()], now=PAID + timedelta(days=9))
    assert view.status is OrderStatus.SHIPPED
    assert view.after_sales_status is AfterSalesStatus.NONE
    assert view.paid_at == PAID
    assert view.shipped_at == PAID + timedelta(hours=6)
    assert view.promised_ship_by is None
    assert view.overdue is False


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (PROMISED - timedelta(seconds=1), False),
        (PROMISED, False),
        (PROMISED + timedelta(seconds=1), True),
    ],
)
def test_overdue_once_the_promised_time_has_passed(now: datetime, overdue: bool) -> None:
    view = build_order_view(unshipped(), now=now)  # type: ignore[arg-type]
    assert view.shipped_at is None
    assert view.promised_ship_by == PROMISED
    assert view.overdue is overdue


def test_after_sales_status_is_shown_beside_the_order_status() -> None:
    view = build_order_view(
        unshipped(after_sales_status=AfterSalesStatus.REQUESTED),  # type: ignore[arg-type]
        now=PROMISED + timedelta(days=1),
    )
    assert (view.status.label_zh, view.after_sales_status.label_zh) == ("待发货", "售后申请中")
    assert view.overdue


@pytest.mark.parametrize("status", [OrderStatus.AWAITING_PAYMENT, OrderStatus.CLOSED])
def test_orders_not_awaiting_shipment_are_never_overdue(status: OrderStatus) -> None:
    view = build_order_view(
        order(status=status, shipped_at=None, parcels=[]), now=PROMISED + timedelta(days=30)
    )
    assert not view.overdue
    assert view.promised_ship_by is None


def test_one_summary_per_parcel_in_order() -> None:
    parcels = [
        Parcel(carrier="zto", waybill=WAYBILL),
        Parcel(carrier="yto", waybill="YT1"),
        Parcel(carrier="jt", waybill="JT1"),
    ]
    signed = delivered()
    moving = in_transit("YT1")
    view = build_order_view(order(parcels=parcels), [moving, signed], now=PAID + timedelta(days=3))
    assert [(p.carrier, p.waybill) for p in view.parcels] == [("zto", WAYBILL), ("yto", "YT1"), ("jt", "JT1")]
    first, second, third = view.parcels
    assert (first.status, first.signed, first.latest_event) == (TrackingStatus.DELIVERED, True, signed.latest)
    assert first.sub_status is TrackingSubStatus.SIGNED_BY_RECIPIENT
    assert (second.status, second.signed) == (TrackingStatus.IN_TRANSIT, False)
    assert (third.status, third.sub_status, third.latest_event) == (
        TrackingStatus.UNKNOWN,
        TrackingSubStatus.NO_INFORMATION,
        None,
    )


def test_tracking_of_a_foreign_waybill_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not a parcel of the order"):
        build_order_view(order(), [in_transit("NOPE1")], now=PAID)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValidationError, match="now: must be timezone-aware"):
        build_order_view(order(), now=datetime(2023, 3, 9))
