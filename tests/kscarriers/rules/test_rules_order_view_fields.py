"""Order information 2.0: every field platform-rules §2 lists has a place in the view and its JSON."""

from __future__ import annotations

import json
from datetime import timedelta, timezone

import pytest
from rules_builders import PAID, WAYBILL, at, delivered, order

from kscarriers.errors import ValidationError
from kscarriers.rules import (
    AmountLine,
    AmountPart,
    BuyerAddress,
    FlagColor,
    OrderNote,
    OrderStatus,
    PaymentMethodKind,
    PhoneReveal,
    PhoneShownAs,
    Receiver,
    RightsTagKind,
    build_order_view,
)

NOW = PAID + timedelta(days=2)
RECEIVER = Receiver(name="张三", phone="13812345678")
PLACE = BuyerAddress(province="广东省", city="广州市", district="天河区", detail="体育西路1号")


def notes() -> list:
    return [
        OrderNote(text="买家要求周末送", agent="客服小王", changed_at=at(1)),
        OrderNote(text="已改为工作日", agent="客服小李", changed_at=at(5), flag=FlagColor.RED),
        OrderNote(text="催发货", agent="客服小赵", changed_at=at(3)),
    ]


def full_order(**overrides: object):
    values: dict = dict(
        amount_paid_fen=11_300,
        paid_breakdown=[
            AmountLine(part=AmountPart.GOODS_TOTAL, amount_fen=12_000),
            AmountLine(part=AmountPart.SHIPPING_FEE, amount_fen=800),
            AmountLine(part=AmountPart.SHOP_DISCOUNT, amount_fen=1_000),
            AmountLine(part=AmountPart.PLATFORM_DISCOUNT, amount_fen=500),
        ],
        settlement_fen=11_000,
        settlement_breakdown=[
            AmountLine(part=AmountPart.GOODS_TOTAL, amount_fen=12_000),
            AmountLine(part=AmountPart.SHIPPING_FEE, amount_fen=800),
            AmountLine(part=AmountPart.SHOP_DISCOUNT, amount_fen=1_000),
            AmountLine(part=AmountPart.SERVICE_FEE, amount_fen=800),
        ],
        notes=notes(),
        tags=["预售", "顺丰包邮", "预售"],
        payment_method="微信支付",
        rights_tags=["七天无理由", "极速退款", "新品试用"],
        receiver=RECEIVER,
        buyer_address=PLACE,
    )
    values.update(overrides)
    return order(**values)


def test_the_latest_note_is_shown_and_the_history_is_latest_first_with_agent_and_time() -> None:
    view = build_order_view(full_order(), now=NOW)
    assert view.latest_note is not None and view.latest_note.text == "已改为工作日"
    assert [(n.agent, n.changed_at) for n in view.note_history] == [
        ("客服小李", at(5)),
        ("客服小赵", at(3)),
        ("客服小王", at(1)),
    ]


def test_notes_written_at_the_same_instant_show_the_later_given_first() -> None:
    same = [
        OrderNote(text="a", agent="x", changed_at=at(1)),
        OrderNote(text="b", agent="y", changed_at=at(1)),
    ]
    assert [n.text for n in build_order_view(order(notes=same), now=NOW).note_history] == ["b", "a"]


def test_an_order_without_notes_has_no_latest_note() -> None:
    view = build_order_view(order(), now=NOW)
    assert view.latest_note is None and view.note_history == ()


def test_a_note_needs_an_agent_and_an_aware_time() -> None:
    with pytest.raises(ValidationError, match=r"note\.agent: must not be empty"):
        OrderNote(text="x", agent="", changed_at=at(1))
    with pytest.raises(ValidationError, match=r"note\.changed_at: must be timezone-aware"):
        OrderNote(text="x", agent="a", changed_at=at(1).replace(tzinfo=None))
    with pytest.raises(ValidationError, match=r"note\.flag: unknown flag 'pink'"):
        OrderNote(text="x", agent="a", changed_at=at(1), flag="pink")  # type: ignore[arg-type]


