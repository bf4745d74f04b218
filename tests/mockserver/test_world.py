"""Tests for the neutral domain (mockserver.world) and route planning (mockserver.world.itineraries)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from mockserver.clock import UTC
from mockserver.world import (
    Account,
    Address,
    FailReason,
    InterceptAnswer,
    InterceptKind,
    InterceptPlan,
    InterceptRecord,
    InterceptStatus,
    Parcel,
    ScanKind,
    Stage,
    intercept_rejection,
)
from mockserver.world.geo import Place
from mockserver.world.itineraries import (
    plan_auto_route,
    plan_stage_route,
    relay_for_address,
    relay_for_return,
)

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
WAYBILL = "73100130019486"


def _parcel(stage: Stage, waybill: str = WAYBILL, **places: Place) -> Parcel:
    origin, destination, route = plan_stage_route("zto", waybill, stage, now=NOW, **places)
    return Parcel(
        carrier="zto",
        app_key="k",
        waybill=waybill,
        origin=origin,
        destination=destination,
        route=route,
        created_at=NOW,
        source="admin",
    )


def _record(status: InterceptStatus) -> InterceptRecord:
    return InterceptRecord(
        id="I1",
        carrier="zto",
        app_key="k",
        waybill=WAYBILL,
        kind=InterceptKind.RETURN,
        request_id="r1",
        external_ref="r1",
        status=status,
        created_at=NOW,
        resolve_at=NOW,
        updated_at=NOW,
    )


def test_auto_route_is_the_same_for_the_same_waybill() -> None:
    first = plan_auto_route("zto", WAYBILL, anchor=NOW)
    assert plan_auto_route("zto", WAYBILL, anchor=NOW) == first
    assert plan_auto_route("zto", "73100196611386", anchor=NOW) != first


def test_auto_route_does_not_depend_on_python_hash_seed() -> None:
    code = (
        "from datetime import datetime, timezone; from mockserver.world.itineraries import plan_auto_route;"
        "print(plan_auto_route('zto', '73100130019486',"
        " anchor=datetime(2025, 1, 1, tzinfo=timezone.utc))[2][-1].to_dict())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


def test_forward_route_goes_from_pickup_through_hubs_to_signing() -> None:
    _, _, route = plan_auto_route("zto", WAYBILL, anchor=NOW)
    kinds = [scan.kind for scan in route]
    assert kinds[0] is ScanKind.PICKUP
    assert kinds[-1] is ScanKind.SIGNED
    assert ScanKind.OUT_FOR_DELIVERY in kinds
    assert sum(1 for scan in route if scan.site.name.endswith("转运中心")) >= 4
    assert [scan.time for scan in route] == sorted(scan.time for scan in route)


def test_auto_routes_spread_around_the_anchor() -> None:
    starts = [plan_auto_route("zto", f"7310013001{n:04d}", anchor=NOW)[2][0].time for n in range(200)]
    assert min(starts) >= NOW - timedelta(hours=96)
    assert max(starts) <= NOW + timedelta(hours=6)
    assert any(start > NOW for start in starts)  # some are not picked up yet


@pytest.mark.parametrize(
    ("stage", "last_kind"),
    [
        (Stage.PICKED_UP, ScanKind.PICKUP),
        (Stage.IN_TRANSIT, ScanKind.ARRIVE),
        (Stage.OUT_FOR_DELIVERY, ScanKind.OUT_FOR_DELIVERY),
        (Stage.SIGNED, ScanKind.SIGNED),
    ],
)
def test_stage_route_has_just_reached_its_stage(stage: Stage, last_kind: ScanKind) -> None:
    parcel = _parcel(stage)
    shown = parcel.visible(NOW)
    assert shown[-1].kind is last_kind
    assert NOW - timedelta(minutes=20) <= shown[-1].time <= NOW
    assert len(shown) < len(parcel.route) or stage is Stage.SIGNED


def test_created_stage_has_no_visible_scan_yet() -> None:
    parcel = _parcel(Stage.CREATED)
    assert parcel.visible(NOW) == ()
    assert NOW < parcel.route[0].time <= NOW + timedelta(hours=3)


def test_stage_route_honours_origin_and_destination_even_unknown_cities() -> None:
    parcel = _parcel(
        Stage.IN_TRANSIT,
        origin=Place(province="浙江省", city="杭州市"),
        destination=Place(province="西藏自治区", city="拉萨市"),
    )
    assert parcel.route[0].site.city == "杭州市"
    assert parcel.route[-1].site.city == "拉萨市"
    assert any(scan.site.name == "拉萨转运中心" for scan in parcel.route)


def test_return_relay_drops_future_scans_and_ends_returned_at_the_pickup_outlet() -> None:
    parcel = _parcel(Stage.IN_TRANSIT)
    at = NOW + timedelta(minutes=5)
    returned = relay_for_return(parcel, at, salt="I1")
    assert returned.route[: len(parcel.visible(at))] == parcel.visible(at)
    tail = returned.route[len(parcel.visible(at)) :]
    assert tail[0].kind is ScanKind.RETURN and tail[0].time == at
    assert tail[0].site == parcel.visible(at)[-1].site
    assert {scan.kind for scan in tail[1:-1]} == {ScanKind.RETURN_TRANSIT}
    assert tail[-1].kind is ScanKind.RETURNED
    assert tail[-1].site == parcel.route[0].site
    assert tail[-1].signer == "寄件人"


def test_return_before_pickup_leaves_no_scans() -> None:
    assert relay_for_return(_parcel(Stage.CREATED), NOW, salt="x").route == ()


def test_address_relay_sends_the_rest_of_the_route_to_the_new_city() -> None:
    parcel = _parcel(Stage.IN_TRANSIT, destination=Place(province="上海市", city="上海市"))
    address = Address(
        name="王五",
        phone="13800138000",
        province="四川省",
        city="成都市",
        district="锦江区",
        detail="春熙路1号",
    )
    moved = relay_for_address(parcel, NOW, address, salt="I1")
    assert moved.destination == Place(province="四川省", city="成都市")
    assert moved.route[-1].kind is ScanKind.SIGNED
    assert moved.route[-1].site.city == "成都市"
    assert any(scan.site.name == "成都锦江区营业部" for scan in moved.route)
    assert all(scan.site.city != "上海市" or scan.time <= NOW for scan in moved.route)


def test_intercept_rejection_rules_apply_in_order() -> None:
    assert intercept_rejection(None, [], NOW) is FailReason.NOT_FOUND
    assert intercept_rejection(_parcel(Stage.SIGNED), [], NOW) is FailReason.ALREADY_SIGNED
    ofd = _parcel(Stage.OUT_FOR_DELIVERY)
    assert intercept_rejection(ofd, [_record(InterceptStatus.PENDING)], NOW) is FailReason.OUT_FOR_DELIVERY
    moving = _parcel(Stage.IN_TRANSIT)
    assert intercept_rejection(moving, [_record(InterceptStatus.PENDING)], NOW) is FailReason.DUPLICATE
    assert intercept_rejection(moving, [_record(InterceptStatus.SUCCEEDED)], NOW) is FailReason.NOT_SUPPORTED
    assert intercept_rejection(moving, [_record(InterceptStatus.CANCELLED)], NOW) is None
    assert intercept_rejection(_parcel(Stage.CREATED), [], NOW) is None


def test_values_round_trip_through_dicts() -> None:
    parcel = _parcel(Stage.OUT_FOR_DELIVERY)
    assert Parcel.from_dict(parcel.to_dict()) == parcel
    record = InterceptRecord(
        id="I1",
        carrier="zto",
        app_key="k",
        waybill=WAYBILL,
        kind=InterceptKind.CHANGE_ADDRESS,
        request_id="r",
        external_ref="r",
        status=InterceptStatus.FAILED,
        fail_reason=FailReason.ALREADY_SIGNED,
        created_at=NOW,
        resolve_at=NOW,
        updated_at=NOW,
        new_address=Address(name="a", phone="13800138000", province="p", city="c"),
    )
    assert InterceptRecord.from_dict(record.to_dict()) == record
    stuck = _record(InterceptStatus.PENDING)
    stuck = InterceptRecord.from_dict({**stuck.to_dict(), "resolve_at": None, "planned_status": "SUCCEEDED"})
    assert stuck.resolve_at is None and stuck.planned_status is InterceptStatus.SUCCEEDED
    assert InterceptRecord.from_dict(stuck.to_dict()) == stuck
    outcome = InterceptAnswer(fail_reason=FailReason.DUPLICATE)
    assert InterceptAnswer.from_dict(outcome.to_dict()) == outcome
    account = Account(carrier="zto", app_key="k", app_secret="s3cret", epoch=NOW, extra={"a": 1})
    assert Account.from_dict(account.to_dict()) == account


def test_account_never_shows_its_secret() -> None:
    account = Account(carrier="zto", app_key="k", app_secret="s3cret-value", epoch=NOW)
    assert "s3cret-value" not in repr(account)
    assert "s3cret-value" not in str(account.public_dict())


def test_intercept_plan_only_resolves_to_success_or_failure() -> None:
    with pytest.raises(ValueError, match="SUCCEEDED or FAILED"):
        InterceptPlan(result=InterceptStatus.CANCELLED)
    assert InterceptPlan(result=InterceptStatus.FAILED, reason=FailReason.OTHER).delay_seconds is None
