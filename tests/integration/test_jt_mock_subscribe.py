"""The SDK's J&T subscribe against the mock's per-waybill answer ``data.list`` (maxbetas/jtexpress)."""

from __future__ import annotations

import json
from typing import Any

from ksmock import WAYBILLS, test_account

from kscarriers import Client


def test_the_sdk_reads_the_subscribe_answer_with_its_per_waybill_list_as_subscribed(
    ks_client: Client, ks_accounts: Any
) -> None:
    waybill = WAYBILLS["jt"]

    result = ks_client.subscribe(waybill, carrier="jt")

    assert (result.subscribed, result.waybill, result.raw_code) == (True, waybill, "1")
    (entry,) = [
        e for e in ks_accounts.get("/__admin/requests").get_json()["requests"] if e["carrier"] == "jt"
    ]
    answered = json.loads(entry["response_body"])["data"]
    (item,) = answered["list"]
    assert (item["id"], item["waybillCode"], item["isSuccess"]) == (
        test_account("jt")["app_key"],
        waybill,
        True,
    )
    assert item["traceNode"]  # the SDK subscribes every node; the answer names them back
