"""False-shipment audit: the platform's examples, scan timeliness, time anomalies, evidence."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from rules_builders import PAID, SHIPPED, WAYBILL, at, delivered, event, in_transit, order, track

from kscarriers.errors import ValidationError
from kscarriers.models import CHINA_TZ, TrackingStatus
from kscarriers.rules import (
    AuditThresholds,
    BuyerAddress,
    CpcaResolver,
    EvidenceSource,
    FindingKind,
    Region,
    audit_shipment,
)

S = TrackingStatus
NOW = PAID + timedelta(days=5)


def test_a_normal_journey_has_no_findings() -> None:
    report = audit_shipment(order(), delivered(), now=NOW)
    assert report.findings == ()
    assert not report.suspected_false_shipment
    assert report.compensation is None
    assert (report.carrier, report.waybill) == ("zto", WAYBILL)


def test_platform_example_pickup_before_payment() -> None:
    paid = datetime(2023, 3, 8, 12, 0, 0, tzinfo=CHINA_TZ)
    pickup = event(datetime(2023, 2, 28, 16, 0, 0, tzinfo=CHINA_TZ), S.PICKED_UP)
    report = audit_shipment(order(paid_at=paid), track([pickup]), now=NOW)
    assert report.kinds == {FindingKind.PICKUP_BEFORE_PAYMENT}
    finding = report.findings[0]
    assert "2023-02-28T16:00:00+08:00" in finding.message
    assert [e.source for e in finding.evidence] == [EvidenceSource.ORDER, EvidenceSource.SCAN]
    assert finding.evidence[1].event == pickup
    assert report.compensation is not None
    assert report.compensation.amount_fen == 3870  # 30% of 129.00 yuan


def test_pickup_at_the_payment_instant_is_not_earlier() -> None:
    report = audit_shipment(order(), track([event(PAID, S.PICKED_UP)]), now=NOW)
    assert FindingKind.PICKUP_BEFORE_PAYMENT not in report.kinds


def test_info_received_before_payment_is_not_a_pickup() -> None:
    tracking = track([event(PAID - timedelta(days=1), S.INFO_RECEIVED), *in_transit().events])
    assert audit_shipment(order(), tracking, now=NOW).findings == ()


def test_platform_example_route_mismatch_guangzhou_vs_hangzhou() -> None:
    buyer = BuyerAddress(province="广东", city="广州")
    report = audit_shipment(
        order(buyer_address=buyer),
        in_transit(),
        now=NOW,
        waybill_destination=BuyerAddress(province="浙江省", city="杭州市"),
    )
    assert report.kinds == {FindingKind.ROUTE_MISMATCH}
    finding = report.findings[0]
    assert "浙江省杭州" in finding.message and "广东省广州" in finding.message
    assert [e.source for e in finding.evidence] == [
        EvidenceSource.BUYER_ADDRESS_FIELDS,
        EvidenceSource.WAYBILL_DESTINATION_FIELDS,
    ]


def test_route_destination_from_the_delivery_scans() -> None:
    tracking = track(
        [
            event(at(7), S.PICKED_UP, province="广东省", city="广州市"),
            event(at(20), S.OUT_FOR_DELIVERY, province="浙江", city="杭州"),
            event(at(22), S.DELIVERED, province="浙江", city="杭州"),
        ]
    )
    report = audit_shipment(order(), tracking, now=NOW)
    assert report.kinds == {FindingKind.ROUTE_MISMATCH}
    destination = report.findings[0].evidence[1]
    assert destination.source is EvidenceSource.SCAN_REGION_FIELDS
    assert destination.event == tracking.events[-1]
    assert destination.region == Region(province="浙江省", city="杭州")


def test_different_city_same_province_is_a_mismatch() -> None:
    report = audit_shipment(
        order(), in_transit(), now=NOW, waybill_destination=BuyerAddress(province="广东省", city="深圳市")
    )
    assert report.kinds == {FindingKind.ROUTE_MISMATCH}
    assert "different city" in report.findings[0].message


def test_return_scans_are_not_the_destination() -> None:
    tracking = track(
        [
            *delivered().events[:-1],
            event(at(40), S.RETURNING, province="浙江省", city="杭州市"),
            event(at(60), S.DELIVERED, province="浙江省", city="杭州市"),
        ]
    )
    report = audit_shipment(order(), tracking, now=NOW)
    assert FindingKind.ROUTE_MISMATCH not in report.kinds


def test_without_destination_evidence_the_route_is_noted_not_judged() -> None:
    report = audit_shipment(order(), in_transit(), now=NOW)
    assert report.findings == ()
    assert any("route not checked" in note for note in report.notes)


def test_municipality_is_compared_at_province_level() -> None:
    report = audit_shipment(
        order(buyer_address=BuyerAddress(province="上海", city="上海市", district="浦东新区")),
        in_transit(),
        now=NOW,
        waybill_destination=BuyerAddress(province="上海市", city="市辖区"),
    )
    assert report.findings == ()
    assert any("province level" in note for note in report.notes)


def test_free_text_needs_a_resolver_and_says_it_used_one() -> None:
    buyer = BuyerAddress(detail="广东省广州市天河区体育西路1号")
    scan = event(at(30), S.OUT_FOR_DELIVERY, description="【郑州市】快件已到达【郑州高新区】")
    tracking = track([event(at(7), S.PICKED_UP), scan])
    without = audit_shipment(order(buyer_address=buyer), tracking, now=NOW)
    assert without.findings == () and without.notes
    report = audit_shipment(order(buyer_address=buyer), tracking, now=NOW, resolver=CpcaResolver())
    assert report.kinds == {FindingKind.ROUTE_MISMATCH}
    sources = [e.source for e in report.findings[0].evidence]
    assert sources == [EvidenceSource.BUYER_ADDRESS_TEXT, EvidenceSource.SCAN_REGION_TEXT]
    assert all(source.free_text for source in sources)
    assert report.findings[0].evidence[1].region == Region(province="河南省", city="郑州")


@pytest.mark.parametrize(
    ("elapsed", "flagged"),
    [(timedelta(hours=48) - timedelta(seconds=1), False), (timedelta(hours=48), True)],
)
def test_no_scans_after_the_default_48_hours(elapsed: timedelta, flagged: bool) -> None:
    report = audit_shipment(order(), track([]), now=SHIPPED + elapsed)
    assert (FindingKind.NO_SCANS_AFTER_SHIPMENT in report.kinds) is flagged


def test_no_scan_threshold_is_configurable() -> None:
    thresholds = AuditThresholds(no_scan_after=timedelta(hours=24))
    report = audit_shipment(order(), track([]), now=SHIPPED + timedelta(hours=24), thresholds=thresholds)
    assert report.kinds == {FindingKind.NO_SCANS_AFTER_SHIPMENT}
    assert "24 h" in report.findings[0].message


def test_only_e_waybill_info_is_no_pickup() -> None:
    tracking = track([event(SHIPPED, S.INFO_RECEIVED)])
    report = audit_shipment(order(), tracking, now=SHIPPED + timedelta(days=3))
    assert report.kinds == {FindingKind.NO_PICKUP_AFTER_SHIPMENT}


def test_late_first_pickup_is_flagged() -> None:
    tracking = track([event(SHIPPED + timedelta(hours=60), S.PICKED_UP)])
    report = audit_shipment(order(), tracking, now=SHIPPED + timedelta(days=5))
    assert report.kinds == {FindingKind.NO_PICKUP_AFTER_SHIPMENT}
    assert report.findings[0].evidence[1].event == tracking.events[0]


def test_signed_before_pickup() -> None:
    tracking = track([event(at(10), S.PICKED_UP), event(at(8), S.DELIVERED)])
    report = audit_shipment(order(), tracking, now=NOW)
    assert FindingKind.SIGNED_BEFORE_PICKUP in report.kinds
    assert FindingKind.TIME_RUNS_BACKWARDS in report.kinds


def test_time_running_backwards_beyond_the_skew() -> None:
    small = track([event(at(8), S.PICKED_UP), event(at(8) - timedelta(minutes=10), S.IN_TRANSIT)])
    assert audit_shipment(order(), small, now=NOW).findings == ()
    big = track([event(at(8), S.PICKED_UP), event(at(8) - timedelta(hours=3), S.IN_TRANSIT)])
    report = audit_shipment(order(), big, now=NOW)
    assert report.kinds == {FindingKind.TIME_RUNS_BACKWARDS}
    assert report.findings[0].evidence[0].event == big.events[1]


def test_scans_dated_in_the_future() -> None:
    tracking = track([event(at(8), S.PICKED_UP), event(NOW + timedelta(days=1), S.IN_TRANSIT)])
    report = audit_shipment(order(), tracking, now=NOW)
    assert report.kinds == {FindingKind.SCAN_IN_FUTURE}


def test_missing_facts_become_notes() -> None:
    report = audit_shipment(order(paid_at=None, shipped_at=None, buyer_address=None), in_transit(), now=NOW)
    assert report.findings == ()
    assert len(report.notes) == 3


def test_inputs_are_checked() -> None:
    with pytest.raises(ValidationError, match="now"):
        audit_shipment(order(), in_transit(), now=datetime(2023, 3, 9))
    with pytest.raises(ValidationError, match="tracking"):
        audit_shipment(order(), in_transit("OTHER"), now=NOW)
