"""Input checks shared by the rules modules: aware datetimes, integer fen, non-empty text."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

from kscarriers.errors import ValidationError


def aware(field_name: str, value: Any) -> datetime:
    """Return ``value`` if it is a timezone-aware datetime, else raise ValidationError."""
    if not isinstance(value, datetime):
        raise ValidationError(field=field_name, reason=f"must be a datetime, got {type(value).__name__}")
    # A naive time is ambiguous (server local time? China time? UTC?), and the rules compare
    # times across carriers and order systems, so guessing would silently shift a verdict.
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(field=field_name, reason="must be timezone-aware")
    return value


def optional_aware(field_name: str, value: Any) -> Optional[datetime]:
    """Like :func:`aware`, but None passes through."""
    return None if value is None else aware(field_name, value)


def fen(field_name: str, value: Any) -> int:
    """Return ``value`` if it is a non-negative int amount of fen, else raise ValidationError."""
    if isinstance(value, float):
        raise ValidationError(field=field_name, reason="money must be int fen or Decimal, never float")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            field=field_name, reason=f"must be an int amount of fen, got {type(value).__name__}"
        )
    if value < 0:
        raise ValidationError(field=field_name, reason="must not be negative")
    return value


def yuan_to_fen(value: Any, *, field_name: str = "amount") -> int:
    """Convert a yuan amount (Decimal, int or decimal string) to int fen, exactly.

    Args:
        value: The amount in yuan, such as ``Decimal("16.66")`` or ``"16.66"``.
        field_name: The name used in a ValidationError.

    Returns:
        The amount in fen.

    Raises:
        ValidationError: if ``value`` is a float, negative, not a number, or finer than a fen.
    """
    if isinstance(value, float):
        raise ValidationError(field=field_name, reason="money must be int fen or Decimal, never float")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise ValidationError(
            field=field_name, reason=f"must be a Decimal yuan amount, got {type(value).__name__}"
        )
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise ValidationError(field=field_name, reason=f"not a number: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(field=field_name, reason="must be a finite, non-negative amount")
    try:
        scaled = amount * 100
    except ArithmeticError:  # decimal.Overflow: beyond the context's exponent range
        raise ValidationError(field=field_name, reason="amount is out of range") from None
    if scaled != scaled.to_integral_value():
        raise ValidationError(field=field_name, reason="must not be finer than one fen (0.01)")
    return int(scaled)


def fen_to_yuan(amount_fen: int) -> Decimal:
    """Convert int fen to a two-place Decimal yuan amount (``1666`` -> ``Decimal("16.66")``)."""
    return (Decimal(fen("amount_fen", amount_fen)) / 100).quantize(Decimal("0.01"))


def text(field_name: str, value: Any) -> str:
    """Return ``value`` stripped if it is a non-empty str, else raise ValidationError."""
    if not isinstance(value, str):
        raise ValidationError(field=field_name, reason=f"must be a str, got {type(value).__name__}")
    stripped = value.strip()
    if not stripped:
        raise ValidationError(field=field_name, reason="must not be empty")
    return stripped
