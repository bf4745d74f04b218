"""Amounts with breakdowns: lines add or subtract, and a breakdown that does not add up is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rules_builders import order

from kscarriers.errors import ValidationError
from kscarriers.rules import AmountLine, AmountPart, AmountView, check_breakdown

PAID_LINES = [
    AmountLine(part=AmountPart.GOODS_TOTAL, amount_fen=12_000),
    AmountLine(part=AmountPart.SHIPPING_FEE, amount_fen=800),
    AmountLine(part=AmountPart.SHOP_DISCOUNT, amount_fen=1_000),
    AmountLine(part=AmountPart.PLATFORM_DISCOUNT, amount_fen=500),
]


def test_a_breakdown_that_adds_up_is_kept_in_order() -> None:
    assert check_breakdown("paid_breakdown", 11_300, PAID_LINES) == tuple(PAID_LINES)


def test_a_breakdown_that_does_not_add_up_names_every_part_and_both_totals() -> None:
    with pytest.raises(ValidationError) as caught:
        check_breakdown("paid_breakdown", 11_400, PAID_LINES)
    assert caught.value.field == "paid_breakdown"
    assert caught.value.reason == (
        "goods_total 120.00 + shipping_fee 8.00 - shop_discount 10.00 - platform_discount 5.00 "
        "= 113.00 yuan, not the stated 114.00 yuan"
    )


def test_a_breakdown_that_sums_below_zero_says_so() -> None:
    lines = [AmountLine(part="goods_total", amount_fen=100), AmountLine(part="shop_discount", amount_fen=300)]
    with pytest.raises(ValidationError, match=r"= -2\.00 yuan, not the stated 0\.00 yuan"):
        check_breakdown("settlement_breakdown", 0, lines)


def test_an_empty_breakdown_means_not_known_and_passes() -> None:
    assert check_breakdown("paid_breakdown", 9_900, []) == ()


def test_an_order_refuses_a_paid_breakdown_that_does_not_match_the_amount_paid() -> None:
    with pytest.raises(ValidationError) as caught:
        order(amount_paid_fen=12_900, paid_breakdown=PAID_LINES)
    assert caught.value.field == "paid_breakdown"
    assert "shop_discount 10.00" in caught.value.reason


def test_an_order_refuses_a_settlement_breakdown_that_does_not_match_the_settlement() -> None:
    lines = [
        AmountLine(part="goods_total", amount_fen=12_000),
        AmountLine(part="service_fee", amount_fen=600),
    ]
    assert order(settlement_fen=11_400, settlement_breakdown=lines).settlement_fen == 11_400
    with pytest.raises(ValidationError) as caught:
        order(settlement_fen=11_500, settlement_breakdown=lines)
    assert caught.value.field == "settlement_breakdown"
    assert (
        caught.value.reason
        == "goods_total 120.00 - service_fee 6.00 = 114.00 yuan, not the stated 115.00 yuan"
    )


def test_a_settlement_breakdown_needs_the_settlement_amount() -> None:
    with pytest.raises(ValidationError, match="settlement_fen: required with settlement_breakdown"):
        order(settlement_breakdown=[AmountLine(part="goods_total", amount_fen=100)])


@pytest.mark.parametrize("amount", [12.5, -1, "100", True])
def test_a_line_amount_must_be_non_negative_int_fen(amount: object) -> None:
    with pytest.raises(ValidationError) as caught:
        AmountLine(part="goods_total", amount_fen=amount)  # type: ignore[arg-type]
    assert caught.value.field == "goods_total.amount_fen"


def test_an_unknown_part_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="unknown part 'tip'; known: goods_total, shipping_fee"):
        AmountLine(part="tip", amount_fen=1)  # type: ignore[arg-type]


def test_an_other_line_must_say_what_it_is() -> None:
    with pytest.raises(ValidationError, match=r"other_deduction\.label: say what the line is"):
        AmountLine(part=AmountPart.OTHER_DEDUCTION, amount_fen=100)
    line = AmountLine(part=AmountPart.OTHER_DEDUCTION, amount_fen=100, label="积分抵扣")
    assert line.signed_fen == -100 and line.shown_label == "积分抵扣"


def test_every_part_has_a_chinese_label_and_a_sign() -> None:
    for part in AmountPart:
        assert part.label_zh and part.sign in (1, -1)
    assert AmountPart.GOODS_TOTAL.sign == 1 and AmountPart.SHOP_DISCOUNT.sign == -1


def test_an_amount_view_gives_fen_and_yuan_as_a_decimal_string() -> None:
    data = AmountView(total_fen=11_300, lines=PAID_LINES).to_dict()
    assert data["total_fen"] == 11_300 and data["total_yuan"] == "113.00"
    assert Decimal(data["total_yuan"]) == Decimal("113.00")
    assert data["lines"][2] == {
        "part": "shop_discount",
        "label_zh": "店铺优惠",
        "sign": "-",
        "amount_fen": 1_000,
        "amount_yuan": "10.00",
    }
