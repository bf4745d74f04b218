"""Batch change of address and flag notes over one buyer's orders at one shop."""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rules_builders import PAID, at, delivered, event, in_transit, order, out_for_delivery, track

from kscarriers.errors import OutcomeUnknownError, ValidationError
from kscarriers.models import (
    Address,
    InterceptFailure,
    InterceptKind,
    InterceptResult,
    InterceptStatus,
    Operation,
    TrackingStatus,
    TrackingSubStatus,
)
from kscarriers.rules import (
    DEFAULT_MAX_WORKERS,
    BatchAction,
    FlagColor,
    OrderNote,
    OrderOutcome,
    OrderStatus,
    Parcel,
    ParcelOutcome,
    RefusalReason,
    batch_change_address,
    batch_flag_note,
    change_address_key,
)

BUYER, SHOP = "buyer-1", "shop-1"
ADDRESS = Address(
    name="王五", phone="13800138000", province="四川省", city="成都市", district="锦江区", detail="春熙路1号"
)
OTHER_ADDRESS = Address(
    name="王五", phone="13800138000", province="四川省", city="成都市", detail="天府大道2号"
)


class FakeClient:
    """Records intercepts; answers PENDING unless told otherwise per waybill."""

    def __init__(self, answers: Optional[Dict[str, Any]] = None, unable: Tuple[str, ...] = ()) -> None:
        self.answers = answers or {}
        self.unable = unable
        self.calls: List[Dict[str, Any]] = []
        self.lock = threading.Lock()

    def supports(self, carrier: str, operation: Operation) -> bool:
        return not (carrier in self.unable and operation is Operation.CHANGE_ADDRESS)

    def intercept(self, waybill: str, **kwargs: Any) -> InterceptResult:
        with self.lock:
            self.calls.append({"waybill": waybill, **kwargs})
        answer = self.answers.get(waybill)
        if isinstance(answer, Exception):
            raise answer
        if answer is not None:
            return answer  # type: ignore[no-any-return]
        return InterceptResult(carrier=kwargs["carrier"], waybill=waybill, status=InterceptStatus.PENDING)

    @property
    def waybills(self) -> List[str]:
        return sorted(call["waybill"] for call in self.calls)


def mine(order_id: str, *parcels: Parcel, **overrides: Any) -> Any:
    values: Dict[str, Any] = dict(order_id=order_id, parcels=list(parcels), buyer_id=BUYER, shop_id=SHOP)
    values.update(overrides)
    return order(**values)


def zto(number: int) -> Parcel:
    return Parcel(carrier="zto", waybill=f"ZT73{number:08d}")


def run(client: FakeClient, orders: List[Any], **extra: Any) -> Any:
    return batch_change_address(client, orders, buyer_id=BUYER, shop_id=SHOP, new_address=ADDRESS, **extra)


def test_an_unshipped_order_gets_an_address_update_to_perform_and_no_carrier_call() -> None:
    client = FakeClient()
    waiting = mine("O-1", status=OrderStatus.AWAITING_SHIPMENT, shipped_at=None)
    unpaid = mine("O-2", status=OrderStatus.AWAITING_PAYMENT, shipped_at=None, paid_at=None)
    result = run(client, [waiting, unpaid])
    assert [r.outcome for r in result] == [OrderOutcome.ADDRESS_UPDATE] * 2
    update = result["O-1"].address_update
    assert update is not None and (update.order_id, update.new_address) == ("O-1", ADDRESS)
    assert client.calls == []


def test_a_shipped_parcel_gets_a_change_of_address_intercept_with_a_stable_key() -> None:
    client = FakeClient()
    parcel = zto(1)
    result = run(client, [mine("O-1", parcel)])
    assert result["O-1"].outcome is OrderOutcome.INTERCEPT_REQUESTED
    (call,) = client.calls
    assert call["kind"] is InterceptKind.CHANGE_ADDRESS and call["new_address"] == ADDRESS
    assert call["carrier"] == "zto"
    assert call["idempotency_key"] == change_address_key("O-1", parcel.waybill, ADDRESS)
    assert result["O-1"].parcels[0].idempotency_key == call["idempotency_key"]


def test_the_key_is_stable_per_order_parcel_and_address_and_hides_the_phone() -> None:
    key = change_address_key("O-1", "ZT7300000001", ADDRESS)
    assert key == change_address_key("O-1", "ZT7300000001", ADDRESS)
    assert key != change_address_key("O-1", "ZT7300000001", OTHER_ADDRESS)
    assert key != change_address_key("O-1", "ZT7300000002", ADDRESS)
    assert key != change_address_key("O-2", "ZT7300000001", ADDRESS)
    assert len(key) <= 64 and key.isprintable() and "13800138000" not in key


