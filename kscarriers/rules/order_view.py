"""The customer-service view of an order (platform-rules §2, "order information 2.0").

:func:`build_order_view` turns an order's facts and its parcels' tracking into an
:class:`OrderView`; :meth:`OrderView.to_dict` gives it as JSON with stable field names for a
support UI. Times in the JSON are ISO 8601 in China time (UTC+8); money is int fen with the
yuan amount beside it as a decimal string.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from attrs import field, frozen

from kscarriers.errors import ValidationError
from kscarriers.models import CHINA_TZ, TrackingEvent, TrackingStatus, TrackingSubStatus, TrackResult
from kscarriers.rules import _checks
from kscarriers.rules.facts import AfterSalesStatus, Order, OrderNote, OrderStatus
from kscarriers.rules.money import AmountView
from kscarriers.rules.receiver import PhoneReveal, PhoneShownAs, mask_phone
from kscarriers.rules.tags import PaymentMethod, RightsTags

__all__ = ["OrderView", "ParcelSummary", "ReceiverView", "build_order_view", "note_to_dict"]


def _iso(value: Optional[datetime]) -> Optional[str]:
    return None if value is None else value.astimezone(CHINA_TZ).isoformat()


def note_to_dict(note: OrderNote) -> Dict[str, Any]:
    """JSON-ready: text, agent, changed_at (China time), flag (``{name, label_zh}`` or None)."""
    return {
        "text": note.text,
        "agent": note.agent,
        "changed_at": _iso(note.changed_at),
        "flag": None if note.flag is None else {"name": note.flag.value, "label_zh": note.flag.label_zh},
    }


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

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: carrier, waybill, status, sub_status, signed, latest_event."""
        event = self.latest_event
        return {
            "carrier": self.carrier,
            "waybill": self.waybill,
            "status": self.status.value,
            "sub_status": self.sub_status.value,
            "signed": self.signed,
            "latest_event": None
            if event is None
            else {
                "time": _iso(event.time),
                "status": event.status.value,
                "sub_status": event.sub_status.value,
                "description": event.description,
                "location": event.location,
            },
        }


