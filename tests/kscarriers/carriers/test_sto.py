"""STO adapter quirks: LinkGateway form requests, JSON/XML envelopes, needRetry, I-codes, pushes.

What every adapter must do is tested once, for every carrier, in ``test_contract.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import parse_qsl, urlencode

import pytest

import kscarriers
from kscarriers.carriers.sto import StoAdapter, codes
from kscarriers.config import CarrierConfig, ClientConfig, Credentials, RetryPolicy, Timeouts
from kscarriers.errors import (
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseFormatError,
    SignatureError,
    ValidationError,
)
from kscarriers.models import (
    CHINA_TZ,
    Address,
    InterceptFailure,
    InterceptKind,
    InterceptRequest,
    InterceptStatus,
    PushKind,
    TrackingStatus,
    TrackingSubStatus,
)
from kscarriers.transport import HttpRequest, HttpResponse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sto"
REALITY = Path(__file__).resolve().parents[2] / "reality" / "sto"
SECRET = "test-secret"
APP_KEY = "CAKabcdef"
FROM_CODE = "CAKabcdef-code"
BASE_URL = "https://sto.example.test"
WAYBILL = "777031922725111"
URL = f"{BASE_URL}/gateway/link.do"


def fixture(name: str) -> Dict[str, Any]:
    with open(FIXTURES / name, encoding="utf-8") as fh:
        data: Dict[str, Any] = json.load(fh)
    return data


def make_adapter(*, from_code: Optional[str] = FROM_CODE, app_key: str = APP_KEY) -> StoAdapter:
    extra = {"from_code": from_code} if from_code is not None else {}
    creds = Credentials(app_key=app_key, app_secret=SECRET, extra=extra)
    return StoAdapter(CarrierConfig(credentials=creds, base_url=BASE_URL), now_ms=lambda: 1_700_000_000_000)


def sign(content: str, secret: str = SECRET) -> str:
    return base64.b64encode(hashlib.md5((content + secret).encode("utf-8")).digest()).decode("ascii")


def form_of(request: HttpRequest) -> Dict[str, str]:
    return dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))


def answer(payload: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers={"Content-Type": "application/json;charset=UTF-8"},
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
    )


def failure(code: str, message: str = "失败", *, need_retry: Any = "false") -> Dict[str, Any]:
    return {
        "success": "false",
        "errorCode": code,
        "errorMsg": message,
        "needRetry": need_retry,
        "requestId": "req-1",
        "data": None,
    }


def accepted(data: Any) -> Dict[str, Any]:
    return {"success": "true", "errorCode": "", "errorMsg": "", "needRetry": "false", "data": data}


def trace(scan_type: str, op_time: str = "2024-03-01 09:12:00", **extra: str) -> Dict[str, str]:
    return {"waybillNo": WAYBILL, "opTime": op_time, "scanType": scan_type, "opOrgCode": "200001", **extra}


def track_answer(*traces: Mapping[str, str]) -> HttpResponse:
    return answer(accepted({WAYBILL: list(traces)}))


def intercept_request(kind: InterceptKind = InterceptKind.RETURN_TO_SENDER) -> InterceptRequest:
    address = None
    if kind is InterceptKind.CHANGE_ADDRESS:
        address = Address(
            name="王五",
            phone="13900000000",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            detail="文三路 100 号",
        )
    return InterceptRequest(
        waybill=WAYBILL, kind=kind, reason="buyer cancelled", request_id="req-abc", new_address=address
    )


def push_body(
    content: Any,
    *,
    api_name: Optional[str] = "STO_TRACE_PLATFORM_PUSH",
    secret: str = SECRET,
    digest: Optional[str] = None,
    to_appkey: str = APP_KEY,
) -> bytes:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    fields = [("content", text), ("data_digest", sign(text, secret) if digest is None else digest)]
    if api_name is not None:
        fields.append(("api_name", api_name))
    fields += [
        ("from_appkey", "sto_trace_platform"),
        ("from_code", "sto_trace_platform"),
        ("to_appkey", to_appkey),
        ("to_code", FROM_CODE),
    ]
    return urlencode(fields, encoding="utf-8").encode("ascii")


# -- adapter shape -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["777031922725111", "772011975782987", "43" + "1" * 12, "77" + "0" * 15, "268000000001"]
)
def test_waybill_pattern_accepts_sto_numbers(number: str) -> None:
    assert any(p.fullmatch(number) for p in StoAdapter.waybill_patterns)


@pytest.mark.parametrize(
    "number", ["7712345678901", "88" + "1" * 13, "77" + "0" * 16, "75123456789012", "77" + "٠" * 13]
)
def test_waybill_pattern_rejects_other_numbers(number: str) -> None:
    assert not any(p.fullmatch(number) for p in StoAdapter.waybill_patterns)


# -- request building ----------------------------------------------------------------------------


def test_build_track_signs_the_exact_content_sent() -> None:
    request = make_adapter().build_track(WAYBILL)
    form = form_of(request)
    assert list(form) == [
        "content",
        "data_digest",
        "api_name",
        "from_appkey",
        "from_code",
        "to_appkey",
        "to_code",
    ]
    assert form["content"] == '{"order":"asc","waybillNoList":["777031922725111"]}'
    assert form["data_digest"] == sign(form["content"])
    assert form["api_name"] == "STO_TRACE_QUERY_COMMON"
    assert form["from_appkey"] == APP_KEY
    assert form["from_code"] == FROM_CODE
    assert form["to_appkey"] == form["to_code"] == "sto_trace_query"


def test_from_code_defaults_to_app_key() -> None:
    form = form_of(make_adapter(from_code=None).build_track(WAYBILL))
    assert form["from_code"] == APP_KEY


def test_build_subscribe_uses_trace_platform() -> None:
    form = form_of(make_adapter().build_subscribe(WAYBILL, callback_url="https://me.example/cb"))
    assert form["api_name"] == "STO_TRACE_PLATFORM_SUBSCRIBE"
    assert form["to_appkey"] == form["to_code"] == "sto_trace_platform"
    assert json.loads(form["content"]) == {"subscribeInfoList": [{"waybillNo": WAYBILL}]}
    assert form["data_digest"] == sign(form["content"])


def test_build_intercept_return_sends_default_act() -> None:
    request = make_adapter().build_intercept(intercept_request())
    form = form_of(request)
    assert request.url == URL
    assert form["api_name"] == "INTERCEPT_CREATE_STANDARD"
    assert form["to_appkey"] == form["to_code"] == "reverse-center"
    assert form["content"] == '{"waybillNo":"777031922725111","interceptForAct":"DEFAULT"}'
    assert form["data_digest"] == sign(form["content"])


def test_sto_change_address_is_sent_as_default_with_receiver_fields() -> None:
    # The public client's form (tests/reality/sto/request_change_address.json): the intercept
    # api with interceptForAct DEFAULT plus the receiver fields; no public source shows
    # interceptForAct "CHANGE_ADDRESS".
    with open(REALITY / "request_change_address.json", encoding="utf-8") as f:
        public = json.load(f)["body"]
    form = form_of(make_adapter().build_intercept(intercept_request(InterceptKind.CHANGE_ADDRESS)))
    assert (form["api_name"], form["to_appkey"], form["to_code"]) == (
        public["api_name"],
        public["to_appkey"],
        public["to_code"],
    )
    content = json.loads(form["content"])
    assert sorted(content) == sorted(public["content"])
    assert content["interceptForAct"] == public["content"]["interceptForAct"] == "DEFAULT"
    assert "王五" in form["content"]  # compact JSON with ensure_ascii=False: no \\uXXXX
    assert content == {
        "waybillNo": WAYBILL,
        "interceptForAct": "DEFAULT",
        "receiverName": "王五",
        "receiverTel": "13900000000",
        "receiverProvince": "浙江省",
        "receiverCity": "杭州市",
        "receiverArea": "西湖区",
        "receiverAddress": "文三路 100 号",
    }
    assert form["data_digest"] == sign(form["content"])


def test_build_cancel_intercept_sends_waybill_only() -> None:
    form = form_of(make_adapter().build_cancel_intercept(WAYBILL, request_id="", reason="oops"))
    assert form["api_name"] == "INTERCEPT_DEL_STANDARD"
    assert form["to_appkey"] == form["to_code"] == "reverse-center"
    assert form["content"] == '{"waybillNo":"777031922725111"}'
    assert form["data_digest"] == sign(form["content"])


# -- tracking ------------------------------------------------------------------------------------


def test_track_parses_recorded_answer_with_string_booleans() -> None:
    response = answer(fixture("sdk_track_response.json")["response"])
    result = make_adapter().parse_track(WAYBILL, response)
    assert result.carrier == "sto"
    assert [e.raw_code for e in result.events] == ["收件", "发件", "到件", "派件", "签收"]
    assert result.status is TrackingStatus.DELIVERED
    assert result.sub_status is TrackingSubStatus.SIGNED_BY_RECIPIENT
    out = result.events[3]
    assert out.status is TrackingStatus.OUT_FOR_DELIVERY
    assert out.time == datetime(2024, 3, 2, 8, 30, tzinfo=CHINA_TZ)
    assert out.location == "杭州西湖公司"
    assert (out.province, out.city) == ("浙江省", "杭州市")
    assert out.operator == "李四"
    assert out.raw["opOrgCode"] == "310001"
    assert result.events[-1].signer == "本人"


def test_track_maps_signed_scan_to_delivered() -> None:
    result = make_adapter().parse_track(WAYBILL, track_answer(trace("签收", signoffPeople="本人")))
    assert (result.status, result.sub_status) == (
        TrackingStatus.DELIVERED,
        TrackingSubStatus.SIGNED_BY_RECIPIENT,
    )


def test_track_maps_signed_by_station_to_proxy() -> None:
    result = make_adapter().parse_track(WAYBILL, track_answer(trace("签收", signoffPeople="菜鸟驿站代收")))
    assert result.sub_status is TrackingSubStatus.SIGNED_BY_PROXY


@pytest.mark.parametrize(("raw", "expected"), sorted(codes.SCAN_TYPES.items()))
def test_track_maps_every_scan_type(raw: str, expected: Any) -> None:
    result = make_adapter().parse_track(WAYBILL, track_answer(trace(raw)))
    event = result.events[0]
    assert (event.status, event.sub_status) == expected
    assert event.sub_status.status is event.status
    assert event.raw_code == raw


@pytest.mark.parametrize("raw", ["留仓件", "代取快递", "派件入柜", "第三方代收"])
def test_deprecated_scan_types_are_still_mapped(raw: str) -> None:
    assert raw in codes.DEPRECATED_SCAN_TYPES
    event = make_adapter().parse_track(WAYBILL, track_answer(trace(raw))).events[0]
    assert event.status is not TrackingStatus.UNKNOWN


@pytest.mark.parametrize("raw", ["PU_PICKUP_SUCCESS", "LH_DEPART", "CC_IM_SUCCESS"])
def test_international_action_codes_are_mapped(raw: str) -> None:
    event = make_adapter().parse_track(WAYBILL, track_answer(trace(raw))).events[0]
    assert event.status is not TrackingStatus.UNKNOWN


def test_track_maps_unknown_scan_type_to_unknown_and_keeps_raw() -> None:
    event = make_adapter().parse_track(WAYBILL, track_answer(trace("外星件", memo="?"))).events[0]
    assert (event.status, event.sub_status) == (TrackingStatus.UNKNOWN, TrackingSubStatus.UNRECOGNISED)
    assert event.raw_code == "外星件"
    assert event.raw["memo"] == "?"


def test_track_problem_scan_keeps_issue_name() -> None:
    event = make_adapter().parse_track(WAYBILL, track_answer(trace("问题件", issueName="地址不详"))).events[0]
    assert event.status is TrackingStatus.EXCEPTION
    assert event.problem_code == "地址不详"


def test_track_sorts_events_by_time() -> None:
    response = track_answer(trace("到件", "2024-03-02 04:00:00"), trace("收件", "2024-03-01 09:00:00"))
    assert [e.raw_code for e in make_adapter().parse_track(WAYBILL, response).events] == ["收件", "到件"]


def test_track_waybill_absent_from_data_has_no_events() -> None:
    assert make_adapter().parse_track(WAYBILL, answer(accepted({}))).events == ()


def test_track_accepts_data_sent_as_json_string() -> None:
    response = answer(accepted(json.dumps({WAYBILL: [trace("收件")]})))
    assert make_adapter().parse_track(WAYBILL, response).status is TrackingStatus.PICKED_UP


def test_track_missing_scan_type_names_the_field() -> None:
    bad = {"waybillNo": WAYBILL, "opTime": "2024-03-01 09:12:00"}
    with pytest.raises(ResponseFormatError, match=r"data\.777031922725111\[0\]\.scanType"):
        make_adapter().parse_track(WAYBILL, answer(accepted({WAYBILL: [bad]})))


def test_track_missing_op_time_names_the_field() -> None:
    with pytest.raises(ResponseFormatError, match="opTime"):
        make_adapter().parse_track(WAYBILL, answer(accepted({WAYBILL: [{"scanType": "收件"}]})))


def test_track_missing_data_names_the_field() -> None:
    with pytest.raises(ResponseFormatError, match="data"):
        make_adapter().parse_track(WAYBILL, answer({"success": True, "errorCode": ""}))


def test_track_data_as_list_is_a_format_error() -> None:
    with pytest.raises(ResponseFormatError, match="keyed by waybill"):
        make_adapter().parse_track(WAYBILL, answer(accepted([trace("收件")])))


def test_answer_without_success_field_is_a_format_error() -> None:
    with pytest.raises(ResponseFormatError):
        make_adapter().parse_track(WAYBILL, answer({"data": {}}))


# -- envelope errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "need_retry", "error_cls", "retryable"),
    [
        ("S01", "false", AuthenticationError, False),
        ("S02", "false", CarrierError, False),
        ("S03", "false", AuthenticationError, False),
        ("S05", "true", RateLimitError, True),
        ("S06", "true", CarrierServerError, True),
        ("S06", "false", CarrierServerError, True),
        ("I104", "false", NotFoundError, False),
        ("X999", "false", CarrierError, False),
        ("X999", "true", CarrierServerError, True),
        ("X999", True, CarrierServerError, True),
        ("S02", False, CarrierError, False),
    ],
)
def test_envelope_error_maps_to_typed_error(
    code: str, need_retry: Any, error_cls: type, retryable: bool
) -> None:
    with pytest.raises(CarrierError) as info:
        make_adapter().parse_track(WAYBILL, answer(failure(code, need_retry=need_retry)))
    assert type(info.value) is error_cls
    assert info.value.code == code
    assert info.value.retryable is retryable
    assert info.value.carrier == "sto"
    assert info.value.request_id == "req-1"


def test_recorded_flow_limit_is_a_retryable_rate_limit() -> None:
    response = answer(fixture("sdk_error_flow_limit.json")["response"])
    with pytest.raises(RateLimitError) as info:
        make_adapter().parse_track(WAYBILL, response)
    assert info.value.retryable is True
    assert info.value.carrier_message == "调用频率超限"


def test_success_string_false_is_not_success() -> None:
    with pytest.raises(CarrierError):
        make_adapter().parse_subscribe(WAYBILL, answer({"success": "false", "errorCode": "S02"}))


def test_xml_error_with_need_retry_is_retryable() -> None:
    body = "<response><success>false</success><errorCode>S06</errorCode><errorMsg>系统繁忙</errorMsg>"
    body += "<needRetry>true</needRetry></response>"
    with pytest.raises(CarrierServerError) as info:
        make_adapter().parse_track(WAYBILL, HttpResponse(status=200, body=body.encode("utf-8")))
    assert info.value.retryable is True


@pytest.mark.parametrize(
    "body",
    [
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><response><errorMsg>&a;</errorMsg></response>',
        '<!ENTITY x SYSTEM "file:///etc/passwd"><response/>',
        "<!doctype response><response><success>false</success></response>",
    ],
)
def test_xml_with_doctype_or_entity_is_refused(body: str) -> None:
    with pytest.raises(ResponseFormatError, match="DOCTYPE or ENTITY"):
        make_adapter().parse_track(WAYBILL, HttpResponse(status=200, body=body.encode("utf-8")))


@pytest.mark.parametrize("body", ["<response><success>false", "<html><body>hi</body></html>"])
def test_malformed_or_foreign_xml_is_a_format_error(body: str) -> None:
    with pytest.raises(ResponseFormatError):
        make_adapter().parse_track(WAYBILL, HttpResponse(status=200, body=body.encode("utf-8")))


@pytest.mark.parametrize(
    ("status", "error_cls", "retryable"),
    [(502, CarrierServerError, True), (429, RateLimitError, True), (403, AuthenticationError, False)],
)
def test_http_error_page_maps_by_status(status: int, error_cls: type, retryable: bool) -> None:
    page = b"<!DOCTYPE html><html><body>Bad Gateway</body></html>"
    with pytest.raises(CarrierError) as info:
        make_adapter().parse_track(WAYBILL, HttpResponse(status=status, body=page))
    assert type(info.value) is error_cls
    assert info.value.retryable is retryable
    assert info.value.http_status == status


def test_http_5xx_with_envelope_keeps_code_and_is_retryable() -> None:
    with pytest.raises(CarrierError) as info:
        make_adapter().parse_track(WAYBILL, answer(failure("S02"), status=500))
    assert info.value.code == "S02"
    assert info.value.retryable is True


# -- intercepts ----------------------------------------------------------------------------------


def test_intercept_accepted_is_pending_with_intercept_id() -> None:
    response = answer(fixture("sdk_intercept_accepted.json")["response"])
    request = intercept_request()
    result = make_adapter().parse_intercept(request, response)
    assert result.status is InterceptStatus.PENDING
    assert result.failure is None
    assert result.carrier_reference == "INT202403020001"
    assert result.request_id == "req-abc"
    assert result.raw_status == "PENDING"
    assert result.waybill == WAYBILL


def test_intercept_accepted_without_intercept_id_names_the_field() -> None:
    with pytest.raises(ResponseFormatError, match=r"data\.interceptId"):
        make_adapter().parse_intercept(intercept_request(), answer(accepted({"waybillNo": WAYBILL})))


@pytest.mark.parametrize(("code", "expected"), sorted(codes.INTERCEPT_FAILURES.items()))
def test_intercept_refusal_maps_every_code(code: str, expected: InterceptFailure) -> None:
    result = make_adapter().parse_intercept(intercept_request(), answer(failure(code)))
    assert result.status is InterceptStatus.FAILED
    assert result.failure is expected
    assert result.raw_code == code


def test_intercept_unknown_i_code_is_rejected_other() -> None:
    result = make_adapter().parse_intercept(intercept_request(), answer(failure("I150")))
    assert result.failure is InterceptFailure.CARRIER_REJECTED_OTHER
    assert result.raw_code == "I150"


@pytest.mark.parametrize(
    ("code", "error_cls"), [("S01", AuthenticationError), ("S06", CarrierServerError), ("S02", CarrierError)]
)
def test_intercept_envelope_error_is_raised_not_returned(code: str, error_cls: type) -> None:
    with pytest.raises(CarrierError) as info:
        make_adapter().parse_intercept(intercept_request(), answer(failure(code)))
    assert type(info.value) is error_cls


def test_intercept_refusal_code_with_need_retry_is_a_retryable_error() -> None:
    with pytest.raises(CarrierServerError):
        make_adapter().parse_intercept(intercept_request(), answer(failure("I199", need_retry="true")))


def test_cancel_success_is_cancelled() -> None:
    result = make_adapter().parse_cancel_intercept(WAYBILL, answer(accepted(None)))
    assert result.status is InterceptStatus.CANCELLED
    assert result.failure is None


def test_cancel_without_intercept_is_failed_no_intercept_to_cancel() -> None:
    result = make_adapter().parse_cancel_intercept(WAYBILL, answer(failure("I106", "无可撤销的拦截")))
    assert result.status is InterceptStatus.FAILED
    assert result.failure is InterceptFailure.NO_INTERCEPT_TO_CANCEL
    assert result.raw_code == "I106"


def test_cancel_envelope_error_is_raised() -> None:
    with pytest.raises(RateLimitError):
        make_adapter().parse_cancel_intercept(WAYBILL, answer(failure("S05", need_retry=True)))


# -- pushes --------------------------------------------------------------------------------------


def test_push_trace_recorded_body_verifies_and_parses() -> None:
    sample = fixture("sdk_push_trace.json")
    events = make_adapter().parse_push(sample["headers"], sample["body"].encode("ascii"))
    assert len(events) == 1
    event = events[0]
    assert event.kind is PushKind.TRACKING
    assert event.waybill == WAYBILL
    assert event.tracking is not None
    assert event.tracking.status is TrackingStatus.OUT_FOR_DELIVERY
    assert event.tracking.raw_code == "派件"
    assert event.dedupe_key.startswith("sto|")


def test_push_intercept_result_recorded_body_is_succeeded() -> None:
    sample = fixture("sdk_push_intercept_result.json")
    (event,) = make_adapter().parse_push(sample["headers"], sample["body"].encode("ascii"))
    assert event.kind is PushKind.INTERCEPT_RESULT
    assert event.intercept is not None
    assert event.intercept.status is InterceptStatus.SUCCEEDED
    assert event.intercept.carrier_reference == "INT202403020001"
    assert event.intercept.updated_at == datetime(2024, 3, 2, 10, 15, tzinfo=CHINA_TZ)
    assert event.intercept.refund_auto_approvable is True


def intercept_push(status: str, error_code: str = "", intercept_id: str = "INT1") -> Dict[str, str]:
    return {
        "waybillNo": WAYBILL,
        "interceptId": intercept_id,
        "status": status,
        "errorCode": error_code,
        "errorMsg": "",
        "opTime": "2024-03-02 10:15:00",
    }


@pytest.mark.parametrize(
    ("status", "error_code", "expected", "failure_reason"),
    [
        ("SUCCESS", "", InterceptStatus.SUCCEEDED, None),
        ("FAILED", "I102", InterceptStatus.FAILED, InterceptFailure.OUT_FOR_DELIVERY),
        ("FAILED", "", InterceptStatus.FAILED, InterceptFailure.CARRIER_REJECTED_OTHER),
        ("CANCELLED", "", InterceptStatus.CANCELLED, None),
    ],
)
def test_push_intercept_result_maps_status(
    status: str, error_code: str, expected: InterceptStatus, failure_reason: Optional[InterceptFailure]
) -> None:
    body = push_body(intercept_push(status, error_code), api_name="INTERCEPT_RESULT_PUSH")
    (event,) = make_adapter().parse_push({}, body)
    assert event.intercept is not None
    assert event.intercept.status is expected
    assert event.intercept.failure is failure_reason
    assert event.intercept.raw_status == status


def test_push_intercept_unknown_status_is_a_format_error() -> None:
    body = push_body(intercept_push("MAYBE"), api_name="INTERCEPT_RESULT_PUSH")
    with pytest.raises(ResponseFormatError, match="MAYBE"):
        make_adapter().parse_push({}, body)


def test_push_without_api_name_is_a_trace() -> None:
    (event,) = make_adapter().parse_push(
        {}, push_body({"waybillNo": WAYBILL, "trace": trace("收件")}, api_name=None)
    )
    assert event.kind is PushKind.TRACKING


def test_push_unknown_api_name_is_rejected() -> None:
    body = push_body({"waybillNo": WAYBILL}, api_name="SOMETHING_ELSE")
    with pytest.raises(ValidationError):
        make_adapter().parse_push({}, body)


def test_push_trace_missing_trace_names_the_field() -> None:
    with pytest.raises(ResponseFormatError, match=r"content\.trace"):
        make_adapter().parse_push({}, push_body({"waybillNo": WAYBILL}))


def test_push_missing_digest_is_missing_header() -> None:
    body = urlencode({"content": "{}", "api_name": "STO_TRACE_PLATFORM_PUSH"}).encode("ascii")
    with pytest.raises(SignatureError) as info:
        make_adapter().parse_push({}, body)
    assert info.value.reason == "missing_header"


def test_push_missing_content_is_missing_header() -> None:
    body = urlencode({"data_digest": sign("{}")}).encode("ascii")
    with pytest.raises(SignatureError) as info:
        make_adapter().parse_push({}, body)
    assert info.value.reason == "missing_header"


def test_push_bad_base64_digest_is_bad_encoding() -> None:
    body = push_body({"waybillNo": WAYBILL, "trace": trace("收件")}, digest="not base64!!")
    with pytest.raises(SignatureError) as info:
        make_adapter().parse_push({}, body)
    assert info.value.reason == "bad_encoding"


def test_push_for_another_account_is_unknown_account() -> None:
    body = push_body({"waybillNo": WAYBILL, "trace": trace("收件")}, to_appkey="someone-else")
    with pytest.raises(SignatureError) as info:
        make_adapter().parse_push({}, body)
    assert info.value.reason == "unknown_account"


def test_push_signed_content_that_is_not_json_is_malformed() -> None:
    with pytest.raises(SignatureError) as info:
        make_adapter().parse_push({}, push_body("not json"))
    assert info.value.reason == "malformed"


def test_push_dedupe_key_differs_between_events() -> None:
    adapter = make_adapter()
    keys: List[str] = []
    for scan, when in [
        ("收件", "2024-03-01 09:00:00"),
        ("发件", "2024-03-01 09:00:00"),
        ("收件", "2024-03-01 10:00:00"),
    ]:
        body = push_body({"waybillNo": WAYBILL, "trace": trace(scan, when)})
        keys.append(adapter.parse_push({}, body)[0].dedupe_key)
    for status in ("SUCCESS", "FAILED"):
        body = push_body(intercept_push(status), api_name="INTERCEPT_RESULT_PUSH")
        keys.append(adapter.parse_push({}, body)[0].dedupe_key)
    assert len(set(keys)) == len(keys)


# -- through the client --------------------------------------------------------------------------


class FakeTransport:
    """Answers each request with the next canned response and records the requests."""

    def __init__(self, *responses: HttpResponse) -> None:
        self.responses = list(responses)
        self.requests: List[HttpRequest] = []

    def send(self, request: HttpRequest, *, timeouts: Timeouts) -> HttpResponse:
        self.requests.append(request)
        return self.responses.pop(0)


def make_client(transport: FakeTransport) -> kscarriers.Client:
    config = ClientConfig(
        carriers={
            "sto": CarrierConfig(
                credentials=Credentials(app_key=APP_KEY, app_secret=SECRET, extra={"from_code": FROM_CODE}),
                base_url=BASE_URL,
            )
        },
        retry=RetryPolicy(max_attempts=2, initial=0.0),
    )
    return kscarriers.Client(config, transport=transport, sleep=lambda _s: None)


def test_client_retries_track_when_sto_says_need_retry() -> None:
    transport = FakeTransport(
        answer(failure("S06", need_retry="true")), answer(fixture("sdk_track_response.json")["response"])
    )
    assert make_client(transport).track(WAYBILL).is_signed
    assert len(transport.requests) == 2


def test_client_intercept_retryable_failure_is_outcome_unknown() -> None:
    transport = FakeTransport(answer(failure("S06", need_retry="true")))
    with pytest.raises(OutcomeUnknownError):
        make_client(transport).intercept(WAYBILL, reason="buyer cancelled")
    assert len(transport.requests) == 1  # never resent blindly


@pytest.mark.parametrize(
    "body",
    [
        '{"success":"true","data":' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps({"success": "true", "data": "[" * 100_000 + "]" * 100_000}),
    ],
    ids=["envelope", "data-string"],
)
def test_answer_nested_too_deeply_is_a_format_error(body: str) -> None:
    # Found by fuzzing: json.loads raised RecursionError out of the envelope and data decoding.
    with pytest.raises(ResponseFormatError):
        make_adapter().parse_track(WAYBILL, HttpResponse(status=200, body=body.encode("utf-8")))