def test_order_tags_are_shown_once_each_in_the_order_given() -> None:
    assert build_order_view(full_order(), now=NOW).tags == ("预售", "顺丰包邮")


def test_payment_time_and_method_are_shown() -> None:
    view = build_order_view(full_order(), now=NOW)
    assert view.paid_at == PAID
    assert view.payment_method is not None and view.payment_method.kind is PaymentMethodKind.WECHAT_PAY


def test_rights_tags_are_shown_known_first_and_unknown_ones_kept() -> None:
    view = build_order_view(full_order(), now=NOW)
    assert [t.name for t in view.rights_tags] == ["no_reason_return_7d", "express_refund", None]
    assert RightsTagKind.EXPRESS_REFUND in view.rights_tags


def test_amount_paid_and_settlement_are_shown_with_their_breakdowns() -> None:
    view = build_order_view(full_order(), now=NOW)
    assert view.amount_paid.total_fen == 11_300
    assert sum(line.signed_fen for line in view.amount_paid.lines) == 11_300
    assert view.settlement is not None and view.settlement.total_fen == 11_000
    assert [line.part for line in view.settlement.lines][-1] is AmountPart.SERVICE_FEE


def test_without_a_settlement_amount_the_view_has_none() -> None:
    view = build_order_view(order(), now=NOW)
    assert view.settlement is None and view.amount_paid.total_fen == 12_900 and view.amount_paid.lines == ()


def test_the_receivers_phone_is_masked_by_default() -> None:
    view = build_order_view(full_order(), now=NOW)
    assert view.receiver is not None
    assert (view.receiver.name, view.receiver.phone) == ("张三", "138****5678")
    assert view.receiver.phone_shown_as is PhoneShownAs.MASKED
    assert (view.receiver.province, view.receiver.city, view.receiver.detail) == (
        "广东省",
        "广州市",
        "体育西路1号",
    )
    assert "13812345678" not in json.dumps(view.to_dict(), ensure_ascii=False)
    assert "13812345678" not in repr(view)


def test_a_virtual_number_is_shown_as_is() -> None:
    virtual = Receiver(name="张三", phone="17012345678-1234", phone_is_virtual=True)
    receiver = build_order_view(full_order(receiver=virtual), now=NOW).receiver
    assert receiver is not None
    assert (receiver.phone, receiver.phone_shown_as) == ("17012345678-1234", PhoneShownAs.VIRTUAL)


def test_the_plain_phone_is_shown_only_with_a_reveal_that_says_who_and_why() -> None:
    reveal = PhoneReveal(agent="客服小王", reason="快递员联系不上买家")
    receiver = build_order_view(full_order(), now=NOW, reveal_phone=reveal).receiver
    assert receiver is not None
    assert (receiver.phone, receiver.phone_shown_as) == ("13812345678", PhoneShownAs.PLAIN)
    assert receiver.to_dict()["phone_reveal"] == {"agent": "客服小王", "reason": "快递员联系不上买家"}


def test_asking_for_the_plain_phone_without_saying_why_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        build_order_view(full_order(), now=NOW, reveal_phone=True)  # type: ignore[arg-type]
    assert caught.value.field == "reveal_phone"
    assert "saying who asks and why" in caught.value.reason


def test_an_address_without_a_receiver_is_still_shown() -> None:
    receiver = build_order_view(order(buyer_address=PLACE), now=NOW).receiver
    assert receiver is not None and receiver.city == "广州市" and receiver.phone_shown_as is None
    assert build_order_view(order(buyer_address=None), now=NOW).receiver is None


JSON_FIELDS = [
    "order_id",
    "status",
    "after_sales_status",
    "latest_note",
    "note_history",
    "tags",
    "paid_at",
    "payment_method",
    "rights_tags",
    "amount_paid",
    "settlement",
    "receiver",
    "shipped_at",
    "promised_ship_by",
    "overdue",
    "parcels",
]