@pytest.mark.parametrize(
    ("overrides", "reasons"),
    [
        ({"buyer_id": "buyer-2"}, (RefusalReason.OTHER_BUYER,)),
        ({"shop_id": "shop-2"}, (RefusalReason.OTHER_SHOP,)),
        ({"buyer_id": "", "shop_id": "shop-2"}, (RefusalReason.OTHER_SHOP, RefusalReason.OTHER_BUYER)),
        ({"status": OrderStatus.CLOSED}, (RefusalReason.ORDER_CLOSED,)),
        ({"status": OrderStatus.RECEIVED}, (RefusalReason.ORDER_RECEIVED,)),
        ({"status": OrderStatus.TRADE_COMPLETE}, (RefusalReason.ORDER_RECEIVED,)),
        ({"parcels": []}, (RefusalReason.NO_PARCELS,)),
    ],
)
def test_an_order_failing_its_check_is_refused_with_typed_reasons_and_no_carrier_call(
    overrides: Dict[str, Any], reasons: Tuple[RefusalReason, ...]
) -> None:
    client = FakeClient()
    values = {"parcels": [zto(1)], **overrides}
    result = run(client, [mine("O-1", **values)])
    assert result["O-1"].outcome is OrderOutcome.REFUSED
    assert result["O-1"].reasons == reasons
    assert client.calls == []


def test_another_buyers_order_is_refused_and_named_not_skipped() -> None:
    client = FakeClient()
    result = run(client, [mine("O-1", zto(1)), mine("O-2", zto(2), buyer_id="buyer-2")])
    assert [r.order_id for r in result] == ["O-1", "O-2"]
    assert result["O-2"].refusals[0].message == "order O-2 is of buyer buyer-2, not buyer-1"
    assert client.waybills == [zto(1).waybill]


@pytest.mark.parametrize(
    ("tracking", "reason"),
    [
        (delivered, RefusalReason.ALREADY_SIGNED),
        (out_for_delivery, RefusalReason.OUT_FOR_DELIVERY),
    ],
)
def test_a_parcel_signed_or_out_for_delivery_is_refused_without_calling_the_carrier(
    tracking: Any, reason: RefusalReason
) -> None:
    client = FakeClient()
    parcel = zto(1)
    result = run(client, [mine("O-1", parcel)], tracking=[tracking(parcel.waybill)])
    (refused,) = result["O-1"].parcels
    assert refused.outcome is ParcelOutcome.REFUSED and refused.refusal is not None
    assert refused.refusal.reason is reason
    assert parcel.waybill in refused.refusal.message
    assert result["O-1"].outcome is OrderOutcome.REFUSED
    assert client.calls == []


def test_a_parcel_going_back_to_the_sender_is_refused() -> None:
    client = FakeClient()
    parcel = zto(1)
    back = track(
        [*in_transit(parcel.waybill).events, event(at(40), TrackingStatus.RETURNING)], waybill=parcel.waybill
    )
    result = run(client, [mine("O-1", parcel)], tracking=[back])
    assert result["O-1"].reasons == (RefusalReason.RETURNING_TO_SENDER,)
    assert client.calls == []


def test_a_parcel_taken_back_out_after_a_delivery_scan_is_not_signed_and_is_sent() -> None:
    client = FakeClient()
    parcel = zto(1)
    events = [
        *in_transit(parcel.waybill).events,
        event(at(33), TrackingStatus.DELIVERED, sub_status=TrackingSubStatus.COLLECTED_FROM_LOCKER),
        event(at(35), TrackingStatus.IN_TRANSIT),
    ]
    result = run(client, [mine("O-1", parcel)], tracking=[track(events, waybill=parcel.waybill)])
    assert result["O-1"].outcome is OrderOutcome.INTERCEPT_REQUESTED
    assert client.waybills == [parcel.waybill]


def test_an_unreadable_last_scan_does_not_hide_a_delivery() -> None:
    client = FakeClient()
    parcel = zto(1)
    events = [*delivered(parcel.waybill).events, event(at(40), TrackingStatus.UNKNOWN, raw_code="??")]
    result = run(client, [mine("O-1", parcel)], tracking=[track(events, waybill=parcel.waybill)])
    assert result["O-1"].reasons == (RefusalReason.ALREADY_SIGNED,)


@pytest.mark.parametrize("carrier", ["sf", "ems"])
def test_a_carrier_that_cannot_change_addresses_is_refused(carrier: str) -> None:
    client = FakeClient()
    result = run(client, [mine("O-1", Parcel(carrier=carrier, waybill="SF1234567890"))])
    assert result["O-1"].reasons == (RefusalReason.CARRIER_CANNOT_CHANGE_ADDRESS,)
    assert client.calls == []


