"""YtoAdapter quirks: signed form requests, bare-array tracks, 20xx refusals, TRACE/INTERCEPT pushes.

What every adapter must do is tested once, for every carrier, in ``test_contract.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qsl, urlencode

import pytest

from kscarriers import Client
from kscarriers.carriers.yto import YtoAdapter
from kscarriers.carriers.yto import codes as yto_codes
from kscarriers.config import CarrierConfig, ClientConfig, Credentials, Timeouts
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
from kscarriers.registry import CarrierRegistry
from kscarriers.transport import HttpRequest, HttpResponse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "yto"
REALITY = Path(__file__).resolve().parents[2] / "reality" / "yto"
SECRET = "test-secret"
APP_KEY = "K100"
CLIENT_ID = "TESTCLIENT"
BASE_URL = "https://openuat.yto56test.com:6443"
NOW_MS = 1624090782000
WAYBILL = "YT9093718083088"


def load(name: str) -> Dict[str, Any]:
    with open(FIXTURES / name, encoding="utf-8") as f:
        data: Dict[str, Any] = json.load(f)
    return data


def make_config(*, client_id: Optional[str] = CLIENT_ID, secret: str = SECRET) -> CarrierConfig:
    extra = {"client_id": client_id} if client_id is not None else {}
    return CarrierConfig(
        credentials=Credentials(app_key=APP_KEY, app_secret=secret, extra=extra), base_url=BASE_URL
    )


def make_adapter(**kwargs: Any) -> YtoAdapter:
    return YtoAdapter(make_config(**kwargs), now_ms=lambda: NOW_MS)


def respond(payload: Any, status: int = 200) -> HttpResponse:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return HttpResponse(status=status, headers={"Content-Type": "application/json"}, body=body)


def expected_sign(param: str, method: str, secret: str = SECRET) -> str:
    return base64.b64encode(hashlib.md5((param + method + "v1" + secret).encode("utf-8")).digest()).decode()


def form_of(request: HttpRequest) -> Dict[str, str]:
    return dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))


def sent_param(request: HttpRequest) -> Any:
    return json.loads(form_of(request)["param"])


def intercept_request(kind: InterceptKind = InterceptKind.RETURN_TO_SENDER) -> InterceptRequest:
    address = None
    if kind is InterceptKind.CHANGE_ADDRESS:
        address = Address(
            name="王小明",
            phone="13800000000",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            detail="文三路 90 号",
        )
    return InterceptRequest(
        waybill=WAYBILL, kind=kind, reason="买家退款", request_id="req-1", new_address=address
    )


def push_body(data: Any, *, push_type: str = "TRACE", secret: str = SECRET, client: str = CLIENT_ID) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    digest = base64.b64encode(hashlib.md5((text + secret).encode("utf-8")).digest()).decode()
    fields = [
        ("logistics_interface", text),
        ("data_digest", digest),
        ("type", push_type),
        ("clientId", client),
    ]
    return urlencode(fields).encode("ascii")


# -- class attributes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["YT9093718083088", "YT2600227881409", "YT2819014489339", "YT26002278814091", "YT260022788140912"],
)
def test_waybill_pattern_matches_yto_numbers(number: str) -> None:
    assert any(p.fullmatch(number) for p in YtoAdapter.waybill_patterns)


@pytest.mark.parametrize(
    "number",
    [
        "YT909371808308",
        "YT9093718083088123",
        "731001300194860",
        "JT1234567890123",
        "YT９０９３７１８０８３０８８",
    ],
)
def test_waybill_pattern_rejects_other_numbers(number: str) -> None:
    assert not any(p.fullmatch(number) for p in YtoAdapter.waybill_patterns)


def test_adapter_constructs_with_config_only_and_stamps_current_time() -> None:
    adapter = YtoAdapter(make_config())
    stamp = int(form_of(adapter.build_track(WAYBILL))["timestamp"])
    assert abs(stamp - datetime.now().timestamp() * 1000) < 60_000


# -- requests --------------------------------------------------------------------------------


def test_build_track_signs_param_method_version_and_secret() -> None:
    request = make_adapter().build_track(WAYBILL)
    form = form_of(request)
    assert list(form) == ["timestamp", "param", "sign", "format"]
    assert form["param"] == '{"NUMBER":"YT9093718083088"}'
    assert form["sign"] == expected_sign(form["param"], "track_query_adapter")
    assert form["timestamp"] == str(NOW_MS)
    assert form["format"] == "JSON"


def test_client_id_defaults_to_partner_code_in_url() -> None:
    adapter = YtoAdapter(make_config(client_id=None), now_ms=lambda: NOW_MS)
    assert adapter.build_track(WAYBILL).url == f"{BASE_URL}/open/track_query_adapter/v1/{APP_KEY}/{APP_KEY}"


def test_build_subscribe_nests_logistics_interface_as_a_json_string() -> None:
    request = make_adapter().build_subscribe(WAYBILL, callback_url="https://example.com/hook")
    assert request.url == f"{BASE_URL}/open/subscribe_adapter/v1/{APP_KEY}/{CLIENT_ID}"
    form = form_of(request)
    assert form["param"] == (
        '{"client_id":"TESTCLIENT","logistics_interface":'
        '"{\\"clientId\\":\\"TESTCLIENT\\",\\"waybillNo\\":\\"YT9093718083088\\"}","msg_type":"online"}'
    )
    assert form["sign"] == expected_sign(form["param"], "subscribe_adapter")


def test_build_intercept_return_sends_waybill_and_reason_unescaped() -> None:
    request = make_adapter().build_intercept(intercept_request())
    assert request.url == f"{BASE_URL}/open/wanted_report_adapter/v1/{APP_KEY}/{CLIENT_ID}"
    form = form_of(request)
    assert form["param"] == '{"waybillNo":"YT9093718083088","wantedDesc":"买家退款"}'
    assert form["sign"] == expected_sign(form["param"], "wanted_report_adapter")
    assert "req-1" not in request.body.decode("ascii")


def test_build_change_address_sends_the_new_receiver() -> None:
    request = make_adapter().build_intercept(intercept_request(InterceptKind.CHANGE_ADDRESS))
    assert request.url == f"{BASE_URL}/open/wanted_change_adapter/v1/{APP_KEY}/{CLIENT_ID}"
    form = form_of(request)
    assert json.loads(form["param"]) == {
        "waybillNo": WAYBILL,
        "receiverName": "王小明",
        "receiverTel": "13800000000",
        "receiveProvName": "浙江省",
        "receiveCityName": "杭州市",
        "receiveCountyName": "西湖区",
        "receiveAddress": "文三路 90 号",
        "wantedDesc": "买家退款",
    }
    assert form["sign"] == expected_sign(form["param"], "wanted_change_adapter")


def test_build_intercept_refuses_an_empty_reason() -> None:
    request = InterceptRequest(
        waybill=WAYBILL, kind=InterceptKind.RETURN_TO_SENDER, reason=" ", request_id="r"
    )
    with pytest.raises(ValidationError) as info:
        make_adapter().build_intercept(request)
    assert info.value.field == "reason"


def test_build_cancel_sends_waybill_and_deal_remark() -> None:
    request = make_adapter().build_cancel_intercept(WAYBILL, request_id="", reason="买家取消")
    assert request.url == f"{BASE_URL}/open/wanted_cancel_adapter/v1/{APP_KEY}/{CLIENT_ID}"
    form = form_of(request)
    assert form["param"] == '{"waybillNo":"YT9093718083088","dealRemark":"买家取消"}'
    assert form["sign"] == expected_sign(form["param"], "wanted_cancel_adapter")


# -- track -----------------------------------------------------------------------------------


def test_track_parses_fixture_answer_into_events_oldest_first() -> None:
    fx = load("sdk_track_answer.json")
    result = make_adapter().parse_track(fx["waybill"], respond(fx["response"]))
    assert result.carrier == "yto"
    assert [e.raw_code for e in result.events] == ["GOT", "DEPARTURE", "ARRIVAL", "SENT_SCAN", "SIGNED"]
    first = result.events[0]
    assert first.time == datetime(2021, 6, 19, 17, 19, 42, tzinfo=CHINA_TZ)
    assert first.location == "浙江省金华市义乌市北苑春晗公司"
    assert first.city == "金华市"
    assert first.raw["district"] == "义乌市"
    assert result.status is TrackingStatus.DELIVERED
    assert result.sub_status is TrackingSubStatus.SIGNED_BY_RECIPIENT
    assert result.is_signed


def test_track_maps_signed_scan_to_delivered() -> None:
    entry = {"waybill_No": WAYBILL, "upload_Time": "2021-06-20 14:02:55", "infoContent": "SIGNED"}
    result = make_adapter().parse_track(WAYBILL, respond([entry]))
    assert (result.status, result.sub_status) == (
        TrackingStatus.DELIVERED,
        TrackingSubStatus.SIGNED_BY_RECIPIENT,
    )


@pytest.mark.parametrize(("raw", "expected"), sorted(yto_codes.SCAN_CODES.items()))
def test_track_maps_every_scan_code(raw: str, expected: Any) -> None:
    entry = {
        "waybill_No": WAYBILL,
        "upload_Time": "2021-06-20 10:00:00",
        "infoContent": raw,
        "processInfo": "x",
    }
    event = make_adapter().parse_track(WAYBILL, respond([entry])).events[0]
    assert (event.status, event.sub_status) == expected
    assert event.sub_status.status is event.status
    assert event.raw_code == raw


def test_track_maps_unknown_code_to_unknown_and_keeps_raw() -> None:
    entry = {"waybill_No": WAYBILL, "upload_Time": "2021-06-20 10:00:00", "infoContent": "TELEPORTED"}
    event = make_adapter().parse_track(WAYBILL, respond([entry])).events[0]
    assert (event.status, event.sub_status) == (TrackingStatus.UNKNOWN, TrackingSubStatus.UNRECOGNISED)
    assert event.raw_code == "TELEPORTED"
    assert event.raw["infoContent"] == "TELEPORTED"


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        ("【漕河泾公司】 快件已签收 签收人: 门卫", TrackingSubStatus.SIGNED_BY_PROXY),
        ("【漕河泾公司】 快件已从丰巢快递柜取出", TrackingSubStatus.COLLECTED_FROM_LOCKER),
    ],
)
def test_track_refines_signed_by_the_text(text: str, sub: TrackingSubStatus) -> None:
    entry = {
        "waybill_No": WAYBILL,
        "upload_Time": "2021-06-20 10:00:00",
        "infoContent": "SIGNED",
        "processInfo": text,
    }
    event = make_adapter().parse_track(WAYBILL, respond([entry])).events[0]
    assert (event.status, event.sub_status) == (TrackingStatus.DELIVERED, sub)


def test_track_sorts_entries_by_time() -> None:
    late = {"waybill_No": WAYBILL, "upload_Time": "2021-06-20 10:00:00", "infoContent": "ARRIVAL"}
    early = {"waybill_No": WAYBILL, "upload_Time": "2021-06-19 10:00:00", "infoContent": "GOT"}
    result = make_adapter().parse_track(WAYBILL, respond([late, early]))
    assert [e.raw_code for e in result.events] == ["GOT", "ARRIVAL"]


def test_track_no_data_code_with_success_false_is_also_empty() -> None:
    answer = {"success": False, "code": "1001", "message": "查询结果为空。"}
    assert make_adapter().parse_track(WAYBILL, respond(answer)).events == ()


@pytest.mark.parametrize("missing", ["infoContent", "upload_Time"])
def test_track_missing_field_raises_response_format_error_naming_it(missing: str) -> None:
    entry = {"waybill_No": WAYBILL, "upload_Time": "2021-06-20 10:00:00", "infoContent": "GOT"}
    del entry[missing]
    with pytest.raises(ResponseFormatError) as info:
        make_adapter().parse_track(WAYBILL, respond([entry]))
    assert f"[0].{missing}" in str(info.value)


def test_track_bad_time_raises_response_format_error() -> None:
    entry = {"waybill_No": WAYBILL, "upload_Time": "yesterday", "infoContent": "GOT"}
    with pytest.raises(ResponseFormatError, match="upload_Time"):
        make_adapter().parse_track(WAYBILL, respond([entry]))


def test_track_non_json_answer_raises_response_format_error() -> None:
    with pytest.raises(ResponseFormatError) as info:
        make_adapter().parse_track(WAYBILL, respond(b"<html>gateway</html>"))
    assert info.value.code == "BAD_JSON"


@pytest.mark.parametrize(
    "answer", [{"success": True, "code": "0", "data": {"NUMBER": WAYBILL}}, {"hello": "world"}, "text"]
)
def test_track_answer_of_the_wrong_shape_raises_response_format_error(answer: Any) -> None:
    with pytest.raises(ResponseFormatError):
        make_adapter().parse_track(WAYBILL, respond(answer))


ENVELOPE_ERRORS = [
    ("S01", AuthenticationError, False),
    ("S02", CarrierError, False),
    ("S03", AuthenticationError, False),
    ("S05", RateLimitError, True),
    ("S06", CarrierServerError, True),
    ("2004", NotFoundError, False),
    ("9999", CarrierError, False),
]


@pytest.mark.parametrize(("code", "cls", "retryable"), ENVELOPE_ERRORS)
def test_track_envelope_error_raises_typed_error(code: str, cls: type, retryable: bool) -> None:
    answer = {"success": False, "code": code, "message": "错误"}
    with pytest.raises(CarrierError) as info:
        make_adapter().parse_track(WAYBILL, respond(answer))
    assert type(info.value) is cls
    assert info.value.retryable is retryable
    assert info.value.code == code
    assert info.value.carrier == "yto"


# -- subscribe -------------------------------------------------------------------------------


# -- intercept and cancel --------------------------------------------------------------------


@pytest.mark.parametrize(("code", "failure"), sorted(yto_codes.INTERCEPT_FAILURES.items()))
def test_intercept_refusal_maps_every_code(code: str, failure: InterceptFailure) -> None:
    answer = {"success": False, "statusCode": int(code), "code": code, "message": "拒绝"}
    result = make_adapter().parse_intercept(intercept_request(), respond(answer))
    assert (result.status, result.failure, result.raw_code) == (InterceptStatus.FAILED, failure, code)


def test_intercept_unknown_refusal_code_is_rejected_other() -> None:
    answer = {"success": False, "statusCode": 2042, "code": "2042", "message": "其他"}
    result = make_adapter().parse_intercept(intercept_request(), respond(answer))
    assert (result.failure, result.raw_code) == (InterceptFailure.CARRIER_REJECTED_OTHER, "2042")


def test_intercept_success_flag_with_non_zero_status_code_is_a_refusal() -> None:
    answer = {"success": True, "statusCode": 2002, "message": "派件中"}
    result = make_adapter().parse_intercept(intercept_request(), respond(answer))
    assert (result.failure, result.raw_code) == (InterceptFailure.OUT_FOR_DELIVERY, "2002")


@pytest.mark.parametrize(("code", "cls", "retryable"), ENVELOPE_ERRORS[:5])
def test_intercept_envelope_error_is_raised_not_returned(code: str, cls: type, retryable: bool) -> None:
    with pytest.raises(CarrierError) as info:
        make_adapter().parse_intercept(intercept_request(), respond({"success": False, "code": code}))
    assert type(info.value) is cls and info.value.retryable is retryable


def test_intercept_accepted_without_wanted_id_is_pending_without_reference() -> None:
    answer = {"success": True, "statusCode": 0, "code": "0", "data": {"waybillNo": WAYBILL}}
    result = make_adapter().parse_intercept(intercept_request(), respond(answer))
    assert (result.status, result.carrier_reference) == (InterceptStatus.PENDING, "")


# -- answers the public client syships/php-express met (tests/reality/yto) -------------------


def reality(name: str) -> Any:
    """The ``body`` of a public sample in tests/reality/yto (its ``source`` names where it is from)."""
    with open(REALITY / name, encoding="utf-8") as f:
        sample: Dict[str, Any] = json.load(f)
    assert sample["source"]["repo"] == "syships/php-express"
    return sample["body"]


def test_yto_duplicate_intercept_in_statuscode_envelope_is_failed_duplicate() -> None:
    body = reality("answer_intercept_duplicate_statuscode.json")
    result = make_adapter().parse_intercept(intercept_request(), respond(body))
    assert (result.status, result.failure) == (InterceptStatus.FAILED, InterceptFailure.DUPLICATE_REQUEST)
    assert (result.raw_code, result.message) == ("1", "已有有效拦截件，不能重复发起拦截")
    assert result.request_id == "req-1"


def test_yto_statuscode_refusal_with_another_message_is_rejected_other() -> None:
    body = {"statusCode": 1, "statusMessage": "该运单不支持拦截"}
    result = make_adapter().parse_intercept(intercept_request(), respond(body))
    assert (result.failure, result.raw_code) == (InterceptFailure.CARRIER_REJECTED_OTHER, "1")


def test_yto_statuscode_envelope_with_a_listed_code_uses_the_code_table() -> None:
    body = {"statusCode": 2001, "statusMessage": "已签收"}
    result = make_adapter().parse_intercept(intercept_request(), respond(body))
    assert (result.failure, result.raw_code) == (InterceptFailure.ALREADY_SIGNED, "2001")


def test_yto_statuscode_zero_without_success_is_accepted() -> None:
    result = make_adapter().parse_intercept(
        intercept_request(), respond({"statusCode": 0, "statusMessage": "成功"})
    )
    assert (result.status, result.message) == (InterceptStatus.PENDING, "成功")


def test_yto_cancel_refused_in_statuscode_envelope_is_failed_not_raised() -> None:
    body = {"statusCode": 1, "statusMessage": "拦截件已处理，不能取消"}
    result = make_adapter().parse_cancel_intercept(WAYBILL, respond(body))
    assert (result.status, result.raw_code) == (InterceptStatus.FAILED, "1")


@pytest.mark.parametrize("call", ["track", "subscribe", "intercept", "cancel"])
def test_yto_code_401_with_reason_is_authentication_error(call: str) -> None:
    answer = respond(reality("answer_code_401_reason.json"))
    adapter = make_adapter(secret="s3cr3t-value")
    parse = {
        "track": lambda: adapter.parse_track(WAYBILL, answer),
        "subscribe": lambda: adapter.parse_subscribe(WAYBILL, answer),
        "intercept": lambda: adapter.parse_intercept(intercept_request(), answer),
        "cancel": lambda: adapter.parse_cancel_intercept(WAYBILL, answer),
    }[call]
    with pytest.raises(AuthenticationError) as info:
        parse()
    assert info.value.code == "401" and info.value.retryable is False
    assert "请求加密校验失败" in str(info.value) and info.value.carrier_message == "请求加密校验失败"
    assert "s3cr3t-value" not in str(info.value) + repr(info.value)


def test_yto_success_without_data_is_accepted() -> None:
    answer = respond(reality("answer_success_without_data.json"))
    adapter = make_adapter()
    intercepted = adapter.parse_intercept(intercept_request(), answer)
    changed = adapter.parse_intercept(intercept_request(InterceptKind.CHANGE_ADDRESS), answer)
    assert (intercepted.status, intercepted.carrier_reference) == (InterceptStatus.PENDING, "")
    assert changed.status is InterceptStatus.PENDING
    assert adapter.parse_cancel_intercept(WAYBILL, answer).status is InterceptStatus.CANCELLED
    assert adapter.parse_subscribe(WAYBILL, answer).subscribed is True


def test_yto_track_success_without_data_is_an_empty_history() -> None:
    answer = respond(reality("answer_success_without_data.json"))
    assert make_adapter().parse_track(WAYBILL, answer).events == ()


def test_yto_track_no_data_with_string_success_is_empty() -> None:
    answer = respond(reality("answer_track_no_data_1001.json"))
    assert make_adapter().parse_track("YT2819007867584", answer).events == ()


def test_cancel_accepted_is_cancelled() -> None:
    answer = {
        "success": True,
        "statusCode": 0,
        "code": "0",
        "message": "成功",
        "data": {"waybillNo": WAYBILL, "wantedId": "W1"},
    }
    result = make_adapter().parse_cancel_intercept(WAYBILL, respond(answer))
    assert (result.status, result.failure, result.carrier_reference) == (
        InterceptStatus.CANCELLED,
        None,
        "W1",
    )


def test_cancel_without_intercept_is_failed_no_intercept_to_cancel() -> None:
    fx = load("sdk_cancel_nothing.json")
    result = make_adapter().parse_cancel_intercept(WAYBILL, respond(fx["response"]))
    assert (result.status, result.failure, result.raw_code) == (
        InterceptStatus.FAILED,
        InterceptFailure.NO_INTERCEPT_TO_CANCEL,
        "2006",
    )


def test_cancel_envelope_error_is_raised() -> None:
    with pytest.raises(AuthenticationError):
        make_adapter().parse_cancel_intercept(WAYBILL, respond({"success": False, "code": "S01"}))


# -- pushes ----------------------------------------------------------------------------------


def push_fixture(name: str) -> Dict[str, Any]:
    fx = load(name)
    assert fx["secret"] == SECRET and fx["client_id"] == CLIENT_ID
    return fx


def test_push_trace_fixture_verifies_and_parses_one_event() -> None:
    fx = push_fixture("sdk_push_trace.json")
    form = dict(parse_qsl(fx["body"]))
    recomputed = base64.b64encode(
        hashlib.md5((form["logistics_interface"] + SECRET).encode()).digest()
    ).decode()
    assert recomputed == form["data_digest"]
    (event,) = make_adapter().parse_push(fx["headers"], fx["body"].encode("ascii"))
    assert event.kind is PushKind.TRACKING and event.carrier == "yto"
    assert event.waybill == WAYBILL
    assert event.tracking is not None
    assert (event.tracking.status, event.tracking.raw_code) == (TrackingStatus.DELIVERED, "SIGNED")
    assert event.tracking.time == datetime(2021, 6, 20, 14, 2, 55, tzinfo=CHINA_TZ)


def test_push_intercept_fixture_is_failed_already_signed() -> None:
    fx = push_fixture("sdk_push_intercept.json")
    (event,) = make_adapter().parse_push(fx["headers"], fx["body"].encode("ascii"))
    assert event.kind is PushKind.INTERCEPT_RESULT
    result = event.intercept
    assert result is not None
    assert (result.status, result.failure, result.raw_code, result.raw_status) == (
        InterceptStatus.FAILED,
        InterceptFailure.ALREADY_SIGNED,
        "2001",
        "FAILED",
    )
    assert result.carrier_reference == "W202106200001"
    assert result.updated_at == datetime(2021, 6, 20, 15, 0, 0, tzinfo=CHINA_TZ)


@pytest.mark.parametrize(("raw", "state"), sorted(yto_codes.INTERCEPT_STATES.items()))
def test_push_intercept_maps_every_status(raw: str, state: InterceptStatus) -> None:
    data = {
        "waybillNo": WAYBILL,
        "wantedId": "W1",
        "status": raw,
        "failCode": "",
        "failReason": "",
        "updateTime": "2021-06-20 15:00:00",
    }
    (event,) = make_adapter().parse_push({}, push_body(data, push_type="INTERCEPT"))
    assert event.intercept is not None and event.intercept.status is state


def test_push_intercept_unknown_fail_code_is_rejected_other() -> None:
    data = {"waybillNo": WAYBILL, "wantedId": "W1", "status": "FAILED", "failCode": "7777"}
    (event,) = make_adapter().parse_push({}, push_body(data, push_type="INTERCEPT"))
    assert event.intercept is not None
    assert event.intercept.failure is InterceptFailure.CARRIER_REJECTED_OTHER


def test_push_intercept_unknown_status_raises_response_format_error() -> None:
    data = {"waybillNo": WAYBILL, "wantedId": "W1", "status": "MAYBE"}
    with pytest.raises(ResponseFormatError, match="MAYBE"):
        make_adapter().parse_push({}, push_body(data, push_type="INTERCEPT"))


@pytest.mark.parametrize("dropped", ["data_digest", "logistics_interface"])
def test_push_missing_field_is_missing_header(dropped: str) -> None:
    fx = push_fixture("sdk_push_trace.json")
    fields = [(k, v) for k, v in parse_qsl(fx["body"]) if k != dropped]
    with pytest.raises(SignatureError) as info:
        make_adapter().parse_push({}, urlencode(fields).encode("ascii"))
    assert info.value.reason == "missing_header"


def test_push_digest_that_is_not_base64_is_bad_encoding() -> None:
    fx = push_fixture("sdk_push_trace.json")
    fields = [(k, "not base64!!" if k == "data_digest" else v) for k, v in parse_qsl(fx["body"])]
    with pytest.raises(SignatureError) as info:
        make_adapter().parse_push({}, urlencode(fields).encode("ascii"))
    assert info.value.reason == "bad_encoding"


def test_push_from_another_client_is_unknown_account() -> None:
    entry = {"waybill_No": WAYBILL, "upload_Time": "2021-06-20 10:00:00", "infoContent": "GOT"}
    with pytest.raises(SignatureError) as info:
        make_adapter().parse_push({}, push_body(entry, client="SOMEONE"))
    assert info.value.reason == "unknown_account"


def test_push_client_id_equal_to_partner_code_is_accepted() -> None:
    entry = {"waybill_No": WAYBILL, "upload_Time": "2021-06-20 10:00:00", "infoContent": "GOT"}
    (event,) = make_adapter().parse_push({}, push_body(entry, client=APP_KEY))
    assert event.tracking is not None and event.tracking.status is TrackingStatus.PICKED_UP


def test_push_signed_non_json_is_malformed() -> None:
    with pytest.raises(SignatureError) as info:
        make_adapter().parse_push({}, push_body("{not json"))
    assert info.value.reason == "malformed"


def test_push_of_unknown_type_raises_validation_error() -> None:
    entry = {"waybill_No": WAYBILL, "upload_Time": "2021-06-20 10:00:00", "infoContent": "GOT"}
    with pytest.raises(ValidationError) as info:
        make_adapter().parse_push({}, push_body(entry, push_type="WEATHER"))
    assert info.value.field == "type"


def test_push_dedupe_key_is_stable_across_redelivery() -> None:
    fx = push_fixture("sdk_push_trace.json")
    adapter = make_adapter()
    first = adapter.parse_push(fx["headers"], fx["body"].encode("ascii"))[0]
    again = YtoAdapter(make_config()).parse_push({}, fx["body"].encode("ascii"))[0]
    assert first.dedupe_key == again.dedupe_key
    assert first.dedupe_key.startswith("yto|YT9093718083088|trace|SIGNED|")


@pytest.mark.parametrize(
    "change",
    [
        {"infoContent": "FAILED"},
        {"upload_Time": "2021-06-20 14:02:56"},
        {"processInfo": "【另一个网点】 快件已签收"},
    ],
)
def test_push_dedupe_key_differs_for_different_trace_events(change: Dict[str, str]) -> None:
    base = {
        "waybill_No": WAYBILL,
        "upload_Time": "2021-06-20 14:02:55",
        "infoContent": "SIGNED",
        "processInfo": "【漕河泾公司】 快件已签收",
    }
    adapter = make_adapter()
    one = adapter.parse_push({}, push_body(base))[0]
    other = adapter.parse_push({}, push_body({**base, **change}))[0]
    assert one.dedupe_key != other.dedupe_key


def test_push_dedupe_key_differs_between_intercept_outcomes() -> None:
    adapter = make_adapter()
    keys = {
        adapter.parse_push(
            {}, push_body({"waybillNo": WAYBILL, "wantedId": wid, "status": st}, push_type="INTERCEPT")
        )[0].dedupe_key
        for wid, st in [("W1", "SUCCESS"), ("W1", "CANCELLED"), ("W2", "SUCCESS")]
    }
    assert len(keys) == 3


# -- through the Client ----------------------------------------------------------------------


class FakeTransport:
    """Answers each request with the next canned response and records what was sent."""

    def __init__(self, *responses: HttpResponse) -> None:
        self.responses: List[HttpResponse] = list(responses)
        self.requests: List[HttpRequest] = []

    def send(self, request: HttpRequest, *, timeouts: Timeouts) -> HttpResponse:
        self.requests.append(request)
        return self.responses.pop(0)


def make_client(transport: FakeTransport) -> Client:
    registry = CarrierRegistry(load_entry_points=False)
    registry.register(YtoAdapter)
    return Client(
        ClientConfig(carriers={"yto": make_config()}),
        transport=transport,
        registry=registry,
        sleep=lambda seconds: None,
    )


def test_client_tracks_and_intercepts_through_the_adapter() -> None:
    transport = FakeTransport(
        respond(load("sdk_track_answer.json")["response"]),
        respond(load("sdk_intercept_accepted.json")["response"]),
    )
    client = make_client(transport)
    tracked = client.track("yt9093718083088")
    assert tracked.carrier == "yto" and tracked.status is TrackingStatus.DELIVERED
    result = client.intercept(WAYBILL, reason="买家退款", idempotency_key="key-1")
    assert (result.status, result.request_id, result.carrier_reference) == (
        InterceptStatus.PENDING,
        "key-1",
        "W202106200001",
    )
    track_req, intercept_req = transport.requests
    assert track_req.url.endswith("/open/track_query_adapter/v1/K100/TESTCLIENT")
    assert intercept_req.url.endswith("/open/wanted_report_adapter/v1/K100/TESTCLIENT")
    assert sent_param(intercept_req) == {"waybillNo": WAYBILL, "wantedDesc": "买家退款"}


def test_client_intercept_status_is_derived_from_tracking() -> None:
    entry = {"waybill_No": WAYBILL, "upload_Time": "2021-06-21 10:00:00", "infoContent": "TMS_RETURN"}
    transport = FakeTransport(respond([entry]))
    status = make_client(transport).intercept_status(WAYBILL)
    assert status.status is InterceptStatus.SUCCEEDED
    assert status.raw_status == "derived_from_tracking"
    assert "track_query_adapter" in transport.requests[0].url


def test_client_intercept_server_error_is_outcome_unknown_and_not_resent() -> None:
    transport = FakeTransport(respond({"success": False, "code": "S06", "message": "系统繁忙"}))
    with pytest.raises(OutcomeUnknownError):
        make_client(transport).intercept(WAYBILL, reason="买家退款")
    assert len(transport.requests) == 1


def test_trace_push_with_lone_surrogate_in_process_info_gives_a_stable_event() -> None:
    # Found by fuzzing: the JSON escape "\ud800" decodes to a lone surrogate, and hashing the
    # processInfo for the dedupe key raised UnicodeEncodeError.
    text = (
        '{"waybill_No":"YT9093718083088","upload_Time":"2021-06-20 14:02:55",'
        '"infoContent":"SIGNED","processInfo":"\\ud800"}'
    )
    adapter = make_adapter()
    first = adapter.parse_push({}, push_body(text))
    again = adapter.parse_push({}, push_body(text))
    assert first[0].tracking is not None and first[0].tracking.description == "\ud800"
    assert first[0].dedupe_key == again[0].dedupe_key
