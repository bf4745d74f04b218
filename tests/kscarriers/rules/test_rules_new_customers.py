"""New customers first: the 30/180-day windows, both readings, and the waiting queue."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_builders import PAID, order

from kscarriers.errors import ValidationError
from kscarriers.rules import (
    NewCustomerReading,
    OrderStatus,
    classify_buyer,
    prioritise_new_customers,
)

NOW = PAID + timedelta(days=400)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def test_recent_first_purchase_is_new() -> None:
    result = classify_buyer([NOW - 3 * DAY], now=NOW)
    assert result.is_new
    assert result.recent_payments == 1
    assert result.first_paid_at == NOW - 3 * DAY
    assert result.reading is NewCustomerReading.AT_LEAST_ONCE


@pytest.mark.parametrize(
    ("age", "new"),
    [(30 * DAY - SECOND, True), (30 * DAY, True), (30 * DAY + SECOND, False)],
)
def test_30_day_window_includes_its_first_instant(age: timedelta, new: bool) -> None:
    assert classify_buyer([NOW - age], now=NOW).is_new is new


@pytest.mark.parametrize(
    ("first_age", "new"),
    [(180 * DAY - SECOND, True), (180 * DAY, True), (180 * DAY + SECOND, False)],
)
def test_180_day_window_includes_its_first_instant(first_age: timedelta, new: bool) -> None:
    assert classify_buyer([NOW - first_age, NOW - DAY], now=NOW).is_new is new


def test_no_payment_at_all_is_not_new() -> None:
    result = classify_buyer([], now=NOW)
    assert not result.is_new and result.first_paid_at is None


def test_old_buyer_without_recent_purchase_is_not_new() -> None:
    assert not classify_buyer([NOW - 60 * DAY], now=NOW).is_new


def test_readings_differ_on_two_recent_purchases() -> None:
    history = [NOW - 2 * DAY, NOW - DAY]
    assert classify_buyer(history, now=NOW).is_new
    strict = classify_buyer(history, now=NOW, reading=NewCustomerReading.EXACTLY_ONCE)
    assert not strict.is_new and strict.recent_payments == 2
    assert classify_buyer(history[:1], now=NOW, reading=NewCustomerReading.EXACTLY_ONCE).is_new


def test_orders_are_read_by_payment_time_and_unpaid_ones_ignored() -> None:
    history = [
        order(order_id="O-1", paid_at=NOW - 5 * DAY),
        order(order_id="O-2", status=OrderStatus.AWAITING_PAYMENT, paid_at=None, shipped_at=None),
    ]
    result = classify_buyer(history, now=NOW, reading=NewCustomerReading.EXACTLY_ONCE)
    assert result.is_new and result.recent_payments == 1


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValidationError, match="now"):
        classify_buyer([], now=datetime(2024, 1, 1))
    with pytest.raises(ValidationError, match="history"):
        classify_buyer([datetime(2024, 1, 1)], now=NOW)


def test_new_customers_go_first_and_skip_the_bot() -> None:
    queue = ["a", "B", "c", "D", "e"]
    entries = prioritise_new_customers(queue, is_new=str.isupper)
    assert [e.item for e in entries] == ["B", "D", "a", "c", "e"]
    assert [e.skip_bot for e in entries] == [True, True, False, False, False]
    assert [e.new_customer for e in entries] == [True, True, False, False, False]


def test_turned_off_keeps_the_queue_and_the_bot() -> None:
    entries = prioritise_new_customers(["a", "B"], is_new=str.isupper, enabled=False)
    assert [(e.item, e.new_customer, e.skip_bot) for e in entries] == [
        ("a", False, False),
        ("B", False, False),
    ]


@given(st.lists(st.tuples(st.integers(0, 1000), st.booleans())))
def test_queue_order_is_stable_among_equals(queue: list[tuple[int, bool]]) -> None:
    keyed = list(enumerate(queue))
    entries = prioritise_new_customers(keyed, is_new=lambda item: item[1][1])
    items = [e.item for e in entries]
    assert items == [i for i in keyed if i[1][1]] + [i for i in keyed if not i[1][1]]
    assert sorted(items) == keyed
