"""New customers first (platform-rules §4): classify a buyer, and order a waiting queue."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Callable, Generic, Iterable, List, Optional, Sequence, Tuple, TypeVar, Union

from attrs import frozen

from kscarriers.rules import _checks
from kscarriers.rules.facts import Order

__all__ = [
    "FIRST_PAYMENT_WINDOW",
    "RECENT_PURCHASE_WINDOW",
    "BuyerClassification",
    "NewCustomerReading",
    "QueueEntry",
    "classify_buyer",
    "prioritise_new_customers",
]

T = TypeVar("T")

#: The buyer must have bought within this window back from "now" ...
RECENT_PURCHASE_WINDOW = timedelta(days=30)
#: ... and first paid at the shop within this one.
FIRST_PAYMENT_WINDOW = timedelta(days=180)


class NewCustomerReading(str, enum.Enum):
    """How to read "近30天在店铺购买过一次": at least once (default) or exactly once."""

    AT_LEAST_ONCE = "at_least_once"
    EXACTLY_ONCE = "exactly_once"


@frozen(kw_only=True)
class BuyerClassification:
    """Whether a buyer is a shop's new customer, with the facts behind the verdict.

    Attributes:
        is_new: The verdict.
        first_paid_at: The buyer's first payment at the shop, or None if never paid.
        recent_payments: How many payments fall in the 30-day window.
        reading: The reading of the rule that was applied.
    """

    is_new: bool
    first_paid_at: Optional[datetime]
    recent_payments: int
    reading: NewCustomerReading


def classify_buyer(
    history: Iterable[Union[Order, datetime]],
    *,
    now: datetime,
    reading: NewCustomerReading = NewCustomerReading.AT_LEAST_ONCE,
) -> BuyerClassification:
    """Classify a buyer from their order history at one shop.

    A new customer paid at least once (or, with ``EXACTLY_ONCE``, exactly once) in the 30 days
    back from ``now`` and first paid at the shop within the 180 days back from ``now``. Both
    windows are closed at the start: a payment exactly 30 (or 180) days before ``now`` is
    inside. Only paid orders count (an order whose ``paid_at`` is None is ignored); an order
    paid and later refunded still counts as a purchase.

    Args:
        history: The buyer's orders at the shop, or their payment times.
        now: The current time, timezone-aware.
        reading: How to read "购买过一次".

    Returns:
        The BuyerClassification.

    Raises:
        ValidationError: if ``now`` or a payment time is naive.
    """
    now = _checks.aware("now", now)
    payments = []
    for item in history:
        paid_at = item.paid_at if isinstance(item, Order) else item
        if paid_at is not None:
            payments.append(_checks.aware("history", paid_at))
    first = min(payments, default=None)
    recent = sum(1 for paid_at in payments if paid_at >= now - RECENT_PURCHASE_WINDOW)
    if reading is NewCustomerReading.EXACTLY_ONCE:
        bought_recently = recent == 1
    else:
        bought_recently = recent >= 1
    is_new = bought_recently and first is not None and first >= now - FIRST_PAYMENT_WINDOW
    return BuyerClassification(is_new=is_new, first_paid_at=first, recent_payments=recent, reading=reading)


@frozen(kw_only=True)
class QueueEntry(Generic[T]):
    """A waiting conversation, with its routing decision.

    Attributes:
        item: The caller's queue item.
        new_customer: Whether the "新客" badge shows.
        skip_bot: Whether the buyer goes straight to a human agent.
    """

    item: T
    new_customer: bool
    skip_bot: bool


def prioritise_new_customers(
    queue: Sequence[T], *, is_new: Callable[[T], bool], enabled: bool = True
) -> Tuple[QueueEntry[T], ...]:
    """Put new customers at the head of a waiting queue and mark them to skip the bot.

    The reordering is stable: new customers keep their relative order, and so does everyone
    else. With ``enabled=False`` (the shop turned the setting off) the queue keeps its order
    and nobody skips the bot; the setting takes effect on the next call.

    Args:
        queue: The waiting buyers, head first.
        is_new: Says whether an item is a new customer (e.g. via :func:`classify_buyer`).
        enabled: Whether the shop has "new customers first" turned on.

    Returns:
        The queue, head first, as QueueEntry values.
    """
    entries: List[QueueEntry[T]] = []
    for item in queue:
        new = enabled and is_new(item)
        entries.append(QueueEntry(item=item, new_customer=new, skip_bot=new))
    if enabled:
        entries.sort(key=lambda entry: not entry.new_customer)
    return tuple(entries)
