"""False-shipment compensation (platform-rules §3): 30% of the amount paid, 5 to 200 yuan."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any, Optional

from attrs import frozen

from kscarriers.rules import _checks

__all__ = [
    "COMPENSATION_MAX_FEN",
    "COMPENSATION_MIN_FEN",
    "COMPENSATION_RATE_PERCENT",
    "Compensation",
    "CompensationBound",
    "false_shipment_compensation",
    "fen_to_yuan",
    "yuan_to_fen",
]

#: The buyer gets this percentage of the amount actually paid ...
COMPENSATION_RATE_PERCENT = 30
#: ... but at least 5 yuan ...
COMPENSATION_MIN_FEN = 500
#: ... and at most 200 yuan per order.
COMPENSATION_MAX_FEN = 20_000

yuan_to_fen = _checks.yuan_to_fen
fen_to_yuan = _checks.fen_to_yuan


class CompensationBound(str, enum.Enum):
    """Which bound, if any, decided the compensation."""

    MINIMUM = "minimum"
    MAXIMUM = "maximum"


@frozen(kw_only=True)
class Compensation:
    """A false-shipment compensation, paid to the buyer as a no-threshold coupon.

    Attributes:
        amount_fen: The compensation in fen.
        amount_paid_fen: The amount actually paid it was computed from.
        unbounded_fen: 30% of the amount paid, rounded to the fen, before the bounds.
        bound: The bound that applied, or None when 30% was within them.
    """

    amount_fen: int
    amount_paid_fen: int
    unbounded_fen: int
    bound: Optional[CompensationBound] = None

    @property
    def amount_yuan(self) -> Decimal:
        """The compensation in yuan, two decimal places."""
        return fen_to_yuan(self.amount_fen)


def false_shipment_compensation(*, amount_paid_fen: Any) -> Compensation:
    """Compute the compensation for a false shipment.

    Rounding: 30% of the amount paid is computed exactly in fen, then rounded to a whole fen
    half-up (四舍五入: 0.5 fen and above rounds up), then clamped to [5.00, 200.00] yuan.
    So 16.66 yuan -> 4.998 -> 5.00 (4.998 rounds to 5.00); 16.64 -> 4.992 -> 4.99 -> 5.00
    (minimum); 666.67 -> 200.001 -> 200.00; 666.64 -> 199.992 -> 199.99 (within bounds).
    The minimum applies even when less than 5 yuan was paid, as the rule is written.

    Args:
        amount_paid_fen: The amount the buyer actually paid, in int fen (use
            :func:`yuan_to_fen` for a Decimal yuan amount).

    Returns:
        The Compensation, with the bound that applied.

    Raises:
        ValidationError: if the amount is a float, not an int, or negative.
    """
    paid = _checks.fen("amount_paid_fen", amount_paid_fen)
    # Integer arithmetic: paid * 30 / 100, half-up, without ever leaving int.
    unbounded = (paid * COMPENSATION_RATE_PERCENT + 50) // 100
    if unbounded < COMPENSATION_MIN_FEN:
        amount, bound = COMPENSATION_MIN_FEN, CompensationBound.MINIMUM
    elif unbounded > COMPENSATION_MAX_FEN:
        amount, bound = COMPENSATION_MAX_FEN, CompensationBound.MAXIMUM
    else:
        amount, bound = unbounded, None
    return Compensation(amount_fen=amount, amount_paid_fen=paid, unbounded_fen=unbounded, bound=bound)
