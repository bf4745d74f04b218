"""ZTO adapter quirks: ZOP payloads, scan and E-code tables, the status query, form pushes.

What every adapter must do is tested once, for every carrier, in ``test_contract.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from ksconfig import ZTO_KEY, ZTO_SECRET, zto_config
from ksfakes import ScriptedTransport, json_response
from ksmock import WAYBILLS

from kscarriers import (
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    Client,
    InterceptFailure,
    InterceptKind,
    InterceptRequest,
    InterceptStatus,
    NotFoundError,
    PhoneVerificationRequired,
    PushKind,
    RateLimitError,
    ResponseFormatError,
    SignatureError,
    TrackingStatus,
    TrackingSubStatus,
    ValidationError,
)
from kscarriers.carriers.zto import ZtoAdapter, codes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "zto"
WAYBILL = "73100130019486"


@pytest.fixture()
def adapter():
    return ZtoAdapter(zto_config().carrier("zto"))


def sign(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(hashlib.md5(raw + ZTO_SECRET.encode()).digest()).decode()


def envelope(result=None, *, status=True, code="SYS000", message="成功"):
    return json_response(
        json.dumps(
            {"status": status, "statusCode": code, "message": message, "result": result}, ensure_ascii=False
        )
    )


def test_subscribe_uses_zto_spelling_of_the_api(adapter):
    assert adapter.build_subscribe(WAYBILL, callback_url=None).url.endswith(
        "zto.merchant.waybill.track.subsrcibe"
    )


def test_track_sample_normalises_and_sorts_events(adapter):
    sample = json.loads((FIXTURES / "sdk_track_response.json").read_text("utf-8"))
    result = adapter.parse_track(WAYBILL, json_response(json.dumps(sample["response"], ensure_ascii=False)))
    assert [e.raw_code for e in result.events] == ["收件", "到件", "派件", "签收"]
    assert result.status is TrackingStatus.DELIVERED
    assert result.sub_status is TrackingSubStatus.SIGNED_BY_PROXY  # 驿站代收
    first = result.events[0]
    assert first.time.utcoffset().total_seconds() == 8 * 3600
    assert (first.province, first.city, first.location) == ("广东省", "广州市", "广州白云网点")


@pytest.mark.parametrize(("raw", "expected"), sorted(codes.SCAN_TYPES.items()))
def test_every_scan_type_maps_to_its_status(adapter, raw, expected):
    scan = {"billCode": WAYBILL, "scanType": raw, "scanDate": 1700000000000}
    event = adapter.parse_track(WAYBILL, envelope([scan])).events[0]
    assert (event.status, event.sub_status, event.raw_code) == (*expected, raw)


def test_unknown_scan_type_is_unknown_not_a_crash(adapter):
    event = adapter.parse_track(
        WAYBILL, envelope([{"scanType": "外星扫描", "scanDate": 1700000000000}])
    ).events[0]
    assert (event.status, event.sub_status, event.raw_code) == (
        TrackingStatus.UNKNOWN,
        TrackingSubStatus.UNRECOGNISED,
        "外星扫描",
    )


@pytest.mark.parametrize("missing", ["scanType", "scanDate"])
def test_missing_scan_field_is_named(adapter, missing):
    scan = {"scanType": "收件", "scanDate": 1700000000000}
    del scan[missing]
    with pytest.raises(ResponseFormatError, match=f"result\\[0\\].{missing} is missing"):
        adapter.parse_track(WAYBILL, envelope([scan]))


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        ("S211", AuthenticationError, False),
        ("S210", AuthenticationError, False),
        ("S206", RateLimitError, True),
        ("S221", RateLimitError, True),
        ("S200", CarrierServerError, True),
        ("S203", CarrierServerError, True),
        ("E416", NotFoundError, False),
        ("S208", CarrierError, False),
    ],
)
def test_envelope_codes_become_typed_errors(adapter, code, cls, retryable):
    with pytest.raises(cls) as info:
        adapter.parse_track(WAYBILL, envelope(status=False, code=code, message="x"))
    assert type(info.value) is cls and info.value.retryable is retryable and info.value.code == code


# -- phone tail (E413: YangLiCon/docs document/tepbridge/logistics/zto.md) -------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [("E413", "鉴权失败,请输入收寄人任一方电话号码后4位"), ("E409", "鉴权失败,收寄人电话号码校验不一致")],
)
@pytest.mark.parametrize("call", ["track", "subscribe"])
def test_zto_e413_asks_for_phone_tail(adapter, code, message, call):
    answer = envelope(status=False, code=code, message=message)
    with pytest.raises(PhoneVerificationRequired) as info:
        if call == "track":
            adapter.parse_track(WAYBILL, answer)
        else:
            adapter.parse_subscribe(WAYBILL, answer)
    error = info.value
    assert not isinstance(error, AuthenticationError) and error.retryable is False
    assert (error.code, error.carrier_message) == (code, message)
    assert "phone_tail" in str(error) and message in str(error)


def test_zto_e413_from_the_client_is_not_retried():
    transport = ScriptedTransport(
        envelope(status=False, code="E413", message="请输入收寄人任一方电话号码后4位")
    )
    client = Client(zto_config(), transport=transport, sleep=lambda s: None)
    with pytest.raises(PhoneVerificationRequired, match="phone_tail"):
        client.track(WAYBILL)
    assert len(transport.requests) == 1


def test_zto_track_sends_phone_tail_as_mobilephone(adapter):
    assert json.loads(adapter.build_track(WAYBILL, phone_tail="5514").body) == {
        "billCode": WAYBILL,
        "mobilePhone": "5514",
    }
    # the subscribe sample of YangLiCon/docs zto.md, field for field
    assert json.loads(adapter.build_subscribe(WAYBILL, callback_url=None, phone_tail="5514").body) == {
        "billCode": WAYBILL,
        "mobilePhone": "5514",
    }
    assert json.loads(adapter.build_track(WAYBILL).body) == {"billCode": WAYBILL}


def test_zto_phone_tail_reaches_the_mock_and_other_carriers_ignore_it(ks_client, mock_client):
    waybill = WAYBILLS["zto"]
    assert ks_client.track(waybill, carrier="zto", phone_tail="5514").waybill == waybill
    assert ks_client.subscribe(waybill, carrier="zto", phone_tail="5514").subscribed is True
    sent = [e for e in mock_client.get("/__admin/requests").get_json()["requests"] if e["carrier"] == "zto"]
    assert [json.loads(e["request_body"])["mobilePhone"] for e in sent] == ["5514", "5514"]
    for slug in ("yto", "sto", "jt"):
        assert ks_client.track(WAYBILLS[slug], carrier=slug, phone_tail="5514").waybill == WAYBILLS[slug]


@pytest.mark.parametrize(
    "bad", ["551", "55145", "55a4", " 5514", "٥٥١٤", "５５１４", "²²²²", "", 5514, b"5514"]
)
@pytest.mark.parametrize("call", ["track", "subscribe"])
def test_phone_tail_must_be_four_digits(bad, call):
    transport = ScriptedTransport()  # any request would fail the test
    client = Client(zto_config(), transport=transport, sleep=lambda s: None)
    with pytest.raises(ValidationError) as info:
        if call == "track":
            client.track(WAYBILL, phone_tail=bad)
        else:
            client.subscribe(WAYBILL, phone_tail=bad)
    assert info.value.field == "phone_tail" and "4 digits" in info.value.reason
    assert transport.requests == []


def test_adapter_refuses_a_bad_phone_tail_too(adapter):
    with pytest.raises(ValidationError, match="phone_tail"):
        adapter.build_track(WAYBILL, phone_tail="12345")


def test_intercept_request_carries_request_id_and_return_destination(adapter):
    req = InterceptRequest(
        waybill=WAYBILL, kind=InterceptKind.RETURN_TO_SENDER, reason="退款", request_id="rid-1"
    )
    body = json.loads(adapter.build_intercept(req).body)
    assert body == {
        "billCode": WAYBILL,
        "requestId": "rid-1",
        "thirdBizNo": "rid-1",
        "destinationType": 2,
        "remark": "退款",
    }


@pytest.mark.parametrize(("code", "failure"), sorted(codes.INTERCEPT_FAILURES.items()))
def test_every_intercept_code_maps_to_a_failure(adapter, code, failure):
    req = InterceptRequest(waybill=WAYBILL, kind=InterceptKind.RETURN_TO_SENDER, reason="r", request_id="x")
    result = adapter.parse_intercept(req, envelope(status=False, code=code, message="m"))
    assert (result.status, result.failure, result.raw_code) == (InterceptStatus.FAILED, failure, code)


def test_unlisted_e23_code_is_rejected_other(adapter):
    req = InterceptRequest(waybill=WAYBILL, kind=InterceptKind.RETURN_TO_SENDER, reason="r", request_id="x")
    result = adapter.parse_intercept(req, envelope(status=False, code="E23199", message="m"))
    assert result.failure is InterceptFailure.CARRIER_REJECTED_OTHER


def test_signature_error_on_intercept_is_raised_not_returned(adapter):
    req = InterceptRequest(waybill=WAYBILL, kind=InterceptKind.RETURN_TO_SENDER, reason="r", request_id="x")
    with pytest.raises(AuthenticationError):
        adapter.parse_intercept(req, envelope(status=False, code="S211", message="签名错误"))


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("1", InterceptStatus.PENDING),
        ("2", InterceptStatus.SUCCEEDED),
        ("3", InterceptStatus.FAILED),
        ("4", InterceptStatus.CANCELLED),
    ],
)
def test_intercept_status_values(adapter, raw, status):
    result = adapter.parse_intercept_status(
        WAYBILL,
        envelope(
            {
                "billCode": WAYBILL,
                "serviceCode": "rid",
                "status": raw,
                "failCode": "E23120" if raw == "3" else "",
            }
        ),
    )
    assert result.status is status and result.carrier_reference == "rid"
    assert result.failure is (InterceptFailure.OUT_FOR_DELIVERY if raw == "3" else None)


def test_intercept_status_unknown_value_is_a_format_error(adapter):
    with pytest.raises(ResponseFormatError, match="not a known intercept state"):
        adapter.parse_intercept_status(WAYBILL, envelope({"status": "9"}))


def test_intercept_status_without_intercept_is_not_found(adapter):
    with pytest.raises(NotFoundError):
        adapter.parse_intercept_status(
            WAYBILL, envelope(status=False, code="E23102", message="订单信息不存在")
        )


def _push_body(data: dict, *, digest: str | None = None, **extra) -> bytes:
    text = json.dumps(data, ensure_ascii=False)
    fields = {
        "company_id": ZTO_KEY,
        "msg_type": "Traces",
        "data": text,
        "data_digest": digest or sign(text),
        **extra,
    }
    return urlencode(fields).encode()


@pytest.fixture()
def push_sample():
    return json.loads((FIXTURES / "sdk_push_trace.json").read_text("utf-8"))


def test_valid_push_is_parsed_with_a_stable_dedupe_key(adapter, push_sample):
    events = adapter.parse_push({}, _push_body(push_sample["data"]))
    again = adapter.parse_push({}, _push_body(push_sample["data"]))
    (event,) = events
    assert event.kind is PushKind.TRACKING and event.waybill == WAYBILL
    assert event.tracking.status is TrackingStatus.IN_TRANSIT
    assert event.dedupe_key == again[0].dedupe_key
    other = dict(push_sample["data"], action="DISPATCH")
    assert adapter.parse_push({}, _push_body(other))[0].dedupe_key != event.dedupe_key


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (urlencode({"data": "{}"}).encode(), "missing_header"),
        (urlencode({"data": "{}", "data_digest": "***"}).encode(), "bad_encoding"),
        (b"\xff\xfe", "malformed"),
    ],
)
def test_bad_pushes_say_why(adapter, body, reason):
    with pytest.raises(SignatureError) as info:
        adapter.parse_push({}, body)
    assert info.value.reason == reason


def test_push_from_another_account_is_rejected(adapter, push_sample):
    with pytest.raises(SignatureError, match="unknown_account"):
        adapter.parse_push({}, _push_body(push_sample["data"], company_id="someone-else"))
