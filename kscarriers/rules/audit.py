"""False-shipment audit (platform-rules §3): findings over a waybill's scans, with evidence."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import FrozenSet, List, Optional, Tuple

from attrs import field, frozen

from kscarriers.errors import ValidationError
from kscarriers.models import TrackingEvent, TrackingStatus, TrackResult
from kscarriers.rules import _checks
from kscarriers.rules.compensation import Compensation, false_shipment_compensation
from kscarriers.rules.facts import BuyerAddress, Order
from kscarriers.rules.regions import AddressResolver, Region, RegionMatch, compare_regions

__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "DEFAULT_NO_SCAN_THRESHOLD",
    "AuditReport",
    "AuditThresholds",
    "Evidence",
    "EvidenceSource",
    "Finding",
    "FindingKind",
    "audit_shipment",
]

#: A waybill with no pickup scan this long after the merchant reported shipping is flagged.
DEFAULT_NO_SCAN_THRESHOLD = timedelta(hours=48)
#: Carrier clocks and batch uploads disagree by minutes; smaller gaps are not anomalies.
DEFAULT_CLOCK_SKEW = timedelta(minutes=30)

# Scans that prove nothing moved: an e-waybill number is "info received" as soon as it is printed.
_NOT_PHYSICAL = frozenset({TrackingStatus.INFO_RECEIVED, TrackingStatus.UNKNOWN})
# Scans made where the parcel is delivered, hence at the destination.
_DELIVERY_SIDE = frozenset(
    {TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.DELIVERED, TrackingStatus.FAILED_ATTEMPT}
)
_RETURN_SIDE = frozenset({TrackingStatus.RETURNING, TrackingStatus.RETURNED})


class FindingKind(str, enum.Enum):
    """What looks abnormal. The first two are the platform's own false-shipment cases."""

    PICKUP_BEFORE_PAYMENT = "pickup_before_payment"
    ROUTE_MISMATCH = "route_mismatch"
    NO_SCANS_AFTER_SHIPMENT = "no_scans_after_shipment"
    NO_PICKUP_AFTER_SHIPMENT = "no_pickup_after_shipment"
    SIGNED_BEFORE_PICKUP = "signed_before_pickup"
    TIME_RUNS_BACKWARDS = "time_runs_backwards"
    SCAN_IN_FUTURE = "scan_in_future"


class EvidenceSource(str, enum.Enum):
    """Where a piece of evidence came from."""

    ORDER = "order"
    SCAN = "scan"
    SCAN_REGION_FIELDS = "scan_region_fields"
    SCAN_REGION_TEXT = "scan_region_text"
    WAYBILL_DESTINATION_FIELDS = "waybill_destination_fields"
    WAYBILL_DESTINATION_TEXT = "waybill_destination_text"
    BUYER_ADDRESS_FIELDS = "buyer_address_fields"
    BUYER_ADDRESS_TEXT = "buyer_address_text"

    @property
    def free_text(self) -> bool:
        """Whether the evidence was resolved from free text (with ``cpca``)."""
        return self.value.endswith("_text")


@frozen(kw_only=True)
class Evidence:
    """One fact behind a finding: its source, a description, and the scan or region."""

    source: EvidenceSource
    detail: str
    event: Optional[TrackingEvent] = None
    region: Optional[Region] = None


@frozen(kw_only=True)
class Finding:
    """One anomaly with the evidence for it."""

    kind: FindingKind
    message: str
    evidence: Tuple[Evidence, ...] = field(factory=tuple)


@frozen(kw_only=True)
class AuditThresholds:
    """Tunable limits of the audit.

    Attributes:
        no_scan_after: How long after shipping a pickup scan may be missing (default 48 h).
        clock_skew: Time differences below this between scans are not anomalies (30 min).
    """

    no_scan_after: timedelta = DEFAULT_NO_SCAN_THRESHOLD
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW


@frozen(kw_only=True)
class AuditReport:
    """The audit of one waybill.

    Attributes:
        carrier: The carrier slug.
        waybill: The waybill audited.
        findings: Every anomaly found, each with its evidence.
        notes: Checks that could not be made, and why (missing payment time, no destination …).
        compensation: What the buyer would be owed if the platform rules a false shipment.
    """

    carrier: str
    waybill: str
    findings: Tuple[Finding, ...] = field(factory=tuple)
    notes: Tuple[str, ...] = field(factory=tuple)
    compensation: Optional[Compensation] = None

    @property
    def suspected_false_shipment(self) -> bool:
        """Whether anything abnormal was found."""
        return bool(self.findings)

    @property
    def kinds(self) -> FrozenSet[FindingKind]:
        """The kinds of all findings."""
        return frozenset(finding.kind for finding in self.findings)


