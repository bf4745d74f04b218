"""Frozen input facts for the platform rules: orders, parcels, merchants and refunds."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Dict, FrozenSet, Iterable, Optional, Tuple

from attrs import field, frozen

from kscarriers.errors import ValidationError
from kscarriers.registry import normalise_waybill
from kscarriers.rules import _checks
from kscarriers.rules.money import AmountLine, check_breakdown
from kscarriers.rules.receiver import Receiver
from kscarriers.rules.tags import FlagColor, PaymentMethod, RightsTags, payment_method, rights_tags

__all__ = [
    "AfterSalesStatus",
    "BuyerAddress",
    "ItemCategory",
    "Merchant",
    "Order",
    "OrderNote",
    "OrderStatus",
    "Parcel",
    "Refund",
    "RefundType",
    "ShopStatus",
]


class OrderStatus(str, enum.Enum):
    """The order status a support agent sees (platform-rules §2).

    The platform's list has no word for "paid, not yet shipped"; ``AWAITING_SHIPMENT`` (待发货)
    is that state, the one in which a promised shipping time can become overdue.
    """

    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_SHIPMENT = "awaiting_shipment"
    SHIPPED = "shipped"
    RECEIVED = "received"
    TRADE_COMPLETE = "trade_complete"
    CLOSED = "closed"

    @property
    def label_zh(self) -> str:
        """The Chinese label shown in the platform's back office."""
        return _ORDER_LABELS[self]


_ORDER_LABELS = {
    OrderStatus.AWAITING_PAYMENT: "待付款",
    OrderStatus.AWAITING_SHIPMENT: "待发货",
    OrderStatus.SHIPPED: "已发货",
    OrderStatus.RECEIVED: "已收货",
    OrderStatus.TRADE_COMPLETE: "交易成功",
    OrderStatus.CLOSED: "交易关闭",
}


class AfterSalesStatus(str, enum.Enum):
    """The after-sales (refund) status shown beside the order status."""

    NONE = "none"
    REQUESTED = "requested"
    AWAITING_RETURN = "awaiting_return"
    REFUNDED = "refunded"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def label_zh(self) -> str:
        """The Chinese label shown in the platform's back office."""
        return _AFTER_SALES_LABELS[self]


_AFTER_SALES_LABELS = {
    AfterSalesStatus.NONE: "无售后",
    AfterSalesStatus.REQUESTED: "售后申请中",
    AfterSalesStatus.AWAITING_RETURN: "待买家退货",
    AfterSalesStatus.REFUNDED: "退款成功",
    AfterSalesStatus.REJECTED: "商家已拒绝",
    AfterSalesStatus.CANCELLED: "售后已取消",
}


class ItemCategory(str, enum.Enum):
    """The category facts the intercept rule cares about; map your own tree onto these."""

    GENERAL = "general"
    FRESH_FOOD = "fresh_food"
    VIRTUAL_GOODS = "virtual_goods"
    WHOLE_VEHICLE = "whole_vehicle"

    @property
    def excluded_from_intercept(self) -> bool:
        """Whether platform-rules §1 condition 5 excludes goods of this category."""
        return self is not ItemCategory.GENERAL


class ShopStatus(str, enum.Enum):
    """Whether the shop is operating normally (only ``NORMAL`` is)."""

    NORMAL = "normal"
    RESTRICTED = "restricted"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class RefundType(str, enum.Enum):
    """What the buyer asked for."""

    REFUND_ONLY = "refund_only"
    RETURN_AND_REFUND = "return_and_refund"


def _slug(value: Any) -> str:
    return _checks.text("carrier", value).lower()


def _waybill(value: Any) -> str:
    return normalise_waybill(value)  # as the client sends it, so that tracking results match


def _order_id(value: Any) -> str:
    return _checks.text("order_id", value)


def _refund_id(value: Any) -> str:
    return _checks.text("refund_id", value)


# Typed converters: attrs' mypy plugin turns ``converter=tuple`` into an unbound type variable,
# which would make every caller's list argument a type error.
def _categories(values: Iterable[ItemCategory]) -> Tuple[ItemCategory, ...]:
    try:
        return tuple(ItemCategory(value) for value in values)
    except ValueError as exc:
        raise ValidationError(field="item_categories", reason=str(exc)) from None


