"""Intercept eligibility (platform-rules §1): every failing condition, and the likely answer."""

from __future__ import annotations

import enum
from typing import FrozenSet, List, Optional, Tuple

from attrs import field, frozen

from kscarriers.errors import ValidationError
from kscarriers.models import InterceptFailure, TrackingEvent, TrackingStatus, TrackResult
from kscarriers.rules._checks import fen_to_yuan
from kscarriers.rules.facts import Merchant, Order, OrderStatus, Refund, RefundType, ShopStatus

__all__ = [
    "INTERCEPT_REFUND_LIMIT_FEN",
    "SUPPORTED_CARRIERS",
    "CarrierPrediction",
    "EligibilityReport",
    "Failure",
    "IneligibilityReason",
    "check_eligibility",
    "predict_carrier_answer",
]

#: Carriers whose intercept service the platform supports (condition 1). A fact of Kuaishou's
#: rules, not of this SDK: it is deliberately not ``default_registry.slugs()``, since a carrier
#: plug-in can be installed without the platform letting its parcels be intercepted.
SUPPORTED_CARRIERS: FrozenSet[str] = frozenset({"zto", "yto", "sto", "jt"})

#: The refund must be strictly below this (500 yuan) for an intercept (condition 7).
INTERCEPT_REFUND_LIMIT_FEN = 50_000


class IneligibilityReason(str, enum.Enum):
    """The ten conditions of platform-rules §1, named by how they fail, in table order."""

    CARRIER_NOT_SUPPORTED = "carrier_not_supported"
    CROSS_BORDER_MERCHANT = "cross_border_merchant"
    SHOP_NOT_OPERATING = "shop_not_operating"
    AGREEMENT_NOT_SIGNED = "agreement_not_signed"
    EXCLUDED_CATEGORY = "excluded_category"
    MULTI_PARCEL_ORDER = "multi_parcel_order"
    REFUND_AMOUNT_TOO_HIGH = "refund_amount_too_high"
    NO_E_WAYBILL_SERVICE = "no_e_waybill_service"
    WRONG_REFUND_TYPE_OR_NOT_SHIPPED = "wrong_refund_type_or_not_shipped"
    ALREADY_SIGNED = "already_signed"

    @property
    def summary(self) -> str:
        """The platform's short wording of the failure."""
        return _SUMMARIES[self]


_SUMMARIES = {
    IneligibilityReason.CARRIER_NOT_SUPPORTED: "carrier not supported",
    IneligibilityReason.CROSS_BORDER_MERCHANT: "cross-border merchant",
    IneligibilityReason.SHOP_NOT_OPERATING: "shop not in normal operation",
    IneligibilityReason.AGREEMENT_NOT_SIGNED: "agreement not signed",
    IneligibilityReason.EXCLUDED_CATEGORY: "excluded category",
    IneligibilityReason.MULTI_PARCEL_ORDER: "multi-parcel order",
    IneligibilityReason.REFUND_AMOUNT_TOO_HIGH: "refund amount too high",
    IneligibilityReason.NO_E_WAYBILL_SERVICE: "no e-waybill service with carrier",
    IneligibilityReason.WRONG_REFUND_TYPE_OR_NOT_SHIPPED: "wrong refund type / not shipped",
    IneligibilityReason.ALREADY_SIGNED: "already signed for",
}


@frozen(kw_only=True)
class Failure:
    """One failed condition: the typed reason and a message naming the facts behind it."""

    reason: IneligibilityReason
    message: str


@frozen(kw_only=True)
class CarrierPrediction:
    """What the carrier will most likely answer, read from tracking data.

    Only a prediction: the carrier's own answer is final.
    """

    likely_failure: InterceptFailure
    evidence: TrackingEvent
    message: str


@frozen(kw_only=True)
class EligibilityReport:
    """The result of :func:`check_eligibility`.

    ``eligible`` means the merchant *may request* an intercept, not that it will succeed.
    """

    failures: Tuple[Failure, ...] = field(factory=tuple)
    carrier_prediction: Optional[CarrierPrediction] = None

    @property
    def eligible(self) -> bool:
        """Whether every condition holds."""
        return not self.failures

    @property
    def reasons(self) -> FrozenSet[IneligibilityReason]:
        """The reasons of all failures, as a set."""
        return frozenset(failure.reason for failure in self.failures)