def audit_shipment(
    order: Order,
    tracking: TrackResult,
    *,
    now: datetime,
    waybill_destination: Optional[BuyerAddress] = None,
    resolver: Optional[AddressResolver] = None,
    thresholds: AuditThresholds = AuditThresholds(),
) -> AuditReport:
    """Audit one of an order's waybills for signs of a false shipment.

    The route check compares the buyer's confirmed address with the waybill's destination at
    province and city level, with administrative names normalised (see :mod:`.regions`). The
    destination is ``waybill_destination`` when given (e.g. from the e-waybill print data),
    otherwise the place of the latest delivery-side scan (out for delivery, failed attempt,
    delivered) before any return scan. Structured province/city fields are used when present;
    free text (the buyer's address line, a scan's location or description) is read only when a
    ``resolver`` (such as :class:`~kscarriers.rules.regions.CpcaResolver`) is given. Each
    piece of evidence names its source.

    Args:
        order: The order; ``paid_at``, ``shipped_at`` and ``buyer_address`` feed the checks.
        tracking: The tracking of one of the order's parcels.
        now: The current time, timezone-aware.
        waybill_destination: The address printed on the waybill, if known.
        resolver: Resolves free-text addresses; without one only structured fields are used.
        thresholds: The audit's limits.

    Returns:
        The AuditReport, with the compensation when anything was found.

    Raises:
        ValidationError: if ``now`` is naive or ``tracking`` is not for one of the parcels.
    """
    now = _checks.aware("now", now)
    if not any(parcel.waybill == tracking.waybill for parcel in order.parcels):
        raise ValidationError(
            field="tracking", reason=f"waybill {tracking.waybill} is not a parcel of the order"
        )
    findings: List[Finding] = []
    notes: List[str] = []
    events = tracking.events
    physical = [e for e in events if e.status not in _NOT_PHYSICAL]
    pickups = [e for e in events if e.status is TrackingStatus.PICKED_UP]
    first_pickup = min(pickups or physical, key=lambda e: e.time, default=None)

    if order.paid_at is None:
        notes.append("pickup-before-payment not checked: the order has no payment time")
    elif first_pickup is not None and first_pickup.time < order.paid_at:
        findings.append(
            Finding(
                kind=FindingKind.PICKUP_BEFORE_PAYMENT,
                message=f"first pickup scan at {first_pickup.time.isoformat()} is earlier than "
                f"the payment at {order.paid_at.isoformat()}",
                evidence=(
                    Evidence(source=EvidenceSource.ORDER, detail="paid_at"),
                    Evidence(source=EvidenceSource.SCAN, detail="first pickup", event=first_pickup),
                ),
            )
        )
    findings.extend(_route(order, tracking, waybill_destination, resolver, notes))
    findings.extend(_missing_scans(order, events, physical, now, thresholds, notes))
    findings.extend(_time_anomalies(events, pickups, now, thresholds))
    compensation = false_shipment_compensation(amount_paid_fen=order.amount_paid_fen) if findings else None
    return AuditReport(
        carrier=tracking.carrier,
        waybill=tracking.waybill,
        findings=tuple(findings),
        notes=tuple(notes),
        compensation=compensation,
    )


def _address_region(
    address: BuyerAddress,
    resolver: Optional[AddressResolver],
    sources: Tuple[EvidenceSource, EvidenceSource],
    label: str,
) -> Optional[Evidence]:
    fields_source, text_source = sources
    if address.province:
        region = Region.of(address.province, address.city)
        if region is not None:
            return Evidence(source=fields_source, detail=f"{label}: {region}", region=region)
    line = "".join((address.province, address.city, address.district, address.detail))
    if resolver is not None and line:
        region = resolver.resolve(line)
        if region is not None:
            return Evidence(source=text_source, detail=f"{label}: {region}", region=region)
    return None


def _scan_region(event: TrackingEvent, resolver: Optional[AddressResolver]) -> Optional[Evidence]:
    if event.province:
        region = Region.of(event.province, event.city)
        if region is not None:
            return Evidence(
                source=EvidenceSource.SCAN_REGION_FIELDS,
                detail=f"destination scan in {region}",
                event=event,
                region=region,
            )
    if resolver is not None:
        for text in (event.location, event.description):
            region = resolver.resolve(text) if text else None
            if region is not None:
                return Evidence(
                    source=EvidenceSource.SCAN_REGION_TEXT,
                    detail=f"destination scan in {region} (read from {text!r})",
                    event=event,
                    region=region,
                )
    return None