def test_a_carrier_the_client_cannot_change_addresses_with_is_refused() -> None:
    client = FakeClient(unable=("jt",))
    result = run(client, [mine("O-1", Parcel(carrier="jt", waybill="JT2000000000001"))])
    assert result["O-1"].reasons == (RefusalReason.CARRIER_CANNOT_CHANGE_ADDRESS,)
    assert "client cannot change addresses with jt" in result["O-1"].parcels[0].refusal.message
    assert client.calls == []


def test_a_multi_parcel_order_reports_each_parcel() -> None:
    first, second, third = zto(1), zto(2), Parcel(carrier="sf", waybill="SF1234567890")
    client = FakeClient()
    result = run(client, [mine("O-1", first, second, third)], tracking=[delivered(second.waybill)])
    parcels = result["O-1"].parcels
    assert [(p.waybill, p.outcome) for p in parcels] == [
        (first.waybill, ParcelOutcome.REQUESTED),
        (second.waybill, ParcelOutcome.REFUSED),
        (third.waybill, ParcelOutcome.REFUSED),
    ]
    assert result["O-1"].outcome is OrderOutcome.PARTLY_REQUESTED
    assert result["O-1"].reasons == (
        RefusalReason.ALREADY_SIGNED,
        RefusalReason.CARRIER_CANNOT_CHANGE_ADDRESS,
    )
    assert client.waybills == [first.waybill]


def test_the_carriers_refusal_is_the_parcels_result() -> None:
    parcel = zto(1)
    refusal = InterceptResult(
        carrier="zto",
        waybill=parcel.waybill,
        status=InterceptStatus.FAILED,
        failure=InterceptFailure.ALREADY_SIGNED,
    )
    result = run(FakeClient({parcel.waybill: refusal}), [mine("O-1", parcel)])
    (answer,) = result["O-1"].parcels
    assert answer.outcome is ParcelOutcome.CARRIER_REFUSED and answer.intercept is refusal
    assert result["O-1"].outcome is OrderOutcome.REFUSED


def test_another_intercept_already_running_is_a_carrier_refusal_not_an_acceptance() -> None:
    parcel = zto(1)
    duplicate = InterceptResult(
        carrier="zto",
        waybill=parcel.waybill,
        status=InterceptStatus.FAILED,
        failure=InterceptFailure.DUPLICATE_REQUEST,
    )
    result = run(FakeClient({parcel.waybill: duplicate}), [mine("O-1", parcel)])
    assert result["O-1"].parcels[0].outcome is ParcelOutcome.CARRIER_REFUSED


def test_a_failed_call_is_that_parcels_error_and_the_rest_of_the_batch_goes_on() -> None:
    bad, good = zto(1), zto(2)
    failure = OutcomeUnknownError(
        carrier="zto", operation="intercept", waybill=bad.waybill, request_id="k", cause="read timeout"
    )
    client = FakeClient({bad.waybill: failure})
    result = run(client, [mine("O-1", bad), mine("O-2", good), mine("O-3", bad, good)])
    assert [r.outcome for r in result] == [
        OrderOutcome.ERROR,
        OrderOutcome.INTERCEPT_REQUESTED,
        OrderOutcome.PARTLY_REQUESTED,
    ]
    error = result["O-1"].parcels[0]
    assert error.outcome is ParcelOutcome.ERROR and error.error.startswith("OutcomeUnknownError: ")


def test_at_most_max_workers_intercepts_are_in_flight_at_once() -> None:
    workers = 3
    barrier = threading.Barrier(workers, timeout=10)
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    class Gated(FakeClient):
        def intercept(self, waybill: str, **kwargs: Any) -> InterceptResult:
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            barrier.wait()  # passes only when `workers` calls are in flight together
            with lock:
                state["now"] -= 1
            return super().intercept(waybill, **kwargs)

    client = Gated()
    orders = [mine(f"O-{n}", zto(n)) for n in range(9)]
    result = run(client, orders, max_workers=workers)
    assert state["peak"] == workers
    assert len(client.calls) == 9 and len(result) == 9


def test_the_default_concurrency_is_eight() -> None:
    assert DEFAULT_MAX_WORKERS == 8


def test_ticking_some_orders_applies_the_change_to_those_only_in_the_buyers_order() -> None:
    client = FakeClient()
    orders = [mine("O-1", zto(1)), mine("O-2", zto(2)), mine("O-3", zto(3))]
    result = run(client, orders, ticked=["O-3", "O-1"])
    assert [r.order_id for r in result] == ["O-1", "O-3"]
    assert client.waybills == [zto(1).waybill, zto(3).waybill]


