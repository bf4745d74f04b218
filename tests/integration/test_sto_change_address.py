"""STO change of address end to end: the SDK's public form (``DEFAULT`` + ``receiver*``) is a change at the mock."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from ksmock import WAYBILLS, test_account

from kscarriers import Address, Client, InterceptKind, InterceptStatus

NEW_ADDRESS = Address(
    name="王五", phone="13800138000", province="四川省", city="成都市", district="锦江区", detail="春熙路1号"
)


def test_sto_change_address_from_the_sdk_is_recorded_with_the_new_address(
    ks_client: Client, ks_accounts: Any
) -> None:
    waybill = WAYBILLS["sto"]
    made = ks_accounts.post(
        "/__admin/parcels",
        json={
            "carrier": "sto",
            "app_key": test_account("sto")["app_key"],
            "waybill": waybill,
            "stage": "in_transit",
        },
    )
    assert made.status_code == 201, made.get_json()

    result = ks_client.intercept(
        waybill, carrier="sto", kind=InterceptKind.CHANGE_ADDRESS, new_address=NEW_ADDRESS, reason="改地址"
    )

    assert result.status is InterceptStatus.PENDING
    (record,) = ks_accounts.get("/__admin/intercepts").get_json()["intercepts"]
    assert record["kind"] == "change_address"
    assert record["new_address"] == {
        "name": "王五",
        "phone": "13800138000",
        "province": "四川省",
        "city": "成都市",
        "district": "锦江区",
        "detail": "春熙路1号",
    }
    journal = ks_accounts.get("/__admin/requests").get_json()["requests"]
    (sent,) = [entry for entry in journal if entry["operation"] == "intercept"]
    content = json.loads(dict(parse_qsl(sent["request_body"]))["content"])
    assert content["interceptForAct"] == "DEFAULT"
