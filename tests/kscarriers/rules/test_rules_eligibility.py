"""Intercept eligibility: every failing condition of platform-rules §1, and the prediction."""

from __future__ import annotations

from typing import Any, FrozenSet

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rules_builders import (
    WAYBILL,
    delivered,
    in_transit,
    merchant,
    order,
    out_for_delivery,
    refund,
)

from kscarriers.errors import ValidationError
from kscarriers.models import InterceptFailure, TrackingStatus
from kscarriers.rules import (
    SUPPORTED_CARRIERS,
    EligibilityReport,
    IneligibilityReason,
    ItemCategory,
    OrderStatus,
    Parcel,
    RefundType,
    ShopStatus,
    check_eligibility,
)

R = IneligibilityReason


def test_all_conditions_hold() -> None:
    report = check_eligibility(order=order(), merchant=merchant(), refund=refund())
    assert report.eligible
    assert report.failures == ()
    assert report.carrier_prediction is None


def test_every_reason_has_the_platform_wording() -> None:
    assert [r.summary for r in R] == [
        "carrier not supported",
        "cross-border merchant",
        "shop not in normal operation",
        "agreement not signed",
        "excluded category",
        "multi-parcel order",
        "refund amount too high",
        "no e-waybill service with carrier",
        "wrong refund type / not shipped",
        "already signed for",
    ]


@pytest.mark.parametrize(
    ("amount_fen", "too_high"), [(49_999, False), (50_000, True), (50_001, True), (0, False)]
)
def test_refund_limit_is_strictly_below_500_yuan(amount_fen: int, too_high: bool) -> None:
    report = check_eligibility(order=order(), merchant=merchant(), refund=refund(amount_fen=amount_fen))
    assert (R.REFUND_AMOUNT_TOO_HIGH in report.reasons) is too_high


def test_refund_too_high_message_names_the_amounts() -> None:
    report = check_eligibility(order=order(), merchant=merchant(), refund=refund(amount_fen=50_000))
    assert report.failures[0].message == (
        "refund amount too high: refund of 500.00 yuan is not below 500.00 yuan"
    )


def test_several_failures_are_all_reported_in_table_order() -> None:
    report = check_eligibility(
        order=order(parcels=[Parcel(carrier="sf", waybill="SF1")]),
        merchant=merchant(cross_border=True, intercept_agreement_signed=False),
        refund=refund(type=RefundType.RETURN_AND_REFUND),
    )
    assert [f.reason for f in report.failures] == [
        R.CARRIER_NOT_SUPPORTED,
        R.CROSS_BORDER_MERCHANT,
        R.AGREEMENT_NOT_SIGNED,
        R.NO_E_WAYBILL_SERVICE,
        R.WRONG_REFUND_TYPE_OR_NOT_SHIPPED,
    ]
    assert not report.eligible
    assert "sf" in report.failures[0].message


def test_order_without_parcels_is_not_shipped() -> None:
    report = check_eligibility(
        order=order(status=OrderStatus.AWAITING_SHIPMENT, shipped_at=None, parcels=[]),
        merchant=merchant(),
        refund=refund(),
    )
    assert report.reasons == {R.WRONG_REFUND_TYPE_OR_NOT_SHIPPED}
    assert "has not shipped" in report.failures[0].message


def test_refund_requested_before_shipment_fails_condition_9() -> None:
    report = check_eligibility(
        order=order(), merchant=merchant(), refund=refund(requested_after_shipment=False)
    )
    assert report.reasons == {R.WRONG_REFUND_TYPE_OR_NOT_SHIPPED}
    assert "before shipment" in report.failures[0].message


def test_tracking_for_another_waybill_is_rejected() -> None:
    with pytest.raises(ValidationError, match="tracking"):
        check_eligibility(order=order(), merchant=merchant(), refund=refund(), tracking=in_transit("OTHER1"))


def test_in_transit_parcel_predicts_nothing() -> None:
    report = check_eligibility(order=order(), merchant=merchant(), refund=refund(), tracking=in_transit())
    assert report.eligible and report.carrier_prediction is None


def test_out_for_delivery_is_eligible_but_predicted_to_fail() -> None:
    tracking = out_for_delivery()
    report = check_eligibility(order=order(), merchant=merchant(), refund=refund(), tracking=tracking)
    assert report.eligible
    prediction = report.carrier_prediction
    assert prediction is not None
    assert prediction.likely_failure is InterceptFailure.OUT_FOR_DELIVERY
    assert prediction.evidence == tracking.latest