def check_eligibility(
    *,
    order: Order,
    merchant: Merchant,
    refund: Refund,
    tracking: Optional[TrackResult] = None,
) -> EligibilityReport:
    """Check the ten conditions of platform-rules §1 and report every one that fails.

    Carrier conditions (1 and 8) are checked for every parcel of the order. An order with no
    parcel fails condition 9 (not shipped) and skips the carrier conditions. Condition 10 fails
    when the order status is received / trade complete, or when ``tracking`` shows the parcel
    delivered now (its latest meaningful scan; a delivery scan followed by a take-out or return
    scan does not count).

    Args:
        order: The order the refund belongs to.
        merchant: The merchant's facts.
        refund: The buyer's refund request.
        tracking: The parcel's tracking, if at hand; it adds condition-10 evidence and a
            prediction of the carrier's answer.

    Returns:
        An EligibilityReport listing every failed condition, in table order.

    Raises:
        ValidationError: if ``tracking`` is for a waybill that is not one of the order's parcels.
    """
    if tracking is not None and not any(parcel.waybill == tracking.waybill for parcel in order.parcels):
        raise ValidationError(
            field="tracking", reason=f"waybill {tracking.waybill} is not a parcel of the order"
        )
    failures: List[Failure] = []

    def fail(reason: IneligibilityReason, detail: str) -> None:
        failures.append(Failure(reason=reason, message=f"{reason.summary}: {detail}"))

    unsupported = sorted({p.carrier for p in order.parcels} - SUPPORTED_CARRIERS)
    if unsupported:
        fail(
            IneligibilityReason.CARRIER_NOT_SUPPORTED,
            f"{', '.join(unsupported)} (supported: {', '.join(sorted(SUPPORTED_CARRIERS))})",
        )
    if merchant.cross_border:
        fail(IneligibilityReason.CROSS_BORDER_MERCHANT, "cross-border merchants cannot intercept")
    if merchant.shop_status is not ShopStatus.NORMAL:
        fail(IneligibilityReason.SHOP_NOT_OPERATING, f"shop status is {merchant.shop_status.value}")
    if not merchant.intercept_agreement_signed:
        fail(IneligibilityReason.AGREEMENT_NOT_SIGNED, "sign the intercept service agreement first")
    excluded = sorted({c.value for c in order.item_categories if c.excluded_from_intercept})
    if excluded:
        fail(IneligibilityReason.EXCLUDED_CATEGORY, f"order contains {', '.join(excluded)}")
    if len(order.parcels) > 1:
        fail(IneligibilityReason.MULTI_PARCEL_ORDER, f"shipped in {len(order.parcels)} parcels")
    if refund.amount_fen >= INTERCEPT_REFUND_LIMIT_FEN:
        fail(
            IneligibilityReason.REFUND_AMOUNT_TOO_HIGH,
            f"refund of {fen_to_yuan(refund.amount_fen)} yuan is not below "
            f"{fen_to_yuan(INTERCEPT_REFUND_LIMIT_FEN)} yuan",
        )
    no_service = sorted({p.carrier for p in order.parcels} - merchant.e_waybill_carriers)
    if no_service:
        fail(
            IneligibilityReason.NO_E_WAYBILL_SERVICE,
            f"the merchant does not use the platform e-waybill service of {', '.join(no_service)}",
        )
    problems = _refund_problems(order, refund)
    if problems:
        fail(IneligibilityReason.WRONG_REFUND_TYPE_OR_NOT_SHIPPED, "; ".join(problems))
    signed = _signed_evidence(order, tracking)
    if signed:
        fail(IneligibilityReason.ALREADY_SIGNED, signed)
    prediction = predict_carrier_answer(tracking)
    return EligibilityReport(failures=tuple(failures), carrier_prediction=prediction)


def _refund_problems(order: Order, refund: Refund) -> List[str]:
    problems = []
    if refund.type is not RefundType.REFUND_ONLY:
        problems.append(f"refund type is {refund.type.value}, not refund_only")
    if not order.is_shipped or not order.parcels:
        problems.append("the order has not shipped")
    elif not refund.requested_after_shipment:
        problems.append("the refund was requested before shipment")
    return problems


def _signed_evidence(order: Order, tracking: Optional[TrackResult]) -> str:
    if order.status in (OrderStatus.RECEIVED, OrderStatus.TRADE_COMPLETE):
        return f"order status is {order.status.value}"
    current = None if tracking is None else tracking.current
    if tracking is not None and current is not None and tracking.is_signed:
        return f"{tracking.carrier} reports delivery at {current.time.isoformat()}"
    return ""


def predict_carrier_answer(tracking: Optional[TrackResult]) -> Optional[CarrierPrediction]:
    """Predict the carrier's likely refusal from the parcel's current state, or None.

    The current state is the latest meaningful scan (:attr:`TrackResult.current`), not any
    past one: a parcel delivered now is likely refused as already signed; one out for delivery
    (waiting at a pickup point, or taken back out of one) as out for delivery. A delivery scan
    followed by a take-out or return scan predicts no "already signed".
    """
    current = None if tracking is None else tracking.current
    if current is None:
        return None
    if current.status is TrackingStatus.DELIVERED:
        return CarrierPrediction(
            likely_failure=InterceptFailure.ALREADY_SIGNED,
            evidence=current,
            message=f"the parcel was signed for at {current.time.isoformat()}",
        )
    if current.status is TrackingStatus.OUT_FOR_DELIVERY:
        return CarrierPrediction(
            likely_failure=InterceptFailure.OUT_FOR_DELIVERY,
            evidence=current,
            message=f"the parcel has been out for delivery since {current.time.isoformat()}",
        )
    return None
