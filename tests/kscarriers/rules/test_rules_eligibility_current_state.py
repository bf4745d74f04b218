"""Eligibility and the carrier prediction follow the parcel's current state, not any past scan."""

from __future__ import annotations

from rules_builders import WAYBILL, at, delivered, event, merchant, order, refund, track

from kscarriers.models import InterceptFailure, TrackingStatus, TrackingSubStatus, TrackResult
from kscarriers.rules import IneligibilityReason, check_eligibility, predict_carrier_answer


def _taken_back_out() -> TrackResult:
    base = delivered()
    taken_out = event(
        at(40),
        TrackingStatus.OUT_FOR_DELIVERY,
        sub_status=TrackingSubStatus.TAKEN_OUT_OF_PICKUP_POINT,
        raw_code="45",
    )
    return track([*base.events, taken_out], waybill=WAYBILL)


def test_intercept_allowed_when_parcel_taken_back_out_after_delivery_scan() -> None:
    tracking = _taken_back_out()
    report = check_eligibility(order=order(), merchant=merchant(), refund=refund(), tracking=tracking)
    assert IneligibilityReason.ALREADY_SIGNED not in report.reasons
    assert report.eligible


def test_prediction_is_out_for_delivery_not_already_signed_after_a_take_out() -> None:
    prediction = predict_carrier_answer(_taken_back_out())
    assert prediction is not None
    assert prediction.likely_failure is InterceptFailure.OUT_FOR_DELIVERY
    assert prediction.evidence.raw_code == "45"


def test_intercept_allowed_when_a_return_scan_follows_the_delivery_scan() -> None:
    base = delivered()
    back = event(at(40), TrackingStatus.RETURNING)
    tracking = track([*base.events, back], waybill=WAYBILL)
    report = check_eligibility(order=order(), merchant=merchant(), refund=refund(), tracking=tracking)
    assert IneligibilityReason.ALREADY_SIGNED not in report.reasons
    assert predict_carrier_answer(tracking) is None


def test_already_signed_evidence_is_the_current_delivery_scan() -> None:
    base = delivered()
    unreadable = event(
        at(40), TrackingStatus.UNKNOWN, sub_status=TrackingSubStatus.UNRECOGNISED, raw_code="??"
    )
    tracking = track([*base.events, unreadable], waybill=WAYBILL)
    report = check_eligibility(order=order(), merchant=merchant(), refund=refund(), tracking=tracking)
    assert IneligibilityReason.ALREADY_SIGNED in report.reasons
    prediction = report.carrier_prediction
    assert prediction is not None and prediction.likely_failure is InterceptFailure.ALREADY_SIGNED
    assert prediction.evidence.status is TrackingStatus.DELIVERED
