"""ZTO adapter: request building and signing, scan and code tables, intercepts, pushes."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from ksconfig import ZTO_KEY, ZTO_SECRET, zto_config
from ksfakes import json_response

from kscarriers import (
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    InterceptFailure,
    InterceptKind,
    InterceptRequest,
    InterceptStatus,
    NotFoundError,
    PushKind,
    RateLimitError,
    ResponseFormatError,
    SignatureError,
    TrackingStatus,
    TrackingSubStatus,
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


def test_track_request_is_json_signed_over_the_exact_body(adapter):
    request = adapter.build_track(WAYBILL)
    assert request.method == "POST" and request.url == "https://zto.test/zto.merchant.waybill.track.query"
    assert request.body == b'{"billCode":"73100130019486"}'
    assert request.headers["x-appKey"] == ZTO_KEY
    assert request.headers["x-dataDigest"] == sign(request.body)
    assert request.headers["Content-Type"].startswith("application/json")


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


def test_empty_result_is_no_information(adapter):
    result = adapter.parse_track(WAYBILL, envelope([]))
    assert result.events == () and result.status is TrackingStatus.UNKNOWN
    assert result.sub_status is TrackingSubStatus.NO_INFORMATION


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


def test_non_json_answer_is_a_retryable_format_error(adapter):
    with pytest.raises(ResponseFormatError) as info:
        adapter.parse_track(WAYBILL, json_response("<html>gateway</html>"))
    assert info.value.retryable


def test_http_5xx_is_a_server_error(adapter):
    with pytest.raises(CarrierServerError):
        adapter.parse_track(WAYBILL, json_response("", status=502))


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


def test_tampered_push_is_rejected(adapter, push_sample):
    text = json.dumps(push_sample["data"], ensure_ascii=False)
    tampered = dict(push_sample["data"], action="SIGNED")
    with pytest.raises(SignatureError) as info:
        adapter.parse_push({}, _push_body(tampered, digest=sign(text)))
    assert info.value.reason == "mismatch"


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


def test_intercept_result_push(adapter):
    data = {
        "billCode": WAYBILL,
        "serviceCode": "rid-1",
        "status": "2",
        "statusName": "拦截成功",
        "updateTime": "2023-11-15 12:00:00",
    }
    (event,) = adapter.parse_push({}, _push_body(data, msg_type="InterceptResult"))
    assert event.kind is PushKind.INTERCEPT_RESULT
    assert event.intercept.status is InterceptStatus.SUCCEEDED and event.intercept.refund_auto_approvable


def test_ack_is_the_zop_envelope(adapter):
    ack = adapter.push_ack(ok=True)
    assert ack.status == 200 and json.loads(ack.body) == {
        "status": True,
        "message": "成功",
        "statusCode": "SYS000",
    }
    assert json.loads(adapter.push_ack(ok=False).body)["status"] is False


@pytest.mark.parametrize("value", ["²", "٣"])
def test_retry_after_of_non_ascii_digits_is_ignored(adapter, value):
    # Found by fuzzing: "²".isdigit() is true and float("²") raised a bare ValueError.
    from kscarriers.transport import HttpResponse

    with pytest.raises(RateLimitError) as info:
        adapter.parse_track(WAYBILL, HttpResponse(status=429, headers={"Retry-After": value}, body=b""))
    assert info.value.retry_after is None
