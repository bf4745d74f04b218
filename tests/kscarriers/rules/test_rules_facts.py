"""Input validation of the rules facts: aware times, integer money, normalised ids."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from rules_builders import PAID, merchant, order, refund

from kscarriers.errors import ValidationError
from kscarriers.rules import Parcel, fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize("name", ["paid_at", "shipped_at", "promised_ship_by"])
def test_naive_datetimes_are_rejected(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        order(**{name: datetime(2023, 3, 8, 12, 0)})
    assert info.value.field == name
    assert str(info.value) == f"{name}: must be timezone-aware"


@pytest.mark.parametrize("amount", [129.0, True, "129", Decimal("129")])
def test_order_money_must_be_int_fen(amount: object) -> None:
    with pytest.raises(ValidationError) as info:
        order(amount_paid_fen=amount)
    assert info.value.field == "amount_paid_fen"


def test_float_refund_amount_says_why() -> None:
    with pytest.raises(ValidationError, match="never float"):
        refund(amount_fen=499.99)


def test_negative_money_is_rejected() -> None:
    with pytest.raises(ValidationError, match="negative"):
        refund(amount_fen=-1)


def test_ids_must_not_be_empty() -> None:
    with pytest.raises(ValidationError, match="order_id: must not be empty"):
        order(order_id="  ")
    with pytest.raises(ValidationError, match="refund_id"):
        refund(refund_id="")


def test_slugs_and_waybills_are_normalised() -> None:
    parcel = Parcel(carrier=" ZTO ", waybill=" zt123 ")
    assert (parcel.carrier, parcel.waybill) == ("zto", "ZT123")
    assert merchant(e_waybill_carriers=["ZTO", "Jt"]).e_waybill_carriers == {"zto", "jt"}


def test_e_waybill_carriers_is_not_a_string() -> None:
    with pytest.raises(ValidationError):
        merchant(e_waybill_carriers="zto")


def test_is_shipped_reads_time_or_status() -> None:
    from kscarriers.rules import OrderStatus

    assert order().is_shipped
    assert not order(status=OrderStatus.AWAITING_SHIPMENT, shipped_at=None).is_shipped
    assert order(status=OrderStatus.RECEIVED, shipped_at=None).is_shipped
    assert order(paid_at=PAID).paid_at == PAID


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [(Decimal("16.66"), 1666), ("666.67", 66667), (5, 500), (Decimal("0.01"), 1), ("0", 0)],
)
def test_yuan_to_fen_is_exact(yuan: object, fen: int) -> None:
    assert yuan_to_fen(yuan) == fen
    assert yuan_to_fen(str(fen_to_yuan(fen))) == fen


@pytest.mark.parametrize("bad", [16.66, Decimal("0.001"), "-1", "abc", Decimal("NaN"), None])
def test_yuan_to_fen_rejects_floats_and_sub_fen(bad: object) -> None:
    with pytest.raises(ValidationError):
        yuan_to_fen(bad)


def test_unknown_category_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="item_categories"):
        order(item_categories=["fresh"])
