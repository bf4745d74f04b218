"""The customer-service view of an order (platform-rules §2), fed by the parcels' tracking."""

from __future__ import annotations

from datetime import datetime
from typing import Dict, Iterable, List, Optional, Tuple

from attrs import field, frozen

from kscarriers.errors import ValidationError
from kscarriers.models import TrackingEvent, TrackingStatus, TrackingSubStatus, TrackResult
from kscarriers.rules import _checks
from kscarriers.rules.facts import AfterSalesStatus, Order, OrderStatus

__all__ = ["OrderView", "ParcelSummary", "build_order_view"]


@frozen(kw_only=True)
class ParcelSummary:
    """One parcel's logistics line: carrier, waybill, latest normalised status and event.

    A parcel without tracking data shows ``UNKNOWN`` / ``NO_INFORMATION`` and no event.
    """

    carrier: str
    waybill: str
    status: TrackingStatus = TrackingStatus.UNKNOWN
    sub_status: TrackingSubStatus = TrackingSubStatus.NO_INFORMATION
    latest_event: Optional[TrackingEvent] = None
    signed: bool = False


@frozen(kw_only=True)
class OrderView:
    """What a support agent sees about an order.

    Attributes:
        order_id: The order id.
        status: The order status.
        after_sales_status: The refund status, shown beside ``status``.
        paid_at: When payment succeeded, if it did.
        shipped_at: When the merchant shipped; None while unshipped (or if not recorded).
        promised_ship_by: The promised shipping time, shown only while unshipped.
        overdue: True ("已逾期") once the promised time has passed without shipment.
        parcels: One logistics summary per parcel, in the order's parcel order.
    """

    order_id: str
    status: OrderStatus
    after_sales_status: AfterSalesStatus
    paid_at: Optional[datetime] = None
    shipped_at: Optional[datetime] = None
    promised_ship_by: Optional[datetime] = None
    overdue: bool = False
    parcels: Tuple[ParcelSummary, ...] = field(factory=tuple)


def build_order_view(order: Order, tracking: Iterable[TrackResult] = (), *, now: datetime) -> OrderView:
    """Build the customer-service view of an order.

    An order is overdue when it awaits shipment and ``now`` is strictly after the promised
    shipping time: at the promised instant itself it is not yet overdue. The clock is never read;
    ``now`` is the caller's.

    Args:
        order: The order.
        tracking: Tracking results for (some of) the order's parcels, matched by waybill.
        now: The current time, timezone-aware.

    Returns:
        The OrderView.

    Raises:
        ValidationError: if ``now`` is naive, or a tracking result is not for one of the
            order's parcels.
    """
    now = _checks.aware("now", now)
    by_waybill: Dict[str, TrackResult] = {}
    waybills = {parcel.waybill for parcel in order.parcels}
    for result in tracking:
        if result.waybill not in waybills:
            raise ValidationError(
                field="tracking", reason=f"waybill {result.waybill} is not a parcel of the order"
            )
        by_waybill[result.waybill] = result
    summaries: List[ParcelSummary] = []
    for parcel in order.parcels:
        found = by_waybill.get(parcel.waybill)
        if found is None:
            summaries.append(ParcelSummary(carrier=parcel.carrier, waybill=parcel.waybill))
            continue
        summaries.append(
            ParcelSummary(
                carrier=parcel.carrier,
                waybill=parcel.waybill,
                status=found.status,
                sub_status=found.sub_status,
                latest_event=found.latest,
                signed=found.is_signed,
            )
        )
    awaiting = order.status is OrderStatus.AWAITING_SHIPMENT and not order.is_shipped
    promised = order.promised_ship_by if awaiting else None
    return OrderView(
        order_id=order.order_id,
        status=order.status,
        after_sales_status=order.after_sales_status,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at if order.is_shipped else None,
        promised_ship_by=promised,
        overdue=promised is not None and now > promised,
        parcels=tuple(summaries),
    )
