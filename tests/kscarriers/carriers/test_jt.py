"""J&T adapter quirks: header-signed requests, node and problem codes, batched pushes, freshness.

What every adapter must do is tested once, for every carrier, in ``test_contract.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple
from urllib.parse import parse_qs, urlencode

import pytest

from kscarriers.carriers.jt import JtAdapter, codes
from kscarriers.client import Client
from kscarriers.config import CarrierConfig, ClientConfig, Credentials, RetryPolicy, Timeouts
from kscarriers.errors import (
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    NotFoundError,
    RateLimitError,
    ResponseFormatError,
    SignatureError,
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

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jt"
ACCOUNT = "178337126125932605"
SECRET = "test-secret"
BASE_URL = "https://uat-openapi.jtexpress.com.cn"
WAYBILL = "JT2099306666983"
NOW_MS = 1714526400000

S = TrackingStatus
U = TrackingSubStatus


def load(name: str) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def config(secret: str = SECRET) -> CarrierConfig:
    return CarrierConfig(credentials=Credentials(app_key=ACCOUNT, app_secret=secret), base_url=BASE_URL)


@pytest.fixture
def adapter() -> JtAdapter:
    return JtAdapter(config(), now_ms=lambda: NOW_MS)


def digest_of(biz: str, secret: str = SECRET) -> str:
    return base64.b64encode(hashlib.md5((biz + secret).encode("utf-8")).digest()).decode("ascii")


def biz_of(request: HttpRequest) -> str:
    fields = parse_qs(request.body.decode("ascii"), keep_blank_values=True)
    assert list(fields) == ["bizContent"]
    return fields["bizContent"][0]


def answer(payload: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers={"Content-Type": "application/json"},
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
    )


def envelope(data: Any, code: str = "1", msg: str = "success") -> HttpResponse:
    return answer({"code": code, "msg": msg, "data": data, "requestId": "req-1"})


def trace(*details: Mapping[str, Any], bill: str = WAYBILL) -> HttpResponse:
    return envelope([{"billCode": bill, "details": list(details)}])


def scan(**fields: Any) -> Dict[str, Any]:
    return {"scanTime": "2024-05-01 09:12:00", "desc": "d", "scanNetworkName": "上海青浦网点", **fields}


def return_request(request_id: str = "req-42") -> InterceptRequest:
    return InterceptRequest(
        waybill=WAYBILL, kind=InterceptKind.RETURN_TO_SENDER, reason="buyer refund", request_id=request_id
    )


def signed_push(biz: str, *, secret: str = SECRET, **headers: str) -> Tuple[Dict[str, str], bytes]:
    sent = {"apiAccount": ACCOUNT, "digest": digest_of(biz, secret), "timestamp": "1714720800000"}
    sent.update(headers)
    return sent, urlencode({"bizContent": biz}).encode("ascii")


def fixture_push(name: str) -> Tuple[Dict[str, str], bytes]:
    sample = load(name)
    assert sample["secret"] == SECRET
    return dict(sample["headers"]), sample["body"].encode("ascii")


# -- class attributes -----------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["JT2099306666983", "JT0000000000000", "JT209930666698"])
def test_waybill_pattern_accepts_jt_numbers(number: str) -> None:
    assert any(p.fullmatch(number) for p in JtAdapter.waybill_patterns)


@pytest.mark.parametrize(
    "number",
    ["JT20993066669", "JT20993066669831", "YT2099306666983", "2099306666983", "JT２０９９３０６６６６９８３"],
)
def test_waybill_pattern_rejects_other_numbers(number: str) -> None:
    assert not any(p.fullmatch(number) for p in JtAdapter.waybill_patterns)


def test_adapter_builds_with_config_only_and_uses_wall_clock() -> None:
    request = JtAdapter(config()).build_track(WAYBILL)
    assert int(request.headers["timestamp"]) > NOW_MS


# -- requests -------------------------------------------------------------------------------------


def test_build_track_signs_the_bizcontent_string_sent(adapter: JtAdapter) -> None:
    request = adapter.build_track(WAYBILL)
    biz = biz_of(request)
    assert biz == '{"billCodes":"JT2099306666983"}'
    assert request.headers["digest"] == digest_of(biz)
    assert request.headers["apiAccount"] == ACCOUNT
    assert request.headers["timestamp"] == str(NOW_MS)
    assert request.url == f"{BASE_URL}/webopenplatformapi/api/logistics/trace"


def test_build_subscribe_asks_for_every_node_with_numeric_account_id(adapter: JtAdapter) -> None:
    request = adapter.build_subscribe(WAYBILL, callback_url="https://example.com/hook")
    biz = biz_of(request)
    assert biz == (
        '{"id":178337126125932605,"list":[{"traceNode":"1&2&3&4&5&6&7&8&9&10&11&12&13&14",'
        '"waybillCode":"JT2099306666983"}]}'
    )
    assert request.url.endswith("/webopenplatformapi/api/trace/subscribe")
    assert request.headers["digest"] == digest_of(biz)


def test_build_intercept_return_uses_apply_type_4(adapter: JtAdapter) -> None:
    request = adapter.build_intercept(return_request())
    biz = biz_of(request)
    assert biz == '{"mailNo":"JT2099306666983","applyTypeCode":4}'
    assert request.url == f"{BASE_URL}/webopenplatformapi/api/waybill/intercept"
    assert request.headers["digest"] == digest_of(biz)
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8"


def test_build_intercept_change_address_uses_apply_type_5_and_signs_utf8(adapter: JtAdapter) -> None:
    address = Address(
        name="张三",
        phone="13800000000",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        detail="文三路1号",
    )
    request = adapter.build_intercept(
        InterceptRequest(
            waybill=WAYBILL,
            kind=InterceptKind.CHANGE_ADDRESS,
            reason="buyer moved",
            request_id="req-9",
            new_address=address,
        )
    )
    biz = biz_of(request)
    assert biz == (
        '{"mailNo":"JT2099306666983","applyTypeCode":5,"receiveUsername":"张三",'
        '"receivePhone":"13800000000","receiveProvince":"浙江省","receiveCity":"杭州市",'
        '"receiveDistrict":"西湖区","receiveAddress":"文三路1号"}'
    )
    assert request.headers["digest"] == digest_of(biz)


# -- tracking -------------------------------------------------------------------------------------


def test_parse_track_maps_recorded_answer_oldest_first(adapter: JtAdapter) -> None:
    result = adapter.parse_track(WAYBILL, answer(load("sdk_track_answer.json")["response"]))
    assert [(e.status, e.sub_status) for e in result.events] == [
        (S.PICKED_UP, U.PICKED_UP),
        (S.IN_TRANSIT, U.DEPARTED_FACILITY),
        (S.IN_TRANSIT, U.ARRIVED_AT_FACILITY),
        (S.FAILED_ATTEMPT, U.RECIPIENT_UNREACHABLE),
        (S.OUT_FOR_DELIVERY, U.OUT_FOR_DELIVERY),
        (S.DELIVERED, U.SIGNED_BY_RECIPIENT),
    ]
    assert [e.raw_code for e in result.events] == [
        "快件揽收",
        "3",
        "到件扫描",
        "问题件扫描",
        "出仓扫描",
        "快件签收",
    ]
    assert result.status is S.DELIVERED and result.is_signed
    first = result.events[0]
    assert first.time.utcoffset() == CHINA_TZ.utcoffset(None)
    assert (first.time.year, first.time.hour, first.time.minute) == (2024, 9, 12)
    assert (first.location, first.province, first.city, first.operator) == (
        "上海青浦网点",
        "上海",
        "上海市",
        "王强",
    )
    assert first.raw["staffContact"] == "13800000000"
    assert result.events[3].problem_code == "A9"


def test_track_maps_signed_scan_to_delivered(adapter: JtAdapter) -> None:
    result = adapter.parse_track(WAYBILL, trace(scan(scanType="快件签收")))
    assert (result.status, result.sub_status) == (S.DELIVERED, U.SIGNED_BY_RECIPIENT)


@pytest.mark.parametrize(("raw", "expected"), sorted(codes.SCAN_TYPES.items()))
def test_track_maps_every_scan_type_name_and_number(adapter: JtAdapter, raw: str, expected: Any) -> None:
    event = adapter.parse_track(WAYBILL, trace(scan(scanType=raw))).events[0]
    assert (event.status, event.sub_status) == expected
    assert event.raw_code == raw


@pytest.mark.parametrize(("name", "node"), sorted(codes.NODE_NAMES.items()))
def test_node_name_and_number_map_to_the_same_status(name: str, node: str) -> None:
    assert codes.SCAN_TYPES[name] == codes.SCAN_TYPES[node]


def test_scan_type_given_as_json_number_is_accepted(adapter: JtAdapter) -> None:
    event = adapter.parse_track(WAYBILL, trace(scan(scanType=14))).events[0]
    assert (event.status, event.sub_status, event.raw_code) == (S.RETURNING, U.RETURN_TO_SENDER, "14")


def test_scan_type_code_resolves_an_unfamiliar_scan_type_name(adapter: JtAdapter) -> None:
    event = adapter.parse_track(WAYBILL, trace(scan(scanType="派件扫描(新)", scanTypeCode="5"))).events[0]
    assert (event.status, event.raw_code) == (S.OUT_FOR_DELIVERY, "派件扫描(新)")


def test_scan_type_code_alone_is_enough(adapter: JtAdapter) -> None:
    event = adapter.parse_track(WAYBILL, trace(scan(scanTypeCode="1"))).events[0]
    assert (event.status, event.raw_code) == (S.PICKED_UP, "1")


@pytest.mark.parametrize(("code", "entry"), sorted(codes.PROBLEM_CODES.items()))
def test_track_maps_every_problem_code_of_the_problem_scan(
    adapter: JtAdapter, code: str, entry: Tuple[str, Any]
) -> None:
    name, expected = entry
    by_code = adapter.parse_track(WAYBILL, trace(scan(scanType="问题件扫描", problemType=code))).events[0]
    assert (by_code.status, by_code.sub_status) == expected
    assert by_code.problem_code == code
    assert by_code.raw_code == "问题件扫描"
    by_name = adapter.parse_track(WAYBILL, trace(scan(scanType="11", problemType=name))).events[0]
    assert (by_name.status, by_name.sub_status) == expected


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("A2", (S.FAILED_ATTEMPT, U.REFUSED)),
        ("A10", (S.FAILED_ATTEMPT, U.RECIPIENT_UNREACHABLE)),
        ("A16", (S.FAILED_ATTEMPT, U.ADDRESS_PROBLEM)),
        ("A25", (S.RETURNING, U.RETURN_TO_SENDER)),
        ("A27", (S.EXCEPTION, U.DELAYED)),
        ("A23", (S.EXCEPTION, U.DELAYED)),
        ("A20", (S.EXCEPTION, U.DAMAGED_OR_LOST)),
        ("A21", (S.EXCEPTION, U.HELD)),
        ("a14", (S.FAILED_ATTEMPT, U.REFUSED)),
    ],
)
def test_problem_codes_map_to_the_documented_sub_statuses(
    adapter: JtAdapter, problem: str, expected: Any
) -> None:
    event = adapter.parse_track(WAYBILL, trace(scan(scanType="11", problemType=problem))).events[0]
    assert (event.status, event.sub_status) == expected
    assert event.problem_code == problem


def test_problem_scan_with_unknown_or_no_problem_code_is_exception_other(adapter: JtAdapter) -> None:
    unknown, bare = adapter.parse_track(
        WAYBILL,
        trace(
            scan(scanType="问题件扫描", problemType="A99"),
            scan(scanType="问题件扫描", scanTime="2024-05-02 00:00:00"),
        ),
    ).events
    assert (unknown.status, unknown.sub_status, unknown.problem_code) == (
        S.EXCEPTION,
        U.EXCEPTION_OTHER,
        "A99",
    )
    assert (bare.status, bare.sub_status, bare.problem_code) == (S.EXCEPTION, U.EXCEPTION_OTHER, "")


def test_problem_type_outside_the_problem_scan_does_not_change_status(adapter: JtAdapter) -> None:
    event = adapter.parse_track(WAYBILL, trace(scan(scanType="快件签收", problemType="A2"))).events[0]
    assert event.status is S.DELIVERED


@pytest.mark.parametrize("raw", ["神秘扫描", "99", "SCAN_X"])
def test_unknown_scan_type_is_unknown_unrecognised_and_keeps_raw(adapter: JtAdapter, raw: str) -> None:
    event = adapter.parse_track(WAYBILL, trace(scan(scanType=raw))).events[0]
    assert (event.status, event.sub_status, event.raw_code) == (S.UNKNOWN, U.UNRECOGNISED, raw)
    assert event.raw["scanType"] == raw


def test_scans_out_of_order_are_sorted_by_time(adapter: JtAdapter) -> None:
    result = adapter.parse_track(
        WAYBILL,
        trace(scan(scanType="快件签收", scanTime="2024-05-03 15:20:00"), scan(scanType="快件揽收")),
    )
    assert [e.raw_code for e in result.events] == ["快件揽收", "快件签收"]


def test_empty_trace_gives_no_events(adapter: JtAdapter) -> None:
    for response in (envelope([]), envelope(None), trace()):
        result = adapter.parse_track(WAYBILL, response)
        assert result.events == ()
        assert (result.status, result.sub_status) == (S.UNKNOWN, U.NO_INFORMATION)


def test_other_waybills_in_the_answer_are_ignored(adapter: JtAdapter) -> None:
    response = envelope(
        [
            {"billCode": "JT0000000000001", "details": [scan(scanType="快件签收")]},
            {"billCode": WAYBILL, "details": [scan(scanType="快件揽收")]},
        ]
    )
    assert [e.raw_code for e in adapter.parse_track(WAYBILL, response).events] == ["快件揽收"]


@pytest.mark.parametrize(
    ("detail", "field"),
    [
        ({"scanType": "快件揽收"}, "details[0].scanTime"),
        ({"scanType": "快件揽收", "scanTime": None}, "details[0].scanTime"),
        ({"scanTime": "2024-05-01 09:12:00"}, "details[0].scanType"),
        ({"scanTime": "2024-05-01 09:12:00", "scanType": None, "scanTypeCode": ""}, "details[0].scanType"),
    ],
)
def test_missing_scan_fields_raise_response_format_error_naming_them(
    adapter: JtAdapter, detail: Dict[str, Any], field: str
) -> None:
    with pytest.raises(ResponseFormatError) as info:
        adapter.parse_track(WAYBILL, trace(detail))
    assert field in str(info.value)


def test_missing_bill_code_raises_response_format_error(adapter: JtAdapter) -> None:
    with pytest.raises(ResponseFormatError, match=r"data\[0\]\.billCode"):
        adapter.parse_track(WAYBILL, envelope([{"details": []}]))


def test_bad_scan_time_raises_response_format_error(adapter: JtAdapter) -> None:
    with pytest.raises(ResponseFormatError, match="scanTime"):
        adapter.parse_track(WAYBILL, trace(scan(scanType="1", scanTime="yesterday")))


def test_data_of_wrong_shape_raises_response_format_error(adapter: JtAdapter) -> None:
    with pytest.raises(ResponseFormatError):
        adapter.parse_track(WAYBILL, envelope({"billCode": WAYBILL}))


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        ("145003030", AuthenticationError, False),
        ("145003010", AuthenticationError, False),
        ("145003012", AuthenticationError, False),
        ("145003051", AuthenticationError, False),
        ("145003052", AuthenticationError, False),
        ("145003053", AuthenticationError, False),
        ("145003061", RateLimitError, True),
        ("145003062", CarrierServerError, True),
        ("145003050", CarrierError, False),
        ("173004", NotFoundError, False),
        ("0", CarrierError, False),
    ],
)
def test_envelope_error_codes_raise_typed_errors(
    adapter: JtAdapter, code: str, cls: type, retryable: bool
) -> None:
    with pytest.raises(CarrierError) as info:
        adapter.parse_track(WAYBILL, envelope(None, code=code, msg="失败"))
    assert type(info.value) is cls
    assert info.value.retryable is retryable
    assert info.value.code == code
    assert info.value.carrier == "jt"
    assert info.value.request_id == "req-1"


def test_envelope_code_table_covers_every_documented_platform_code() -> None:
    classified = codes.AUTH_CODES | codes.RATE_LIMIT_CODES | codes.SERVER_CODES
    assert classified | {"145003050"} == set(codes.ENVELOPE_CODES)


def test_numeric_envelope_code_is_tolerated(adapter: JtAdapter) -> None:
    response = answer({"code": 1, "msg": "success", "data": [{"billCode": WAYBILL, "details": []}]})
    assert adapter.parse_track(WAYBILL, response).events == ()


@pytest.mark.parametrize("body", [b"{not json", b'{"msg": "no code"}', b"[1, 2]", b"\xff\xfe"])
def test_non_envelope_answers_raise_response_format_error(adapter: JtAdapter, body: bytes) -> None:
    with pytest.raises(ResponseFormatError):
        adapter.parse_track(WAYBILL, HttpResponse(status=200, body=body))


# -- intercept ------------------------------------------------------------------------------------


def test_intercept_accepted_is_pending_with_the_carrier_intercept_id(adapter: JtAdapter) -> None:
    result = adapter.parse_intercept(
        return_request("req-42"), answer(load("sdk_intercept_accepted.json")["response"])
    )
    assert result.status is InterceptStatus.PENDING
    assert result.failure is None
    assert result.carrier_reference == "IC20240503000123"
    assert result.request_id == "req-42"
    assert (result.raw_code, result.raw_status) == ("1", "PENDING")


def test_intercept_answer_without_status_is_taken_as_pending(adapter: JtAdapter) -> None:
    result = adapter.parse_intercept(return_request(), envelope({"mailNo": WAYBILL, "interceptId": "IC1"}))
    assert result.status is InterceptStatus.PENDING


def test_intercept_answer_already_final_is_honoured(adapter: JtAdapter) -> None:
    done = adapter.parse_intercept(return_request(), envelope({"interceptId": "IC1", "status": "SUCCESS"}))
    assert done.status is InterceptStatus.SUCCEEDED
    failed = adapter.parse_intercept(
        return_request(), envelope({"interceptId": "IC1", "status": "FAILED", "failCode": "173002"})
    )
    assert (failed.status, failed.failure) == (InterceptStatus.FAILED, InterceptFailure.OUT_FOR_DELIVERY)


def test_intercept_answer_without_intercept_id_names_the_field(adapter: JtAdapter) -> None:
    with pytest.raises(ResponseFormatError, match=r"data\.interceptId"):
        adapter.parse_intercept(return_request(), envelope({"mailNo": WAYBILL, "status": "PENDING"}))
    with pytest.raises(ResponseFormatError):
        adapter.parse_intercept(return_request(), envelope(None))


@pytest.mark.parametrize(("code", "failure"), sorted(codes.INTERCEPT_FAILURES.items()))
def test_intercept_refusals_are_failed_results(
    adapter: JtAdapter, code: str, failure: InterceptFailure
) -> None:
    result = adapter.parse_intercept(return_request("req-7"), envelope(None, code=code, msg="拦截失败"))
    assert result.status is InterceptStatus.FAILED
    assert result.failure is failure
    assert result.raw_code == code
    assert result.message == "拦截失败"
    assert result.request_id == "req-7"


def test_unknown_intercept_refusal_code_is_rejected_other(adapter: JtAdapter) -> None:
    result = adapter.parse_intercept(return_request(), envelope(None, code="173042", msg="?"))
    assert (result.failure, result.raw_code) == (InterceptFailure.CARRIER_REJECTED_OTHER, "173042")


@pytest.mark.parametrize(
    ("code", "cls"),
    [("145003030", AuthenticationError), ("145003061", RateLimitError), ("145003062", CarrierServerError)],
)
def test_platform_errors_on_intercept_are_raised(adapter: JtAdapter, code: str, cls: type) -> None:
    with pytest.raises(cls):
        adapter.parse_intercept(return_request(), envelope(None, code=code))


# -- pushes ---------------------------------------------------------------------------------------


def test_trace_push_batches_one_event_per_detail_of_every_waybill(adapter: JtAdapter) -> None:
    events = adapter.parse_push(*fixture_push("sdk_push_trace.json"))
    assert [(e.waybill, e.kind) for e in events] == [
        ("JT2099306666983", PushKind.TRACKING),
        ("JT2099306666983", PushKind.TRACKING),
        ("JT2099306666990", PushKind.TRACKING),
    ]
    tracking = [e.tracking for e in events]
    assert all(t is not None for t in tracking)
    assert [(t.status, t.sub_status) for t in tracking if t is not None] == [
        (S.OUT_FOR_DELIVERY, U.OUT_FOR_DELIVERY),
        (S.DELIVERED, U.SIGNED_BY_RECIPIENT),
        (S.FAILED_ATTEMPT, U.REFUSED),
    ]
    assert events[2].tracking is not None and events[2].tracking.problem_code == "A2"
    assert len({e.dedupe_key for e in events}) == 3


def test_push_dedupe_key_is_stable_on_redelivery(adapter: JtAdapter) -> None:
    headers, body = fixture_push("sdk_push_trace.json")
    first = [e.dedupe_key for e in adapter.parse_push(headers, body)]
    again = [e.dedupe_key for e in adapter.parse_push(dict(headers, timestamp="1714720899999"), body)]
    assert first == again
    assert all(key.startswith("jt|") for key in first)


def test_push_dedupe_key_is_the_same_for_node_name_and_number(adapter: JtAdapter) -> None:
    by_name = adapter.parse_push(
        *signed_push(json.dumps([{"billCode": WAYBILL, "details": [scan(scanType="快件签收")]}]))
    )
    by_number = adapter.parse_push(
        *signed_push(json.dumps([{"billCode": WAYBILL, "details": [scan(scanType="10")]}]))
    )
    assert by_name[0].dedupe_key == by_number[0].dedupe_key


def test_push_dedupe_keys_differ_for_different_events(adapter: JtAdapter) -> None:
    details = [
        scan(scanType="到件扫描"),
        scan(scanType="到件扫描", scanTime="2024-05-01 09:13:00"),
        scan(scanType="发件扫描"),
        scan(scanType="11", problemType="A9"),
        scan(scanType="11", problemType="A2"),
    ]
    events = adapter.parse_push(*signed_push(json.dumps([{"billCode": WAYBILL, "details": details}])))
    assert len({e.dedupe_key for e in events}) == len(details)


REALITY = Path(__file__).resolve().parents[2] / "reality" / "jt"


def test_jt_push_with_one_object_bizcontent_is_parsed(adapter: JtAdapter) -> None:
    # J&T's statusFeedback page describes bizContent as one waybill's object, not an array.
    sample = json.loads((REALITY / "push_trace_one_object.json").read_text("utf-8"))
    biz = json.dumps(sample["body"], ensure_ascii=False)
    (event,) = adapter.parse_push(*signed_push(biz))
    assert (event.kind, event.waybill) == (PushKind.TRACKING, sample["expect"]["push"]["waybill"])
    assert event.tracking is not None and event.tracking.raw_code == "收件"
    assert event.tracking.location == "Kuala Lumpur Hub"
    as_array = adapter.parse_push(*signed_push(json.dumps([sample["body"]], ensure_ascii=False)))
    assert [e.dedupe_key for e in as_array] == [event.dedupe_key]  # the same event either way


def test_one_object_trace_push_without_bill_code_value_names_the_field(adapter: JtAdapter) -> None:
    with pytest.raises(ResponseFormatError, match=r"bizContent\.billCode"):
        adapter.parse_push(*signed_push(json.dumps({"billCode": None, "details": [scan(scanType="1")]})))


def test_an_object_that_is_neither_trace_nor_intercept_is_malformed(adapter: JtAdapter) -> None:
    with pytest.raises(SignatureError) as info:
        adapter.parse_push(*signed_push(json.dumps({"mailNo": WAYBILL})))
    assert info.value.reason == "malformed"


def test_empty_trace_push_gives_no_events(adapter: JtAdapter) -> None:
    assert adapter.parse_push(*signed_push("[]")) == ()


def test_intercept_push_is_an_intercept_result_event(adapter: JtAdapter) -> None:
    (event,) = adapter.parse_push(*fixture_push("sdk_push_intercept.json"))
    assert event.kind is PushKind.INTERCEPT_RESULT and event.waybill == WAYBILL
    result = event.intercept
    assert result is not None
    assert (result.status, result.failure) == (InterceptStatus.FAILED, InterceptFailure.OUT_FOR_DELIVERY)
    assert (result.raw_code, result.raw_status, result.carrier_reference) == (
        "173002",
        "FAILED",
        "IC20240503000123",
    )
    assert result.message == "快件派送中，拦截失败"
    assert result.updated_at is not None and result.updated_at.hour == 10
    assert event.dedupe_key == "jt|JT2099306666983|intercept|IC20240503000123|FAILED"


def test_intercept_success_push_is_succeeded(adapter: JtAdapter) -> None:
    biz = json.dumps(
        {
            "type": "INTERCEPT",
            "mailNo": WAYBILL,
            "interceptId": "IC9",
            "status": "SUCCESS",
            "failCode": "",
            "failReason": "",
            "updateTime": "2024-05-03 10:00:00",
        },
        ensure_ascii=False,
    )
    (event,) = adapter.parse_push(*signed_push(biz))
    assert event.intercept is not None
    assert event.intercept.status is InterceptStatus.SUCCEEDED and event.intercept.failure is None
    assert event.intercept.refund_auto_approvable


def test_intercept_push_without_intercept_id_names_the_field(adapter: JtAdapter) -> None:
    biz = json.dumps({"type": "INTERCEPT", "mailNo": WAYBILL, "status": "SUCCESS"})
    with pytest.raises(ResponseFormatError, match=r"bizContent\.interceptId"):
        adapter.parse_push(*signed_push(biz))


def test_push_without_digest_header_is_missing_header(adapter: JtAdapter) -> None:
    headers, body = fixture_push("sdk_push_trace.json")
    del headers["digest"]
    with pytest.raises(SignatureError) as info:
        adapter.parse_push(headers, body)
    assert info.value.reason == "missing_header"


def test_push_with_digest_not_base64_is_bad_encoding(adapter: JtAdapter) -> None:
    headers, body = fixture_push("sdk_push_trace.json")
    with pytest.raises(SignatureError) as info:
        adapter.parse_push(dict(headers, digest="not base64!!"), body)
    assert info.value.reason == "bad_encoding"


def test_push_from_another_account_is_unknown_account(adapter: JtAdapter) -> None:
    headers, body = fixture_push("sdk_push_trace.json")
    with pytest.raises(SignatureError) as info:
        adapter.parse_push(dict(headers, apiAccount="999"), body)
    assert info.value.reason == "unknown_account"


def test_push_headers_are_matched_without_regard_to_case(adapter: JtAdapter) -> None:
    headers, body = fixture_push("sdk_push_trace.json")
    lowered = {k.lower(): v for k, v in headers.items()}
    assert len(adapter.parse_push(lowered, body)) == 3


@pytest.mark.parametrize(
    ("body", "digest_over"),
    [
        (b"payload=%5B%5D", "[]"),
        (urlencode({"bizContent": "{not json"}).encode("ascii"), "{not json"),
        (urlencode({"bizContent": '{"type": "OTHER"}'}).encode("ascii"), '{"type": "OTHER"}'),
        (b"bizContent=\xff", "\ufffd"),
    ],
)
def test_malformed_pushes_are_signature_errors(adapter: JtAdapter, body: bytes, digest_over: str) -> None:
    headers = {"apiAccount": ACCOUNT, "digest": digest_of(digest_over)}
    with pytest.raises(SignatureError) as info:
        adapter.parse_push(headers, body)
    assert info.value.reason == "malformed"


# -- through the Client ---------------------------------------------------------------------------


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
    registry.register(JtAdapter)
    return Client(
        ClientConfig(carriers={"jt": config()}, retry=RetryPolicy(max_attempts=2)),
        transport=transport,
        registry=registry,
        sleep=lambda seconds: None,
        id_factory=lambda: "req-fixed",
    )


def test_client_tracks_a_jt_waybill_through_the_adapter() -> None:
    transport = FakeTransport(answer(load("sdk_track_answer.json")["response"]))
    result = make_client(transport).track(WAYBILL.lower())
    assert result.carrier == "jt" and result.status is S.DELIVERED
    (sent,) = transport.requests
    assert sent.url == f"{BASE_URL}/webopenplatformapi/api/logistics/trace"
    assert sent.headers["digest"] == digest_of(biz_of(sent))


def test_client_retries_track_after_system_busy() -> None:
    transport = FakeTransport(envelope(None, code="145003062", msg="系统繁忙"), trace(scan(scanType="1")))
    result = make_client(transport).track(WAYBILL)
    assert result.status is S.PICKED_UP
    assert len(transport.requests) == 2


def test_client_intercepts_a_jt_waybill_through_the_adapter() -> None:
    transport = FakeTransport(answer(load("sdk_intercept_accepted.json")["response"]))
    result = make_client(transport).intercept(WAYBILL, reason="buyer refund")
    assert (result.status, result.carrier_reference, result.request_id) == (
        InterceptStatus.PENDING,
        "IC20240503000123",
        "req-fixed",
    )
    assert biz_of(transport.requests[0]) == '{"mailNo":"JT2099306666983","applyTypeCode":4}'


def _tolerant_adapter(now_ms: int, tolerance: float = 300.0):
    from kscarriers import CarrierConfig, Credentials
    from kscarriers.carriers.jt import JtAdapter

    config = CarrierConfig(
        credentials=Credentials(app_key="100001", app_secret="pk-secret"),
        base_url="https://jt.test",
        push_tolerance=tolerance,
    )
    return JtAdapter(config, now_ms=lambda: now_ms)


def _signed_jt_push(stamp: str) -> tuple:
    import base64 as b64
    import hashlib as hl
    from urllib.parse import urlencode as enc

    biz = '[{"billCode":"JT2099306666983","details":[{"scanTime":"2024-01-01 08:00:00","scanType":"快件揽收"}]}]'
    digest = b64.b64encode(hl.md5((biz + "pk-secret").encode()).digest()).decode()
    return {"apiAccount": "100001", "digest": digest, "timestamp": stamp}, enc({"bizContent": biz}).encode()


def test_push_within_tolerance_is_accepted():
    headers, body = _signed_jt_push("1700000000000")
    assert len(_tolerant_adapter(1700000100000).parse_push(headers, body)) == 1


def test_stale_push_is_rejected_when_a_tolerance_is_set():
    from kscarriers import SignatureError

    headers, body = _signed_jt_push("1700000000000")
    with pytest.raises(SignatureError) as info:
        _tolerant_adapter(1700000000000 + 3_600_000).parse_push(headers, body)
    assert info.value.reason == "stale"


def test_push_without_timestamp_is_rejected_when_a_tolerance_is_set():
    from kscarriers import SignatureError

    headers, body = _signed_jt_push("")
    with pytest.raises(SignatureError) as info:
        _tolerant_adapter(1700000000000).parse_push(headers, body)
    assert info.value.reason == "missing_header"


@pytest.mark.parametrize("stamp", ["²", "9" * 5000, "17000000000000000", "abc", "１７００"])
def test_push_with_a_timestamp_that_is_not_epoch_milliseconds_is_a_bad_encoding(stamp: str) -> None:
    from kscarriers import SignatureError

    headers, body = _signed_jt_push(stamp)
    with pytest.raises(SignatureError) as info:
        _tolerant_adapter(1700000000000).parse_push(headers, body)
    assert info.value.reason == "bad_encoding" and "timestamp" in str(info.value)


def test_push_digest_with_changed_padding_bits_is_a_mismatch(adapter: JtAdapter) -> None:
    # Found by fuzzing: "…xaR==" decoded to the same bytes as the real "…xaQ==" and verified.
    headers, body = fixture_push("sdk_push_intercept.json")
    digest = headers["digest"]
    headers["digest"] = digest[:21] + chr(ord(digest[21]) + 1) + digest[22:]
    assert base64.b64decode(headers["digest"]) == base64.b64decode(digest)
    with pytest.raises(SignatureError) as info:
        adapter.parse_push(headers, body)
    assert info.value.reason == "mismatch"


def test_answer_nested_too_deeply_is_a_format_error(adapter: JtAdapter) -> None:
    # Found by fuzzing: json.loads raised RecursionError out of parse_track.
    body = ('{"code":"1","msg":"success","data":' + "[" * 100_000 + "]" * 100_000 + "}").encode()
    with pytest.raises(ResponseFormatError) as info:
        adapter.parse_track(WAYBILL, HttpResponse(status=200, body=body))
    assert info.value.code == "BAD_JSON"


def test_signed_push_nested_too_deeply_is_malformed(adapter: JtAdapter) -> None:
    headers, body = signed_push("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SignatureError) as info:
        adapter.parse_push(headers, body)
    assert info.value.reason == "malformed"
