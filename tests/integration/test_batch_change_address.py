"""Batch change of address end to end: kscarriers.rules -> Client -> WSGITransport -> mockserver.

The mock's journal (``GET /__admin/requests``) shows what reached the carriers: an intercept for
each parcel that passed its check, and nothing at all for an order or parcel that failed it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Set

import pytest
from ksmock import make_parcel

from kscarriers import Address, Client, InterceptFailure, InterceptStatus
from kscarriers.models import CHINA_TZ, TrackResult
from kscarriers.rules import (
    BatchResult,
    Order,
    OrderOutcome,
    OrderResult,
    OrderStatus,
    Parcel,
    ParcelOutcome,
    RefusalReason,
    batch_change_address,
)

BUYER, SHOP = "buyer-1", "shop-1"
PAID = datetime(2026, 11, 30, 10, 0, tzinfo=CHINA_TZ)
NEW_ADDRESS = Address(
    name="王五", phone="13800138000", province="四川省", city="成都市", district="锦江区", detail="春熙路1号"
)
#: A prefix and a width per carrier that its waybill format accepts.
FORMATS = {"zto": ("7310", 14), "yto": ("YT26", 15), "sto": ("7770", 15), "jt": ("JT20", 15)}


def waybill(carrier: str, number: int) -> str:
    prefix, width = FORMATS[carrier]
    return prefix + str(number).zfill(width - len(prefix))


def shipped(order_id: str, *parcels: Parcel, buyer: str = BUYER) -> Order:
    return Order(
        order_id=order_id,
        status=OrderStatus.SHIPPED,
        amount_paid_fen=9_900,
        paid_at=PAID,
        shipped_at=PAID + timedelta(hours=3),
        parcels=parcels,
        buyer_id=buyer,
        shop_id=SHOP,
    )


def unshipped(order_id: str) -> Order:
    return Order(
        order_id=order_id,
        status=OrderStatus.AWAITING_SHIPMENT,
        amount_paid_fen=9_900,
        paid_at=PAID,
        promised_ship_by=PAID + timedelta(hours=48),
        buyer_id=BUYER,
        shop_id=SHOP,
    )


def journal(admin: Any) -> List[Dict[str, Any]]:
    answer = admin.get("/__admin/requests")
    assert answer.status_code == 200, answer.get_json()
    return list(answer.get_json()["requests"])


def clear_journal(admin: Any) -> None:
    answer = admin.delete("/__admin/requests")
    assert answer.status_code == 200, answer.get_json()


def called_waybills(admin: Any) -> Set[str]:
    return {entry["waybill"] for entry in journal(admin)}


def intercepts_sent(admin: Any) -> List[str]:
    return sorted(entry["waybill"] for entry in journal(admin) if entry["operation"] == "intercept")


@pytest.fixture
def world(ks_client: Client, ks_accounts: Any) -> Dict[str, Any]:
    """One order per outcome, across the four carriers, with the tracking the view was built from."""
    parcels = {
        "zto": make_parcel(ks_accounts, "zto", "in_transit", waybill("zto", 1)),
        "yto_signed": make_parcel(ks_accounts, "yto", "signed", waybill("yto", 2)),
        "sto": make_parcel(ks_accounts, "sto", "in_transit", waybill("sto", 3)),
        "jt": make_parcel(ks_accounts, "jt", "picked_up", waybill("jt", 4)),
        "jt_out": make_parcel(ks_accounts, "jt", "out_for_delivery", waybill("jt", 5)),
        "other": make_parcel(ks_accounts, "zto", "in_transit", waybill("zto", 6)),
    }
    orders = [
        shipped("O-ZTO", Parcel(carrier="zto", waybill=parcels["zto"])),
        shipped("O-YTO-SIGNED", Parcel(carrier="yto", waybill=parcels["yto_signed"])),
        shipped("O-STO", Parcel(carrier="sto", waybill=parcels["sto"])),
        shipped(
            "O-JT-TWO",
            Parcel(carrier="jt", waybill=parcels["jt"]),
            Parcel(carrier="jt", waybill=parcels["jt_out"]),
        ),
        unshipped("O-UNSHIPPED"),
        shipped("O-OTHER-BUYER", Parcel(carrier="zto", waybill=parcels["other"]), buyer="buyer-2"),
    ]
    tracking = [
        ks_client.track(parcels["yto_signed"], "yto"),
        ks_client.track(parcels["jt_out"], "jt"),
        ks_client.track(parcels["zto"], "zto"),
    ]
    clear_journal(ks_accounts)
    return {"orders": orders, "tracking": tracking, "parcels": parcels}


def run(client: Client, world: Dict[str, Any], **extra: Any) -> BatchResult:
    return batch_change_address(
        client,
        world["orders"],
        buyer_id=BUYER,
        shop_id=SHOP,
        new_address=NEW_ADDRESS,
        tracking=world["tracking"],
        **extra,
    )


def test_a_mixed_batch_gives_one_typed_result_per_order(ks_client: Client, world: Dict[str, Any]) -> None:
    result = run(ks_client, world)

    assert [(r.order_id, r.outcome) for r in result] == [
        ("O-ZTO", OrderOutcome.INTERCEPT_REQUESTED),
        ("O-YTO-SIGNED", OrderOutcome.REFUSED),
        ("O-STO", OrderOutcome.INTERCEPT_REQUESTED),
        ("O-JT-TWO", OrderOutcome.PARTLY_REQUESTED),
        ("O-UNSHIPPED", OrderOutcome.ADDRESS_UPDATE),
        ("O-OTHER-BUYER", OrderOutcome.REFUSED),
    ]
    assert result["O-YTO-SIGNED"].reasons == (RefusalReason.ALREADY_SIGNED,)
    assert result["O-OTHER-BUYER"].reasons == (RefusalReason.OTHER_BUYER,)
    two = result["O-JT-TWO"].parcels
    assert [(p.waybill, p.outcome) for p in two] == [
        (world["parcels"]["jt"], ParcelOutcome.REQUESTED),
        (world["parcels"]["jt_out"], ParcelOutcome.REFUSED),
    ]
    assert two[1].refusal is not None and two[1].refusal.reason is RefusalReason.OUT_FOR_DELIVERY
    for order_id in ("O-ZTO", "O-STO"):
        (parcel,) = result[order_id].parcels
        assert parcel.intercept is not None and parcel.intercept.status is InterceptStatus.PENDING
    update = result["O-UNSHIPPED"].address_update
    assert update is not None and update.new_address == NEW_ADDRESS


def test_the_journal_shows_intercepts_only_for_parcels_that_passed_their_check(
    ks_client: Client, ks_accounts: Any, world: Dict[str, Any]
) -> None:
    run(ks_client, world)

    parcels = world["parcels"]
    assert intercepts_sent(ks_accounts) == sorted([parcels["zto"], parcels["sto"], parcels["jt"]])
    assert called_waybills(ks_accounts).isdisjoint(
        {parcels["yto_signed"], parcels["jt_out"], parcels["other"]}
    )
    records = ks_accounts.get("/__admin/intercepts").get_json()["intercepts"]
    assert sorted(r["waybill"] for r in records) == sorted([parcels["zto"], parcels["sto"], parcels["jt"]])
    for record in records:
        assert record["kind"] == "change_address"
        assert record["new_address"]["city"] == "成都市"


def test_running_the_same_batch_again_sends_no_second_intercept(
    ks_client: Client, ks_accounts: Any, world: Dict[str, Any]
) -> None:
    first = run(ks_client, world)
    sent = intercepts_sent(ks_accounts)

    again = run(ks_client, world)

    assert intercepts_sent(ks_accounts) == sent
    assert [r.outcome for r in again] == [r.outcome for r in first]
    keys = [[p.idempotency_key for p in r.parcels] for r in first]
    assert keys == [[p.idempotency_key for p in r.parcels] for r in again]


def test_a_batch_of_fifty_orders_across_four_carriers_gives_one_result_each(
    ks_client: Client, ks_accounts: Any
) -> None:
    carriers = ["zto", "yto", "sto", "jt"]
    orders: List[Order] = []
    tracking: List[TrackResult] = []
    failing: Set[str] = set()
    passing: Set[str] = set()
    for number in range(50):
        carrier = carriers[number % 4]
        kind = number % 5
        if kind == 4:
            orders.append(unshipped(f"O-{number:02d}"))
            continue
        stage = "signed" if kind == 1 else "in_transit"
        number_ = make_parcel(ks_accounts, carrier, stage, waybill(carrier, 100 + number))
        buyer = "buyer-2" if kind == 3 else BUYER
        orders.append(shipped(f"O-{number:02d}", Parcel(carrier=carrier, waybill=number_), buyer=buyer))
        if kind == 1:
            tracking.append(ks_client.track(number_, carrier))
            failing.add(number_)
        elif kind == 3:
            failing.add(number_)
        else:
            passing.add(number_)
    clear_journal(ks_accounts)

    result = batch_change_address(
        ks_client,
        orders,
        buyer_id=BUYER,
        shop_id=SHOP,
        new_address=NEW_ADDRESS,
        tracking=tracking,
        max_workers=8,
    )

    assert len(result) == 50
    assert all(isinstance(r, OrderResult) for r in result)
    assert [r.order_id for r in result] == [o.order_id for o in orders]
    counts = result.counts()
    assert counts == {
        OrderOutcome.INTERCEPT_REQUESTED: 20,
        OrderOutcome.REFUSED: 20,
        OrderOutcome.ADDRESS_UPDATE: 10,
    }
    assert called_waybills(ks_accounts).isdisjoint(failing)
    assert intercepts_sent(ks_accounts) == sorted(passing)
    assert len(result.to_dict()["results"]) == 50


def test_without_tracking_at_hand_a_signed_parcel_is_sent_and_the_carriers_refusal_is_its_result(
    ks_client: Client, ks_accounts: Any
) -> None:
    signed = make_parcel(ks_accounts, "sto", "signed", waybill("sto", 9))
    clear_journal(ks_accounts)

    result = batch_change_address(
        ks_client,
        [shipped("O-STO-SIGNED", Parcel(carrier="sto", waybill=signed))],
        buyer_id=BUYER,
        shop_id=SHOP,
        new_address=NEW_ADDRESS,
    )

    (order,) = result
    assert order.outcome is OrderOutcome.REFUSED
    (parcel,) = order.parcels
    assert parcel.outcome is ParcelOutcome.CARRIER_REFUSED
    assert parcel.intercept is not None and parcel.intercept.failure is InterceptFailure.ALREADY_SIGNED
    assert intercepts_sent(ks_accounts) == [signed]


def test_a_second_batch_with_another_address_uses_new_keys_and_the_carrier_refuses_it_as_a_duplicate(
    ks_client: Client, ks_accounts: Any, world: Dict[str, Any]
) -> None:
    first = run(ks_client, world)
    moved = Address(name="王五", phone="13800138000", province="四川省", city="成都市", detail="天府大道2号")

    second = batch_change_address(
        ks_client,
        world["orders"],
        buyer_id=BUYER,
        shop_id=SHOP,
        new_address=moved,
        tracking=world["tracking"],
    )

    before = {p.waybill: p.idempotency_key for r in first for p in r.parcels}
    after = {p.waybill: p.idempotency_key for r in second for p in r.parcels}
    assert before.keys() == after.keys() and all(before[w] != after[w] for w in before)
    sent = [p for r in second for p in r.parcels if p.outcome is not ParcelOutcome.REFUSED]
    assert sent and all(p.outcome is not ParcelOutcome.ERROR for p in sent), [p.error for p in sent]
    # The first change is still under way at the carrier: its refusal is the parcel's result.
    assert {(p.outcome, p.intercept.failure if p.intercept else None) for p in sent} == {
        (ParcelOutcome.CARRIER_REFUSED, InterceptFailure.DUPLICATE_REQUEST)
    }