@frozen(kw_only=True)
class ReceiverView:
    """The receiver as shown: the phone masked, a virtual number, or plain text on request.

    ``phone`` holds what is shown (never the plain number unless ``phone_shown_as`` is
    ``PLAIN``); ``phone_reveal`` is the permission it was shown under.
    """

    name: str = ""
    phone: str = field(default="", repr=False)
    phone_shown_as: Optional[PhoneShownAs] = None
    phone_reveal: Optional[PhoneReveal] = None
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = field(default="", repr=False)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: name, phone, phone_shown_as, phone_reveal, province, city, district, detail."""
        reveal = self.phone_reveal
        return {
            "name": self.name,
            "phone": self.phone,
            "phone_shown_as": None if self.phone_shown_as is None else self.phone_shown_as.value,
            "phone_reveal": None if reveal is None else {"agent": reveal.agent, "reason": reveal.reason},
            "province": self.province,
            "city": self.city,
            "district": self.district,
            "detail": self.detail,
        }


def _labelled(value: Any) -> Dict[str, str]:
    return {"name": value.value, "label_zh": value.label_zh}


@frozen(kw_only=True)
class OrderView:
    """What a support agent sees about an order.

    Attributes:
        order_id: The order id, as a str to copy with one click.
        status: The order status.
        after_sales_status: The refund status, shown beside ``status``.
        latest_note: The latest note (shown by default), or None.
        note_history: Every note, latest first (ties: the later given first).
        tags: The order tags.
        paid_at: When payment succeeded, if it did.
        payment_method: How the buyer paid, if known.
        rights_tags: The rights tags the order qualifies for.
        amount_paid: What the buyer actually paid (实付) and its breakdown.
        settlement: What the shop actually receives (实收) and its breakdown, if known.
        receiver: The receiver with the phone masked (or virtual, or plain on request).
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
    latest_note: Optional[OrderNote] = None
    note_history: Tuple[OrderNote, ...] = field(factory=tuple)
    tags: Tuple[str, ...] = field(factory=tuple)
    payment_method: Optional[PaymentMethod] = None
    rights_tags: RightsTags = field(factory=RightsTags)
    amount_paid: AmountView = field(factory=lambda: AmountView(total_fen=0))
    settlement: Optional[AmountView] = None
    receiver: Optional[ReceiverView] = None

    def to_dict(self, *, rule_links: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
        """The view as JSON-ready data with stable field names (see docs/rules.md).

        Args:
            rule_links: URL of the platform's rule page per rights tag (English name, or the
                label of an unknown tag), shown as each tag's ``rule_url``.
        """
        return {
            "order_id": self.order_id,
            "status": _labelled(self.status),
            "after_sales_status": _labelled(self.after_sales_status),
            "latest_note": None if self.latest_note is None else note_to_dict(self.latest_note),
            "note_history": [note_to_dict(note) for note in self.note_history],
            "tags": list(self.tags),
            "paid_at": _iso(self.paid_at),
            "payment_method": None if self.payment_method is None else self.payment_method.to_dict(),
            "rights_tags": self.rights_tags.to_list(rule_links),
            "amount_paid": self.amount_paid.to_dict(),
            "settlement": None if self.settlement is None else self.settlement.to_dict(),
            "receiver": None if self.receiver is None else self.receiver.to_dict(),
            "shipped_at": _iso(self.shipped_at),
            "promised_ship_by": _iso(self.promised_ship_by),
            "overdue": self.overdue,
            "parcels": [parcel.to_dict() for parcel in self.parcels],
        }


def build_order_view(
    order: Order,
    tracking: Iterable[TrackResult] = (),
    *,
    now: datetime,
    reveal_phone: Optional[PhoneReveal] = None,
) -> OrderView:
    """Build the customer-service view of an order.

    An order is overdue when it awaits shipment and ``now`` is strictly after the promised
    shipping time: at the promised instant itself it is not yet overdue. The clock is never read;
    ``now`` is the caller's.

    The receiver's phone is masked unless it is a virtual number (shown as is) or
    ``reveal_phone`` grants the plain number.

    Args:
        order: The order.
        tracking: Tracking results for (some of) the order's parcels, matched by waybill.
        now: The current time, timezone-aware.
        reveal_phone: Permission to show the receiver's phone in plain text, saying who asks
            and why; without it the phone is masked.

    Returns:
        The OrderView.

    Raises:
        ValidationError: if ``now`` is naive, a tracking result is not for one of the order's
            parcels, or ``reveal_phone`` is not a PhoneReveal (``True`` says no reason).
    """
    now = _checks.aware("now", now)
    if reveal_phone is not None and not isinstance(reveal_phone, PhoneReveal):
        raise ValidationError(
            field="reveal_phone",
            reason="must be a PhoneReveal(agent=..., reason=...) saying who asks and why",
        )
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
    history = _latest_first(order.notes)
    settlement = None
    if order.settlement_fen is not None:
        settlement = AmountView(total_fen=order.settlement_fen, lines=order.settlement_breakdown)
    return OrderView(
        order_id=order.order_id,
        status=order.status,
        after_sales_status=order.after_sales_status,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at if order.is_shipped else None,
        promised_ship_by=promised,
        overdue=promised is not None and now > promised,
        parcels=tuple(summaries),
        latest_note=history[0] if history else None,
        note_history=history,
        tags=order.tags,
        payment_method=order.payment_method,
        rights_tags=order.rights_tags,
        amount_paid=AmountView(total_fen=order.amount_paid_fen, lines=order.paid_breakdown),
        settlement=settlement,
        receiver=_receiver_view(order, reveal_phone),
    )


def _latest_first(notes: Tuple[OrderNote, ...]) -> Tuple[OrderNote, ...]:
    ranked = sorted(enumerate(notes), key=lambda pair: (pair[1].changed_at, pair[0]), reverse=True)
    return tuple(note for _, note in ranked)


def _receiver_view(order: Order, reveal: Optional[PhoneReveal]) -> Optional[ReceiverView]:
    receiver, place = order.receiver, order.buyer_address
    if receiver is None and place is None:
        return None
    name = phone = ""
    shown_as: Optional[PhoneShownAs] = None
    used: Optional[PhoneReveal] = None
    if receiver is not None:
        name = receiver.name
        if receiver.phone_is_virtual:
            phone, shown_as = receiver.phone, PhoneShownAs.VIRTUAL
        elif reveal is not None:
            phone, shown_as, used = receiver.phone, PhoneShownAs.PLAIN, reveal
        else:
            phone, shown_as = mask_phone(receiver.phone), PhoneShownAs.MASKED
    return ReceiverView(
        name=name,
        phone=phone,
        phone_shown_as=shown_as,
        phone_reveal=used,
        province="" if place is None else place.province,
        city="" if place is None else place.city,
        district="" if place is None else place.district,
        detail="" if place is None else place.detail,
    )
