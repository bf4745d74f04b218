"""Builders of rules facts and tracking data for the rules tests (eligible by default)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from kscarriers.models import CHINA_TZ, TrackingEvent, TrackingStatus, TrackingSubStatus, TrackResult
from kscarriers.rules import (
    SUPPORTED_CARRIERS,
    BuyerAddress,
    ItemCategory,
    Merchant,
    Order,
    OrderStatus,
    Parcel,
    Refund,
    RefundType,
)

PAID = datetime(2023, 3, 8, 12, 0, 0, tzinfo=CHINA_TZ)
SHIPPED = PAID + timedelta(hours=6)
WAYBILL = "ZT7300000001"


def at(hours: float) -> datetime:
    """A time ``hours`` after the payment."""
    return PAID + timedelta(hours=hours)


def order(**overrides: Any) -> Order:
    values: dict[str, Any] = dict(
        order_id="O-1",
        status=OrderStatus.SHIPPED,
        amount_paid_fen=12_900,
        paid_at=PAID,
        shipped_at=SHIPPED,
        promised_ship_by=PAID + timedelta(hours=48),
        item_categories=[ItemCategory.GENERAL],
        parcels=[Parcel(carrier="zto", waybill=WAYBILL)],
        buyer_address=BuyerAddress(province="广东省", city="广州市", district="天河区"),
    )
    values.update(overrides)
    return Order(**values)


def merchant(**overrides: Any) -> Merchant:
    values: dict[str, Any] = dict(intercept_agreement_signed=True, e_waybill_carriers=set(SUPPORTED_CARRIERS))
    values.update(overrides)
    return Merchant(**values)


def refund(**overrides: Any) -> Refund:
    values: dict[str, Any] = dict(
        refund_id="R-1",
        type=RefundType.REFUND_ONLY,
        requested_after_shipment=True,
        amount_fen=12_900,
    )
    values.update(overrides)
    return Refund(**values)


_DEFAULT_SUB = {
    TrackingStatus.INFO_RECEIVED: TrackingSubStatus.INFO_RECEIVED,
    TrackingStatus.PICKED_UP: TrackingSubStatus.PICKED_UP,
    TrackingStatus.IN_TRANSIT: TrackingSubStatus.ARRIVED_AT_FACILITY,
    TrackingStatus.OUT_FOR_DELIVERY: TrackingSubStatus.OUT_FOR_DELIVERY,
    TrackingStatus.DELIVERED: TrackingSubStatus.SIGNED_BY_RECIPIENT,
    TrackingStatus.FAILED_ATTEMPT: TrackingSubStatus.RECIPIENT_UNREACHABLE,
    TrackingStatus.RETURNING: TrackingSubStatus.RETURN_TO_SENDER,
    TrackingStatus.RETURNED: TrackingSubStatus.RETURNED_TO_SENDER,
    TrackingStatus.EXCEPTION: TrackingSubStatus.EXCEPTION_OTHER,
    TrackingStatus.UNKNOWN: TrackingSubStatus.UNRECOGNISED,
}


def event(time: datetime, status: TrackingStatus, **fields: Any) -> TrackingEvent:
    fields.setdefault("sub_status", _DEFAULT_SUB[status])
    fields.setdefault("raw_code", status.value)
    return TrackingEvent(time=time, status=status, **fields)


def track(events: Iterable[TrackingEvent], *, waybill: str = WAYBILL, carrier: str = "zto") -> TrackResult:
    return TrackResult(carrier=carrier, waybill=waybill, events=tuple(events))


def in_transit(waybill: str = WAYBILL) -> TrackResult:
    """A normal journey from Hangzhou towards Guangzhou, not yet out for delivery."""
    return track(
        [
            event(at(7), TrackingStatus.PICKED_UP, province="浙江省", city="杭州市"),
            event(at(20), TrackingStatus.IN_TRANSIT, province="广东省", city="广州市"),
        ],
        waybill=waybill,
    )


def out_for_delivery(waybill: str = WAYBILL) -> TrackResult:
    base = in_transit(waybill)
    last = event(at(30), TrackingStatus.OUT_FOR_DELIVERY, province="广东省", city="广州市")
    return track([*base.events, last], waybill=waybill)


def delivered(waybill: str = WAYBILL) -> TrackResult:
    base = out_for_delivery(waybill)
    last = event(at(33), TrackingStatus.DELIVERED, province="广东省", city="广州市")
    return track([*base.events, last], waybill=waybill)