def _route(
    order: Order,
    tracking: TrackResult,
    destination: Optional[BuyerAddress],
    resolver: Optional[AddressResolver],
    notes: List[str],
) -> List[Finding]:
    if order.buyer_address is None:
        notes.append("route not checked: the order has no buyer address")
        return []
    buyer = _address_region(
        order.buyer_address,
        resolver,
        (EvidenceSource.BUYER_ADDRESS_FIELDS, EvidenceSource.BUYER_ADDRESS_TEXT),
        "buyer address",
    )
    if buyer is None:
        notes.append("route not checked: the buyer address has no recognisable province")
        return []
    target: Optional[Evidence] = None
    if destination is not None:
        target = _address_region(
            destination,
            resolver,
            (EvidenceSource.WAYBILL_DESTINATION_FIELDS, EvidenceSource.WAYBILL_DESTINATION_TEXT),
            "waybill destination",
        )
    else:
        delivery_side = []
        for event in sorted(tracking.events, key=lambda e: e.time):
            if event.status in _RETURN_SIDE:
                break
            if event.status in _DELIVERY_SIDE:
                delivery_side.append(event)
        for event in reversed(delivery_side):
            target = _scan_region(event, resolver)
            if target is not None:
                break
    if target is None or buyer.region is None or target.region is None:
        notes.append("route not checked: no destination evidence with a recognisable province")
        return []
    match = compare_regions(buyer.region, target.region)
    if match is RegionMatch.SAME_PROVINCE:
        notes.append("route compared at province level only (a city is unknown or not applicable)")
    if not match.is_mismatch:
        return []
    level = "province" if match is RegionMatch.DIFFERENT_PROVINCE else "city"
    return [
        Finding(
            kind=FindingKind.ROUTE_MISMATCH,
            message=f"the waybill goes to {target.region}, the buyer is in {buyer.region} "
            f"(different {level})",
            evidence=(buyer, target),
        )
    ]


def _missing_scans(
    order: Order,
    events: Tuple[TrackingEvent, ...],
    physical: List[TrackingEvent],
    now: datetime,
    thresholds: AuditThresholds,
    notes: List[str],
) -> List[Finding]:
    if order.shipped_at is None:
        if order.is_shipped:
            notes.append("scan timeliness not checked: the order has no shipping time")
        return []
    limit = order.shipped_at + thresholds.no_scan_after
    shipped = Evidence(source=EvidenceSource.ORDER, detail="shipped_at")
    hours = thresholds.no_scan_after.total_seconds() / 3600
    if not events and now >= limit:
        return [
            Finding(
                kind=FindingKind.NO_SCANS_AFTER_SHIPMENT,
                message=f"no scans at all {hours:g} h after shipping at {order.shipped_at.isoformat()}",
                evidence=(shipped,),
            )
        ]
    first = min(physical, key=lambda e: e.time, default=None)
    if first is None and events and now >= limit:
        return [
            Finding(
                kind=FindingKind.NO_PICKUP_AFTER_SHIPMENT,
                message=f"only e-waybill information, no pickup scan, {hours:g} h after shipping",
                evidence=(shipped,),
            )
        ]
    if first is not None and first.time > limit:
        return [
            Finding(
                kind=FindingKind.NO_PICKUP_AFTER_SHIPMENT,
                message=f"the first pickup scan came more than {hours:g} h after shipping",
                evidence=(shipped, Evidence(source=EvidenceSource.SCAN, detail="first scan", event=first)),
            )
        ]
    return []


def _time_anomalies(
    events: Tuple[TrackingEvent, ...],
    pickups: List[TrackingEvent],
    now: datetime,
    thresholds: AuditThresholds,
) -> List[Finding]:
    skew = thresholds.clock_skew
    findings: List[Finding] = []
    signed = [e for e in events if e.status is TrackingStatus.DELIVERED]
    if pickups and signed:
        pickup = min(pickups, key=lambda e: e.time)
        early = min(signed, key=lambda e: e.time)
        if early.time < pickup.time - skew:
            findings.append(
                Finding(
                    kind=FindingKind.SIGNED_BEFORE_PICKUP,
                    message=f"signed at {early.time.isoformat()}, before the pickup at "
                    f"{pickup.time.isoformat()}",
                    evidence=(
                        Evidence(source=EvidenceSource.SCAN, detail="signed", event=early),
                        Evidence(source=EvidenceSource.SCAN, detail="pickup", event=pickup),
                    ),
                )
            )
    # Carriers report scans oldest first; a later-reported scan far earlier than the one
    # before it means the history was edited or stitched together from another waybill.
    backwards = [
        Evidence(source=EvidenceSource.SCAN, detail=f"scan {i} is earlier than scan {i - 1}", event=e)
        for i, e in enumerate(events)
        if i and e.time < events[i - 1].time - skew
    ]
    if backwards:
        findings.append(
            Finding(
                kind=FindingKind.TIME_RUNS_BACKWARDS,
                message=f"{len(backwards)} scan(s) are earlier than the scan reported before them",
                evidence=tuple(backwards),
            )
        )
    future = [
        Evidence(source=EvidenceSource.SCAN, detail="scan time after now", event=e)
        for e in events
        if e.time > now + skew
    ]
    if future:
        findings.append(
            Finding(
                kind=FindingKind.SCAN_IN_FUTURE,
                message=f"{len(future)} scan(s) are dated after {now.isoformat()}",
                evidence=tuple(future),
            )
        )
    return findings