def test_a_ticked_id_not_among_the_orders_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="ticked: not among the buyer's orders: O-9"):
        run(FakeClient(), [mine("O-1", zto(1))], ticked=["O-9"])


def test_an_order_given_twice_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="orders: order O-1 is given twice"):
        run(FakeClient(), [mine("O-1", zto(1)), mine("O-1", zto(2))])


def test_tracking_for_a_waybill_of_no_given_order_is_a_validation_error() -> None:
    with pytest.raises(
        ValidationError, match="tracking: waybill ZT7300000009 is not a parcel of these orders"
    ):
        run(FakeClient(), [mine("O-1", zto(1))], tracking=[in_transit("ZT7300000009")])


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (
            {"new_address": Address(name="王五", phone="1", province="四川省", city="成都市")},
            "new_address.detail",
        ),
        ({"new_address": {"city": "成都市"}}, "new_address"),
        ({"max_workers": 0}, "max_workers"),
        ({"buyer_id": " "}, "buyer_id"),
        ({"reason": ""}, "reason"),
    ],
)
def test_bad_arguments_are_validation_errors_naming_the_field(extra: Dict[str, Any], field: str) -> None:
    arguments: Dict[str, Any] = dict(buyer_id=BUYER, shop_id=SHOP, new_address=ADDRESS)
    arguments.update(extra)
    with pytest.raises(ValidationError) as caught:
        batch_change_address(FakeClient(), [mine("O-1", zto(1))], **arguments)
    assert caught.value.field == field


def test_the_result_json_masks_the_new_phone_and_names_every_outcome() -> None:
    client = FakeClient()
    waiting = mine("O-1", status=OrderStatus.AWAITING_SHIPMENT, shipped_at=None)
    result = run(client, [waiting, mine("O-2", zto(2)), mine("O-3", zto(3), buyer_id="b9")])
    data = result.to_dict()
    assert data["action"] == "change_address" and (data["buyer_id"], data["shop_id"]) == (BUYER, SHOP)
    assert data["counts"] == {"address_update": 1, "intercept_requested": 1, "refused": 1}
    first, second, third = data["results"]
    assert list(first) == [
        "order_id",
        "action",
        "outcome",
        "refusals",
        "parcels",
        "address_update",
        "note_update",
    ]
    assert first["address_update"]["new_address"]["phone"] == "138****8000"
    assert list(second["parcels"][0]) == [
        "carrier",
        "waybill",
        "outcome",
        "refusal",
        "intercept",
        "idempotency_key",
        "error",
    ]
    assert second["parcels"][0]["intercept"] == {
        "status": "pending",
        "failure": None,
        "raw_code": "",
        "message": "",
    }
    assert third["refusals"] == [
        {"reason": "other_buyer", "message": "order O-3 is of buyer b9, not buyer-1"}
    ]
    assert "13800138000" not in repr(result)


def test_a_flag_note_goes_to_each_order_of_the_buyer_and_is_refused_for_others() -> None:
    note = OrderNote(text="优先发货", agent="客服小王", changed_at=PAID, flag=FlagColor.RED)
    orders = [mine("O-1"), mine("O-2", status=OrderStatus.CLOSED), mine("O-3", shop_id="shop-2")]
    result = batch_flag_note(orders, buyer_id=BUYER, shop_id=SHOP, note=note)
    assert result.action is BatchAction.FLAG_NOTE
    assert [r.outcome for r in result] == [
        OrderOutcome.NOTE_UPDATE,
        OrderOutcome.NOTE_UPDATE,
        OrderOutcome.REFUSED,
    ]
    update = result["O-1"].note_update
    assert update is not None and update.note is note
    assert result["O-3"].reasons == (RefusalReason.OTHER_SHOP,)
    assert result.to_dict()["results"][0]["note_update"]["note"]["flag"] == {
        "name": "red",
        "label_zh": "红旗",
    }


def test_a_flag_note_on_ticked_orders_only() -> None:
    note = OrderNote(text="", agent="客服小王", changed_at=PAID, flag=FlagColor.GREY)
    result = batch_flag_note(
        [mine("O-1"), mine("O-2")], buyer_id=BUYER, shop_id=SHOP, note=note, ticked=["O-2"]
    )
    assert [r.order_id for r in result] == ["O-2"]
    with pytest.raises(ValidationError, match="note: must be an OrderNote"):
        batch_flag_note([mine("O-1")], buyer_id=BUYER, shop_id=SHOP, note="x")  # type: ignore[arg-type]


def test_an_unknown_order_id_in_a_result_is_a_key_error() -> None:
    result = run(FakeClient(), [mine("O-1", zto(1))])
    with pytest.raises(KeyError):
        result["O-9"]
