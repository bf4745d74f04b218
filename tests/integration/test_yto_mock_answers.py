"""The SDK against the mock's YTO answers in the shapes real YTO answers (docs/carriers/yto.md).

The public shapes (tests/reality/yto/answer_*.json, from syships/php-express): a bad signature
``{"success": false, "code": 401, "reason": …}``, a duplicate intercept ``{"statusCode": 1,
"statusMessage": …}``, and, under the account setting ``extra["yto_answers"] = "loose"``,
acceptances without ``data``.
"""

from __future__ import annotations

from typing import Any

import pytest
from ksmock import WAYBILLS, sdk_config, test_account

from kscarriers import AuthenticationError, Client, InterceptFailure, InterceptStatus
from kscarriers.testing import WSGITransport

WAYBILL = WAYBILLS["yto"]


def _parcel(accounts: Any, stage: str) -> None:
    key = {"carrier": "yto", "app_key": test_account("yto")["app_key"]}
    assert (
        accounts.post("/__admin/parcels", json={**key, "waybill": WAYBILL, "stage": stage}).status_code == 201
    )


def _style(accounts: Any, style: str) -> None:
    answer = accounts.post("/__admin/accounts", json={**test_account("yto"), "extra": {"yto_answers": style}})
    assert answer.status_code == 200, answer.get_json()


def _wrong_secret_client(mock_app: Any, sleeps: list) -> Client:
    """A client whose YTO secret is not the account's (its waits are recorded, never made)."""
    return Client(
        sdk_config(secrets={"yto": "not-the-secret"}), transport=WSGITransport(mock_app), sleep=sleeps.append
    )


def _last_answer(accounts: Any) -> Any:
    return accounts.get("/__admin/requests").get_json()["requests"][-1]["response_body"]


def test_a_bad_signature_is_an_authentication_error_with_yto_s_reason(
    mock_app: Any, ks_accounts: Any, ks_sleeps: list
) -> None:
    wrong = _wrong_secret_client(mock_app, ks_sleeps)
    with pytest.raises(AuthenticationError) as raised:
        wrong.track(WAYBILL, carrier="yto")
    assert (raised.value.code, raised.value.carrier_message) == ("401", "请求加密校验失败")
    assert raised.value.retryable is False and ks_sleeps == []
    assert '"reason":"请求加密校验失败"' in _last_answer(ks_accounts)


def test_a_duplicate_intercept_is_failed_duplicate_request_from_the_statuscode_envelope(
    ks_client: Client, ks_accounts: Any
) -> None:
    _parcel(ks_accounts, "picked_up")
    first = ks_client.intercept(WAYBILL, carrier="yto", reason="客户要求退回")
    assert first.status is InterceptStatus.PENDING and first.carrier_reference

    second = ks_client.intercept(WAYBILL, carrier="yto", reason="客户要求退回")

    assert (second.status, second.failure, second.raw_code) == (
        InterceptStatus.FAILED,
        InterceptFailure.DUPLICATE_REQUEST,
        "1",
    )
    assert second.message == "已有有效拦截件，不能重复发起拦截"
    assert '"statusCode":1' in _last_answer(ks_accounts)


def test_loose_answers_accepted_without_data_are_pending_then_cancelled(
    ks_client: Client, ks_accounts: Any
) -> None:
    _style(ks_accounts, "loose")
    _parcel(ks_accounts, "in_transit")

    accepted = ks_client.intercept(WAYBILL, carrier="yto", reason="客户要求退回")
    assert '"data"' not in _last_answer(ks_accounts)
    cancelled = ks_client.cancel_intercept(WAYBILL, carrier="yto")
    subscribed = ks_client.subscribe(WAYBILL, carrier="yto")

    assert (accepted.status, accepted.carrier_reference) == (InterceptStatus.PENDING, "")
    assert cancelled.status is InterceptStatus.CANCELLED
    assert subscribed.subscribed is True


def test_loose_refusals_without_a_code_are_failed_results_not_errors(
    ks_client: Client, ks_accounts: Any
) -> None:
    _style(ks_accounts, "loose")
    _parcel(ks_accounts, "signed")

    refused = ks_client.intercept(WAYBILL, carrier="yto", reason="客户要求退回")
    nothing = ks_client.cancel_intercept(WAYBILL, carrier="yto")

    # No refusal code in the statusCode envelope: only the duplicate's wording is recognised.
    assert (refused.status, refused.failure, refused.message) == (
        InterceptStatus.FAILED,
        InterceptFailure.CARRIER_REJECTED_OTHER,
        "快件已签收，无法拦截",
    )
    assert (nothing.status, nothing.raw_code) == (InterceptStatus.FAILED, "1")


def test_the_modelled_style_keeps_the_old_codes_the_sdk_still_reads(
    mock_app: Any, ks_accounts: Any, ks_client: Client, ks_sleeps: list
) -> None:
    _style(ks_accounts, "modelled")
    _parcel(ks_accounts, "picked_up")
    ks_client.intercept(WAYBILL, carrier="yto", reason="客户要求退回")
    duplicate = ks_client.intercept(WAYBILL, carrier="yto", reason="客户要求退回")
    wrong = _wrong_secret_client(mock_app, ks_sleeps)
    with pytest.raises(AuthenticationError) as raised:
        wrong.track(WAYBILL, carrier="yto")

    assert (duplicate.failure, duplicate.raw_code) == (InterceptFailure.DUPLICATE_REQUEST, "2003")
    assert (raised.value.code, raised.value.carrier_message) == ("S01", "签名验证失败")