def test_signed_parcel_fails_condition_10_with_evidence() -> None:
    tracking = delivered()
    report = check_eligibility(order=order(), merchant=merchant(), refund=refund(), tracking=tracking)
    assert report.reasons == {R.ALREADY_SIGNED}
    assert "zto reports delivery" in report.failures[0].message
    prediction = report.carrier_prediction
    assert prediction is not None
    assert prediction.likely_failure is InterceptFailure.ALREADY_SIGNED
    assert prediction.evidence.status is TrackingStatus.DELIVERED


@pytest.mark.parametrize("status", [OrderStatus.RECEIVED, OrderStatus.TRADE_COMPLETE])
def test_received_order_is_already_signed(status: OrderStatus) -> None:
    report = check_eligibility(order=order(status=status), merchant=merchant(), refund=refund())
    assert report.reasons == {R.ALREADY_SIGNED}


def _facts_failing(failing: FrozenSet[IneligibilityReason], data: st.DataObject) -> dict[str, Any]:
    """Facts that fail exactly the conditions in ``failing``, with the rest drawn freely."""
    carrier = (
        data.draw(st.sampled_from(["sf", "ems", "jd", "yunda"]))
        if R.CARRIER_NOT_SUPPORTED in failing
        else data.draw(st.sampled_from(sorted(SUPPORTED_CARRIERS)))
    )
    count = data.draw(st.integers(2, 4)) if R.MULTI_PARCEL_ORDER in failing else 1
    parcels = [Parcel(carrier=carrier, waybill=f"{WAYBILL[:-1]}{i}") for i in range(count)]
    categories = [ItemCategory.GENERAL] * data.draw(st.integers(0, 2))
    if R.EXCLUDED_CATEGORY in failing:
        excluded = [c for c in ItemCategory if c.excluded_from_intercept]
        categories += data.draw(st.lists(st.sampled_from(excluded), min_size=1, max_size=3))
    amount = (
        data.draw(st.integers(50_000, 10_000_000))
        if R.REFUND_AMOUNT_TOO_HIGH in failing
        else data.draw(st.integers(0, 49_999))
    )
    e_waybill = {*SUPPORTED_CARRIERS, carrier}
    if R.NO_E_WAYBILL_SERVICE in failing:
        e_waybill = data.draw(st.sets(st.sampled_from(sorted(SUPPORTED_CARRIERS | {"sf"})))) - {carrier}
    order_fields: dict[str, Any] = {}
    refund_fields: dict[str, Any] = {"amount_fen": amount}
    way_9 = data.draw(st.sampled_from(["type", "before", "unshipped"]))
    if R.WRONG_REFUND_TYPE_OR_NOT_SHIPPED in failing:
        if way_9 == "type":
            refund_fields["type"] = RefundType.RETURN_AND_REFUND
        elif way_9 == "before":
            refund_fields["requested_after_shipment"] = False
        else:
            order_fields.update(status=OrderStatus.AWAITING_SHIPMENT, shipped_at=None)
    tracking = data.draw(st.sampled_from([None, "transit", "out"]))
    if R.ALREADY_SIGNED in failing:
        by_status = way_9 != "unshipped" and data.draw(st.booleans())
        if by_status:
            order_fields["status"] = data.draw(
                st.sampled_from([OrderStatus.RECEIVED, OrderStatus.TRADE_COMPLETE])
            )
        else:
            tracking = "signed"
    builders = {"transit": in_transit, "out": out_for_delivery, "signed": delivered}
    return dict(
        order=order(parcels=parcels, item_categories=categories, **order_fields),
        merchant=merchant(
            cross_border=R.CROSS_BORDER_MERCHANT in failing,
            shop_status=data.draw(st.sampled_from([s for s in ShopStatus if s is not ShopStatus.NORMAL]))
            if R.SHOP_NOT_OPERATING in failing
            else ShopStatus.NORMAL,
            intercept_agreement_signed=R.AGREEMENT_NOT_SIGNED not in failing,
            e_waybill_carriers=e_waybill,
        ),
        refund=refund(**refund_fields),
        tracking=None if tracking is None else builders[tracking](parcels[0].waybill),
    )


@given(failing=st.frozensets(st.sampled_from(list(IneligibilityReason))), data=st.data())
def test_every_combination_of_failures_is_reported_exactly(
    failing: FrozenSet[IneligibilityReason], data: st.DataObject
) -> None:
    report = check_eligibility(**_facts_failing(failing, data))
    reasons = [failure.reason for failure in report.failures]
    assert set(reasons) == failing
    assert len(reasons) == len(failing), "each failing condition is reported once"
    assert reasons == sorted(reasons, key=list(IneligibilityReason).index)
    assert report.eligible is (not failing)
    assert all(f.message.startswith(f.reason.summary + ": ") for f in report.failures)


def test_report_is_a_frozen_value() -> None:
    report = EligibilityReport()
    assert report.eligible
    with pytest.raises(AttributeError):
        report.failures = ()  # type: ignore[misc]
