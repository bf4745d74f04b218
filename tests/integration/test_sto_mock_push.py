"""The SDK reads the mock's STO trace pushes, which carry STO's re-push key ``outBizCode``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from ksmock import WAYBILLS, test_account

from kscarriers import Client
from mockserver.carriers.sto.wire import build_trace_pushes


def test_the_sdk_parses_trace_pushes_with_out_biz_code_and_dedupes_a_re_delivery(
    ks_client: Client, ks_accounts: Any, mock_app: Any
) -> None:
    waybill = WAYBILLS["sto"]
    key = {"carrier": "sto", "app_key": test_account("sto")["app_key"]}
    assert (
        ks_accounts.post("/__admin/parcels", json={**key, "waybill": waybill, "stage": "signed"}).status_code
        == 201
    )
    simulator = mock_app.extensions["mockserver"].simulator
    account = simulator.account("sto", key["app_key"])
    items = [(waybill, scan) for scan in simulator.trace(account, waybill)]

    pushes = build_trace_pushes(account, items)
    again = build_trace_pushes(account, items)  # what STO sends when it pushes the same traces again

    keys = []
    for push, repeat in zip(pushes, again):
        trace = json.loads(dict(parse_qsl(push.body.decode("ascii")))["content"])["trace"]
        assert trace["outBizCode"]
        (event,) = ks_client.parse_push("sto", push.headers, push.body).events
        (repeated,) = ks_client.parse_push("sto", repeat.headers, repeat.body).events
        assert event.dedupe_key == repeated.dedupe_key and event.waybill == waybill
        keys.append(event.dedupe_key)
    assert len(set(keys)) == len(items) > 3