def test_the_json_has_stable_field_names_and_round_trips_through_json() -> None:
    data = build_order_view(full_order(), [delivered()], now=NOW).to_dict()
    assert list(data) == JSON_FIELDS
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_the_json_shows_each_field_of_the_platforms_view() -> None:
    data = build_order_view(full_order(), [delivered()], now=NOW).to_dict()
    assert data["order_id"] == "O-1"
    assert data["status"] == {"name": "shipped", "label_zh": "已发货"}
    assert data["after_sales_status"] == {"name": "none", "label_zh": "无售后"}
    assert data["latest_note"] == {
        "text": "已改为工作日",
        "agent": "客服小李",
        "changed_at": "2023-03-08T17:00:00+08:00",
        "flag": {"name": "red", "label_zh": "红旗"},
    }
    assert [n["agent"] for n in data["note_history"]] == ["客服小李", "客服小赵", "客服小王"]
    assert data["tags"] == ["预售", "顺丰包邮"]
    assert data["paid_at"] == "2023-03-08T12:00:00+08:00"
    assert data["payment_method"] == {"name": "wechat_pay", "label_zh": "微信支付", "known": True}
    assert [t["label_zh"] for t in data["rights_tags"]] == ["七天无理由", "极速退款", "新品试用"]
    assert data["amount_paid"]["total_yuan"] == "113.00"
    assert [line["part"] for line in data["amount_paid"]["lines"]] == [
        "goods_total",
        "shipping_fee",
        "shop_discount",
        "platform_discount",
    ]
    assert data["settlement"]["total_fen"] == 11_000
    assert data["receiver"]["phone"] == "138****5678" and data["receiver"]["phone_shown_as"] == "masked"
    assert data["shipped_at"] == "2023-03-08T18:00:00+08:00"
    assert data["promised_ship_by"] is None and data["overdue"] is False
    (parcel,) = data["parcels"]
    assert parcel["waybill"] == WAYBILL and parcel["status"] == "delivered" and parcel["signed"] is True
    assert parcel["latest_event"]["time"] == "2023-03-09T21:00:00+08:00"


def test_times_in_the_json_are_china_time_whatever_zone_they_were_given_in() -> None:
    utc_paid = PAID.astimezone(timezone.utc)
    assert (
        build_order_view(order(paid_at=utc_paid), now=NOW).to_dict()["paid_at"] == "2023-03-08T12:00:00+08:00"
    )


def test_an_unshipped_order_json_shows_the_promise_and_the_overdue_flag() -> None:
    waiting = order(status=OrderStatus.AWAITING_SHIPMENT, shipped_at=None, parcels=[])
    data = build_order_view(waiting, now=PAID + timedelta(hours=49)).to_dict()
    assert (data["shipped_at"], data["promised_ship_by"], data["overdue"]) == (
        None,
        "2023-03-10T12:00:00+08:00",
        True,
    )
    assert data["parcels"] == [] and data["settlement"] is None and data["latest_note"] is None


#: platform-rules §2, field by field, and where the view shows it.
PLATFORM_FIELDS = {
    "订单状态": ["status"],
    "售后状态": ["after_sales_status"],
    "订单号": ["order_id"],
    "订单备注": ["latest_note", "note_history"],
    "订单标签": ["tags"],
    "付款时间": ["paid_at"],
    "付款方式": ["payment_method"],
    "权益标签": ["rights_tags"],
    "实付": ["amount_paid"],
    "实收": ["settlement"],
    "收货人": ["receiver"],
    "发货时间": ["shipped_at"],
    "承诺发货时间": ["promised_ship_by"],
    "已逾期": ["overdue"],
    "物流": ["parcels"],
}


def test_every_field_the_platform_lists_is_filled_in_the_view_and_its_json() -> None:
    view = build_order_view(full_order(), [delivered()], now=NOW)
    data = view.to_dict()
    for label, names in PLATFORM_FIELDS.items():
        for name in names:
            assert name in data, label
            if name not in ("promised_ship_by", "overdue"):  # shown only while unshipped
                assert data[name] not in (None, [], ""), label
    assert sorted(n for names in PLATFORM_FIELDS.values() for n in names) == sorted(JSON_FIELDS)