def _parcels(values: Iterable[Parcel]) -> Tuple[Parcel, ...]:
    return tuple(values)


def _slugs(values: Iterable[Any]) -> FrozenSet[str]:
    if isinstance(values, str):
        raise ValidationError(field="e_waybill_carriers", reason="must be slugs, not a str")
    return frozenset(_slug(value) for value in values)


@frozen(kw_only=True)
class Parcel:
    """One shipped parcel: which carrier carries it under which waybill."""

    carrier: str = field(converter=_slug)
    waybill: str = field(converter=_waybill)


def _note_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(field="note.text", reason=f"must be a str, got {type(value).__name__}")
    return value.strip()  # the platform takes empty notes (a flag alone)


def _agent(value: Any) -> str:
    return _checks.text("note.agent", value)


def _changed_at(value: Any) -> datetime:
    return _checks.aware("note.changed_at", value)


def _flag(value: Any) -> Optional[FlagColor]:
    if value is None:
        return None
    try:
        return FlagColor(value)
    except ValueError:
        known = ", ".join(color.value for color in FlagColor)
        raise ValidationError(field="note.flag", reason=f"unknown flag {value!r}; known: {known}") from None


@frozen(kw_only=True)
class OrderNote:
    """One entry of an order's note history (订单备注), or a flag note (插旗备注).

    Args:
        text: The note (may be empty when only a flag is set).
        agent: The nickname of the support agent who wrote it.
        changed_at: When it was written, timezone-aware.
        flag: The flag colour, for a flag note.
    """

    text: str = field(converter=_note_text)
    agent: str = field(converter=_agent)
    changed_at: datetime = field(converter=_changed_at)
    flag: Optional[FlagColor] = field(default=None, converter=_flag)


def _notes(values: Iterable[OrderNote]) -> Tuple[OrderNote, ...]:
    found = tuple(values)
    for note in found:
        if not isinstance(note, OrderNote):
            raise ValidationError(field="notes", reason="must hold OrderNote values")
    return found


def _tags(values: Iterable[str]) -> Tuple[str, ...]:
    if isinstance(values, str):
        raise ValidationError(field="tags", reason="must be a list of tags, not a str")
    seen: Dict[str, None] = {}
    for value in values:
        seen.setdefault(_checks.text("tags", value), None)
    return tuple(seen)


def _amount_lines(values: Iterable[AmountLine]) -> Tuple[AmountLine, ...]:
    return tuple(values)


