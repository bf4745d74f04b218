"""False-shipment compensation: 30% of the amount paid, half-up to the fen, 5 to 200 yuan."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kscarriers.errors import ValidationError
from kscarriers.rules import (
    COMPENSATION_MAX_FEN,
    COMPENSATION_MIN_FEN,
    CompensationBound,
    false_shipment_compensation,
    yuan_to_fen,
)

MIN, MAX = CompensationBound.MINIMUM, CompensationBound.MAXIMUM


@pytest.mark.parametrize(
    ("paid", "owed", "unbounded", "bound"),
    [
        ("16.66", "5.00", 500, None),  # 4.998 rounds to 5.00 before the minimum matters
        ("16.65", "5.00", 500, None),  # 4.995: exactly half a fen rounds up
        ("16.64", "5.00", 499, MIN),  # 4.992 -> 4.99 -> raised to the minimum
        ("16.67", "5.00", 500, None),  # 5.001 -> 5.00
        ("16.69", "5.01", 501, None),  # 5.007 -> 5.01
        ("100.00", "30.00", 3000, None),
        ("666.64", "199.99", 19999, None),  # 199.992 -> 199.99
        ("666.65", "200.00", 20000, None),  # 199.995 -> 200.00
        ("666.67", "200.00", 20000, None),  # 200.001 -> 200.00
        ("666.69", "200.00", 20001, MAX),  # 200.007 -> 200.01 -> capped
        ("10000.00", "200.00", 300000, MAX),
        ("0.00", "5.00", 0, MIN),  # the minimum applies as written, whatever was paid
    ],
)
def test_rounding_and_boundaries(paid: str, owed: str, unbounded: int, bound: object) -> None:
    result = false_shipment_compensation(amount_paid_fen=yuan_to_fen(Decimal(paid)))
    assert result.amount_yuan == Decimal(owed)
    assert result.unbounded_fen == unbounded
    assert result.bound is bound
    assert result.amount_paid_fen == yuan_to_fen(paid)


@pytest.mark.parametrize("bad", [1666.0, Decimal("16.66"), "1666", None, True])
def test_amount_must_be_int_fen(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        false_shipment_compensation(amount_paid_fen=bad)
    assert info.value.field == "amount_paid_fen"


@given(st.integers(min_value=0, max_value=10**12))
def test_compensation_is_bounded_and_half_up(paid_fen: int) -> None:
    result = false_shipment_compensation(amount_paid_fen=paid_fen)
    assert COMPENSATION_MIN_FEN <= result.amount_fen <= COMPENSATION_MAX_FEN
    exact = (Decimal(paid_fen) * Decimal("0.3")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert result.unbounded_fen == int(exact)
    assert result.amount_fen == min(max(int(exact), COMPENSATION_MIN_FEN), COMPENSATION_MAX_FEN)
    assert isinstance(result.amount_fen, int)


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_compensation_never_decreases_with_the_amount_paid(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert (
        false_shipment_compensation(amount_paid_fen=low).amount_fen
        <= false_shipment_compensation(amount_paid_fen=high).amount_fen
    )


@pytest.mark.parametrize("value", ["9e999999", Decimal("9E+999999")])
def test_yuan_amount_too_large_for_decimal_arithmetic_is_a_validation_error(value):
    with pytest.raises(ValidationError) as info:
        yuan_to_fen(value)
    assert info.value.field == "amount"