def _party(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(field=name, reason=f"must be a str, got {type(value).__name__}")
    return value.strip()


def _buyer_id(value: Any) -> str:
    return _party("buyer_id", value)


def _shop_id(value: Any) -> str:
    return _party("shop_id", value)


@frozen(kw_only=True)
class BuyerAddress:
    """The buyer's confirmed address: structured fields, a free-text line, or both.

    Structured ``province``/``city`` are compared directly; ``detail`` is only read when they are
    missing and free-text resolution (the ``kscarriers[address]`` extra) is asked for.
    """

    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = field(default="", repr=False)


@frozen(kw_only=True)
class Order:
    """An order as the platform records it.

    Args:
        order_id: The platform's order id.
        status: The order status.
        amount_paid_fen: What the buyer actually paid, in fen.
        after_sales_status: The refund status beside the order status.
        paid_at: When payment succeeded; None while unpaid.
        shipped_at: When the merchant reported shipping; None while unshipped.
        promised_ship_by: The shipping time promised to the buyer.
        item_categories: One category per item (or per distinct category).
        parcels: The parcels the order shipped in, in the order they were shipped.
        buyer_address: The buyer's confirmed address, if known.
        buyer_id: The buyer's id at the platform (batch actions are per buyer and shop).
        shop_id: The shop's id.
        notes: The order's note history, in any order (the view shows the latest first).
        tags: The order tags (订单标签), duplicates dropped.
        payment_method: How the buyer paid: a label such as ``"微信支付"`` or a kind.
        rights_tags: The rights tags (权益标签): labels, names or kinds; unknown labels kept.
        paid_breakdown: The lines that make up ``amount_paid_fen`` (empty when not known).
        settlement_fen: What the shop actually receives (实收), in fen, if known.
        settlement_breakdown: The lines that make up ``settlement_fen``.
        receiver: The receiver's name and phone.

    Raises:
        ValidationError: on naive datetimes, float or negative money, empty ids, or a
            breakdown that does not add up to its amount (the message names every part).
    """

    order_id: str = field(converter=_order_id)
    status: OrderStatus
    amount_paid_fen: int = 0
    after_sales_status: AfterSalesStatus = AfterSalesStatus.NONE
    paid_at: Optional[datetime] = None
    shipped_at: Optional[datetime] = None
    promised_ship_by: Optional[datetime] = None
    item_categories: Tuple[ItemCategory, ...] = field(factory=tuple, converter=_categories)
    parcels: Tuple[Parcel, ...] = field(factory=tuple, converter=_parcels)
    buyer_address: Optional[BuyerAddress] = None
    buyer_id: str = field(default="", converter=_buyer_id)
    shop_id: str = field(default="", converter=_shop_id)
    notes: Tuple[OrderNote, ...] = field(factory=tuple, converter=_notes)
    tags: Tuple[str, ...] = field(factory=tuple, converter=_tags)
    payment_method: Optional[PaymentMethod] = field(default=None, converter=payment_method)
    rights_tags: RightsTags = field(factory=RightsTags, converter=rights_tags)
    paid_breakdown: Tuple[AmountLine, ...] = field(factory=tuple, converter=_amount_lines)
    settlement_fen: Optional[int] = None
    settlement_breakdown: Tuple[AmountLine, ...] = field(factory=tuple, converter=_amount_lines)
    receiver: Optional[Receiver] = None

    def __attrs_post_init__(self) -> None:
        _checks.fen("amount_paid_fen", self.amount_paid_fen)
        for name in ("paid_at", "shipped_at", "promised_ship_by"):
            _checks.optional_aware(name, getattr(self, name))
        for parcel in self.parcels:
            if not isinstance(parcel, Parcel):
                raise ValidationError(field="parcels", reason="must hold Parcel values")
        check_breakdown("paid_breakdown", self.amount_paid_fen, self.paid_breakdown)
        if self.settlement_fen is None:
            if self.settlement_breakdown:
                raise ValidationError(field="settlement_fen", reason="required with settlement_breakdown")
        else:
            _checks.fen("settlement_fen", self.settlement_fen)
            check_breakdown("settlement_breakdown", self.settlement_fen, self.settlement_breakdown)
        if self.receiver is not None and not isinstance(self.receiver, Receiver):
            raise ValidationError(field="receiver", reason="must be a Receiver")

    @property
    def is_shipped(self) -> bool:
        """Whether the merchant has shipped: a shipping time, or a post-shipment status."""
        return self.shipped_at is not None or self.status in _SHIPPED_STATUSES


_SHIPPED_STATUSES = frozenset({OrderStatus.SHIPPED, OrderStatus.RECEIVED, OrderStatus.TRADE_COMPLETE})


@frozen(kw_only=True)
class Merchant:
    """The merchant facts the intercept rule reads.

    Args:
        intercept_agreement_signed: Whether the intercept service agreement is signed.
        e_waybill_carriers: Slugs of the carriers whose platform e-waybill service is used.
        cross_border: Whether this is a cross-border merchant.
        shop_status: Whether the shop is operating normally.
    """

    intercept_agreement_signed: bool
    e_waybill_carriers: FrozenSet[str] = field(converter=_slugs)
    cross_border: bool = False
    shop_status: ShopStatus = ShopStatus.NORMAL


@frozen(kw_only=True)
class Refund:
    """A buyer's refund request.

    Args:
        refund_id: The platform's refund id; the intercept idempotency key derives from it.
        type: Refund only, or return and refund.
        requested_after_shipment: Whether the buyer asked after the order shipped.
        amount_fen: The refund amount in fen.
    """

    refund_id: str = field(converter=_refund_id)
    type: RefundType
    requested_after_shipment: bool
    amount_fen: int

    def __attrs_post_init__(self) -> None:
        _checks.fen("amount_fen", self.amount_fen)
