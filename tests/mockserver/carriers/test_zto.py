"""Tests for the ZTO blueprint: auth, errors, track, subscribe, intercept lifecycle, pushes, Decider."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qsl, quote_plus

import pytest
from mockfakes import FixedDecider

from mockserver.carriers.codec import b64_md5, form_body
from mockserver.carriers.zto.wire import build_trace_pushes, intercept_push_form, is_push_ack, trace_push_form
from mockserver.deciders import Decision, Fault, RawResponse
from mockserver.world import Account, FailReason, InterceptPlan, InterceptStatus, Scan, ScanKind, Site, Stage
from mockserver.world.itineraries import plan_stage_route

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "zto"
ZTO_KEY = "zto-demo"
ZTO_SECRET = "zto-demo-secret"
API_TRACK = "zto.merchant.waybill.track.query"
API_SUBSCRIBE = "zto.merchant.waybill.track.subsrcibe"
API_INTERCEPT = "thirdcenter.createIntercept"
API_CANCEL = "thirdcenter.cancelIntercept"
API_STATUS = "thirdcenter.queryInterceptAndReturnStatus"


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hashlib.md5(body + secret.encode("utf-8")).digest()).decode()


WAYBILL = "73100130019486"
CHENGDU = {
    "receiveUsername": "王五",
    "receivePhone": "13800138000",
    "receiveProvince": "四川省",
    "receiveCity": "成都市",
    "receiveDistrict": "锦江区",
    "receiveAddress": "春熙路1号",
}


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _error(answer: dict[str, Any]) -> tuple[str, str]:
    assert answer["status"] is False and answer["result"] is None
    return answer["statusCode"], answer["message"]


@pytest.mark.parametrize("case", _fixture("mock_error_cases.json")["cases"], ids=lambda case: case["name"])
def test_bad_requests_answer_zto_error_envelopes(mock_client: Any, case: dict[str, Any]) -> None:
    raw = json.dumps(case["body"], ensure_ascii=False).encode("utf-8")
    headers: dict[str, Optional[str]] = {"x-appKey": ZTO_KEY, "x-dataDigest": sign(raw, ZTO_SECRET)}
    headers.update(case["headers"])
    sent = {k: v for k, v in headers.items() if v is not None}
    answer = mock_client.post(f"/zto/{case['api']}", data=raw, headers=sent)
    assert answer.status_code == 200
    assert _error(answer.get_json()) == (case["statusCode"], case["message"])


def test_track_answers_only_the_scans_that_already_happened(zto: Any, make_parcel: Any) -> None:
    sample = _fixture("mock_track.json")
    parcel = make_parcel(WAYBILL, "in_transit")
    answer = zto.call(API_TRACK, sample["request"])
    assert {k: answer[k] for k in ("message", "status", "statusCode")} == {
        k: sample["answer"][k] for k in ("message", "status", "statusCode")
    }
    scans = answer["result"]
    assert len(scans) == sum(1 for scan in parcel["route"] if scan["visible"])
    for scan in scans:
        assert (
            set(sample["scan_keys"]) <= set(scan) <= set(sample["scan_keys"] + sample["optional_scan_keys"])
        )
        assert set(scan["scanSite"]) == set(sample["scan_site_keys"])
        assert isinstance(scan["scanDate"], int)
    assert [s["scanType"] for s in scans][:3] == ["收件", "发件", "到件"]
    assert scans == sorted(scans, key=lambda s: s["scanDate"])


def test_track_accepts_the_official_sdk_header_names_in_any_case(mock_client: Any) -> None:
    raw = json.dumps({"billCode": WAYBILL}).encode()
    answer = mock_client.post(
        f"/zto/{API_TRACK}", data=raw, headers={"X-COMPANYID": ZTO_KEY, "x-datadigest": sign(raw, ZTO_SECRET)}
    )
    assert answer.get_json()["status"] is True


def test_track_of_a_parcel_not_picked_up_is_an_empty_success(zto: Any, make_parcel: Any) -> None:
    make_parcel(WAYBILL, "created")
    assert zto.call(API_TRACK, {"billCode": WAYBILL, "mobilePhone": "8000"})["result"] == []


@pytest.mark.parametrize("api", [API_TRACK, API_SUBSCRIBE])
def test_mobile_phone_is_read_on_track_and_subscribe(zto: Any, make_parcel: Any, api: str) -> None:
    make_parcel(WAYBILL, "in_transit")
    assert zto.call(api, {"billCode": WAYBILL, "mobilePhone": "5514"})["status"] is True
    for bad in ("13800138000", "٥٥١٤"):
        answer = zto.call(api, {"billCode": WAYBILL, "mobilePhone": bad})
        assert (answer["status"], answer["statusCode"]) == (False, "E413")


def test_track_shows_new_scans_as_the_clock_moves(zto: Any, make_parcel: Any, mock_clock: Any) -> None:
    make_parcel(WAYBILL, "out_for_delivery")
    before = zto.call(API_TRACK, {"billCode": WAYBILL})["result"]
    mock_clock.advance(3 * 24 * 3600)
    after = zto.call(API_TRACK, {"billCode": WAYBILL})["result"]
    assert after[: len(before)] == before
    assert after[-1]["scanType"] == "签收"
    assert after[-1]["signMan"]


def test_track_answers_a_parcel_replaced_by_the_admin_with_its_new_scans(zto: Any, make_parcel: Any) -> None:
    make_parcel(WAYBILL, "in_transit")
    before = zto.call(API_TRACK, {"billCode": WAYBILL})["result"]
    make_parcel(WAYBILL, "signed")
    after = zto.call(API_TRACK, {"billCode": WAYBILL})["result"]
    assert after != before and after[-1]["scanType"] == "签收"


def test_a_tampered_body_is_refused_after_the_same_track_was_answered(zto: Any, make_parcel: Any) -> None:
    make_parcel(WAYBILL, "signed")
    raw = json.dumps({"billCode": WAYBILL}).encode("utf-8")
    assert zto.call(API_TRACK, raw)["status"] is True
    tampered = raw.replace(b"}", b', "mobilePhone": "1234"}')
    assert _error(zto.call(API_TRACK, tampered, digest=sign(raw, ZTO_SECRET))) == ("S211", "签名错误")
    assert _error(zto.call(API_TRACK, raw, secret="not-the-secret")) == ("S211", "签名错误")


def test_requests_in_one_app_context_are_journalled_each_as_it_was(
    zto: Any, mock_client: Any, mock_app: Any
) -> None:
    with mock_app.app_context():  # flask.g is shared by the requests made inside it
        assert _error(zto.call(API_TRACK, {"billCode": WAYBILL}, secret="wrong"))[0] == "S211"
        assert zto.call(API_SUBSCRIBE, {"billCode": WAYBILL})["status"] is True
    refused, subscribed = mock_client.get("/__admin/requests").get_json()["requests"][-2:]
    assert (refused["operation"], refused["error"]) == ("track", "S211: 签名错误")
    assert (subscribed["operation"], subscribed["error"], subscribed["response_status"]) == (
        "subscribe",
        None,
        200,
    )


def test_a_decider_can_read_the_request_headers_after_the_request(zto: Any, mock_app: Any) -> None:
    decider = FixedDecider(Decision(name="outage", response=RawResponse(status=503, body="down")))
    mock_app.extensions["mockserver"].decider = decider
    zto.post(API_TRACK, {"billCode": WAYBILL})
    seen = decider.seen[0]
    assert (seen.headers["X-Appkey"], seen.headers["Content-Type"]) == (
        ZTO_KEY,
        "application/json; charset=utf-8",
    )
    assert dict(seen.headers) == {k: v for k, v in seen.headers.items()} and "X-Datadigest" in seen.headers
    assert seen.path == f"/zto/{API_TRACK}" and seen.body == json.dumps(
        {"billCode": WAYBILL}, separators=(",", ":")
    )


def test_a_stub_added_after_a_request_answers_the_same_request_next(zto: Any, mock_client: Any) -> None:
    assert zto.call(API_TRACK, {"billCode": WAYBILL})["status"] is True
    stub = {
        "match": {"carrier": "zto", "operation": "track"},
        "outcome": {"type": "carrier_error", "kind": "unavailable"},
    }
    assert mock_client.post("/__admin/scenarios", json={**stub, "id": "down"}).status_code == 201
    assert zto.call(API_TRACK, {"billCode": WAYBILL})["status"] is False
    assert mock_client.get("/__admin/requests").get_json()["requests"][-1]["decided_by"] == "down"


def test_legacy_twelve_digit_waybills_are_accepted(zto: Any) -> None:
    assert zto.call(API_TRACK, {"billCode": "728350000001"})["status"] is True


def test_subscribe_succeeds_and_is_stored(zto: Any, mock_app: Any) -> None:
    answer = zto.call(API_SUBSCRIBE, {"billCode": WAYBILL})
    assert answer == {"result": None, "message": "成功", "status": True, "statusCode": "SYS000"}
    subscriptions = mock_app.extensions["mockserver"].store.list_subscriptions("zto", ZTO_KEY)
    assert [s.waybill for s in subscriptions] == [WAYBILL]


def test_intercept_change_of_address_is_accepted_as_pending(zto: Any, make_parcel: Any) -> None:
    sample = _fixture("mock_create_intercept.json")
    make_parcel(WAYBILL, "in_transit")
    assert zto.call(API_INTERCEPT, sample["request"]) == sample["answer"]


def test_second_intercept_while_one_is_pending_answers_e23121(zto: Any, make_parcel: Any) -> None:
    make_parcel(WAYBILL, "picked_up")
    assert zto.intercept(WAYBILL, "r1")["status"] is True
    assert _error(zto.intercept(WAYBILL, "r2"))[0] == "E23121"


def test_same_request_id_gets_the_first_answer_and_creates_nothing(
    mock_client: Any, zto: Any, make_parcel: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    first = zto.intercept(WAYBILL, "r1")
    assert zto.intercept(WAYBILL, "r1") == first
    assert len(mock_client.get("/__admin/intercepts").get_json()["intercepts"]) == 1


def test_a_refusal_is_replayed_for_the_same_request_id(zto: Any, make_parcel: Any, mock_clock: Any) -> None:
    make_parcel(WAYBILL, "out_for_delivery")
    assert _error(zto.intercept(WAYBILL, "r1"))[0] == "E23120"
    make_parcel(WAYBILL, "in_transit")
    assert _error(zto.intercept(WAYBILL, "r1"))[0] == "E23120"
    assert zto.intercept(WAYBILL, "r2")["status"] is True


def test_return_intercept_succeeds_after_the_result_delay_and_shows_return_scans(
    zto: Any, make_parcel: Any, mock_clock: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    zto.intercept(WAYBILL, "r1", destination_type=2)
    pending = zto.call(API_STATUS, {"billCode": WAYBILL})["result"]
    assert (pending["status"], pending["statusName"], pending["serviceCode"]) == ("1", "拦截中", "r1")
    mock_clock.advance(1799)
    assert zto.call(API_STATUS, {"billCode": WAYBILL})["result"]["status"] == "1"
    mock_clock.advance(1)
    done = zto.call(API_STATUS, {"billCode": WAYBILL})["result"]
    assert (done["status"], done["statusName"], done["failCode"]) == ("2", "拦截成功", None)
    assert done["updateTime"] == "2025-01-06 10:30:00"  # created 02:00 UTC + 1800 s, shown in UTC+8
    assert zto.call(API_TRACK, {"billCode": WAYBILL})["result"][-1]["scanType"] == "退件"
    mock_clock.advance(7 * 24 * 3600)
    final = zto.call(API_TRACK, {"billCode": WAYBILL})["result"][-1]
    assert (final["scanType"], final["signMan"]) == ("退件签收", "寄件人")
    assert _error(zto.intercept(WAYBILL, "r2"))[0] == "E23101"


def test_intercept_fails_when_the_parcel_is_signed_before_the_result(
    zto: Any, make_parcel: Any, mock_clock: Any, mock_app: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    mock_app.extensions["mockserver"].simulator.result_delay *= 200  # result long after delivery
    zto.intercept(WAYBILL, "r1")
    mock_clock.advance(30 * 24 * 3600)
    failed = zto.call(API_STATUS, {"billCode": WAYBILL})["result"]
    assert (failed["status"], failed["failCode"], failed["failReason"]) == ("3", "E23101", "快件已签收")


def test_change_of_address_reroutes_the_parcel_to_the_new_city(
    zto: Any, make_parcel: Any, mock_clock: Any
) -> None:
    make_parcel(WAYBILL, "in_transit", destination={"province": "上海市", "city": "上海市"})
    zto.intercept(WAYBILL, "r1", destination_type=3, **CHENGDU)
    mock_clock.advance(7 * 24 * 3600)
    scans = zto.call(API_TRACK, {"billCode": WAYBILL})["result"]
    assert scans[-1]["scanType"] == "签收"
    assert scans[-1]["scanSite"]["city"] == "成都市"
    assert zto.call(API_STATUS, {"billCode": WAYBILL})["result"]["status"] == "2"


def test_cancel_stops_a_pending_intercept(zto: Any, make_parcel: Any, mock_clock: Any) -> None:
    make_parcel(WAYBILL, "in_transit")
    zto.intercept(WAYBILL, "r1")
    assert _error(zto.call(API_CANCEL, {"billCode": WAYBILL, "thirdBizNo": "other"}))[0] == "E23130"
    cancelled = zto.call(API_CANCEL, {"billCode": WAYBILL, "thirdBizNo": "r1", "dealRemark": "误操作"})
    assert cancelled == {"result": None, "message": "成功", "status": True, "statusCode": "SYS000"}
    assert zto.call(API_STATUS, {"billCode": WAYBILL})["result"]["status"] == "4"
    mock_clock.advance(3600)
    assert zto.call(API_STATUS, {"billCode": WAYBILL})["result"]["status"] == "4"
    assert _error(zto.call(API_CANCEL, {"billCode": WAYBILL}))[0] == "E23130"


def test_intercept_after_a_successful_one_is_not_supported(
    zto: Any, make_parcel: Any, mock_clock: Any
) -> None:
    make_parcel(WAYBILL, "picked_up")
    zto.intercept(WAYBILL, "r1")
    mock_clock.advance(1800)
    assert _error(zto.intercept(WAYBILL, "r2"))[0] == "E23139"


def test_accounts_do_not_see_each_others_intercepts(mock_client: Any, zto: Any, make_parcel: Any) -> None:
    mock_client.post(
        "/__admin/accounts", json={"carrier": "zto", "app_key": "job-2", "app_secret": "job-2-secret"}
    )
    make_parcel(WAYBILL, "picked_up")
    zto.intercept(WAYBILL, "r1")
    other = zto.call(API_STATUS, {"billCode": WAYBILL}, app_key="job-2", secret="job-2-secret")
    assert _error(other)[0] == "E23102"


def test_journal_keeps_headers_but_masks_a_leaked_secret(mock_client: Any, zto: Any) -> None:
    zto.call(API_TRACK, {"billCode": WAYBILL, "note": ZTO_SECRET})
    entry = mock_client.get("/__admin/requests").get_json()["requests"][-1]
    assert ZTO_SECRET not in json.dumps(entry, ensure_ascii=False)
    assert entry["request_headers"]["X-Datadigest"]
    assert (entry["account"], entry["waybill"], entry["decided_by"]) == (ZTO_KEY, WAYBILL, "default")


def test_decider_can_answer_a_raw_response(mock_client: Any, zto: Any, mock_app: Any) -> None:
    decider = FixedDecider(Decision(name="outage", response=RawResponse(status=503, body="down")))
    mock_app.extensions["mockserver"].decider = decider
    answer = zto.post(API_TRACK, {"billCode": WAYBILL})
    assert (answer.status_code, answer.get_data(as_text=True)) == (503, "down")
    seen = decider.seen[0]
    assert (seen.carrier, seen.operation.value, seen.app_key, seen.waybill) == (
        "zto",
        "track",
        ZTO_KEY,
        WAYBILL,
    )
    assert mock_client.get("/__admin/requests").get_json()["requests"][-1]["decided_by"] == "outage"


def test_decider_missing_field_fault_names_the_field_and_can_reword_messages(zto: Any, mock_app: Any) -> None:
    hub = mock_app.extensions["mockserver"]
    hub.decider = FixedDecider(Decision(name="m", fault=Fault.MISSING_FIELD, field_name="requestId"))
    assert _error(zto.call(API_TRACK, {"billCode": WAYBILL})) == ("S208", "requestId不能为空")
    hub.decider = FixedDecider(Decision(name="m", reject=FailReason.DUPLICATE, message="重复"))
    assert _error(zto.intercept(WAYBILL, "r1")) == ("E23121", "重复")


def test_decider_plan_fails_an_accepted_intercept_after_its_delay(
    zto: Any, make_parcel: Any, mock_app: Any, mock_clock: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    plan = InterceptPlan(result=InterceptStatus.FAILED, reason=FailReason.OTHER, delay_seconds=60)
    mock_app.extensions["mockserver"].decider = FixedDecider(Decision(name="late", intercept=plan))
    assert zto.intercept(WAYBILL, "r1")["result"]["status"] == "1"
    mock_clock.advance(60)
    failed = zto.call(API_STATUS, {"billCode": WAYBILL})["result"]
    assert (failed["status"], failed["failCode"]) == ("3", "E23124")


def test_decider_plan_without_delay_keeps_an_intercept_pending_for_good(
    zto: Any, make_parcel: Any, mock_app: Any, mock_clock: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    plan = InterceptPlan(result=InterceptStatus.SUCCEEDED, delay_seconds=None)
    mock_app.extensions["mockserver"].decider = FixedDecider(Decision(name="stuck", intercept=plan))
    zto.intercept(WAYBILL, "r1")
    mock_clock.advance(365 * 24 * 3600)
    assert zto.call(API_STATUS, {"billCode": WAYBILL})["result"]["status"] == "1"


def test_decider_transform_rewrites_the_normal_answer(zto: Any, make_parcel: Any, mock_app: Any) -> None:
    make_parcel(WAYBILL, "in_transit")

    def drop_scan_dates(payload: dict[str, Any]) -> dict[str, Any]:
        for scan in payload["result"]:
            del scan["scanDate"]
        return payload

    mock_app.extensions["mockserver"].decider = FixedDecider(
        Decision(name="missing_fields", transform=drop_scan_dates)
    )
    scans = zto.call(API_TRACK, {"billCode": WAYBILL})["result"]
    assert scans and all("scanDate" not in scan for scan in scans)


def test_trace_push_form_is_signed_over_data_plus_secret(mock_clock: Any) -> None:
    _, _, route = plan_stage_route("zto", WAYBILL, Stage.PICKED_UP, now=mock_clock.now())
    form = trace_push_form("zto-test-key", "zto-test-secret-0123", WAYBILL, route[0])
    assert (form["company_id"], form["msg_type"]) == ("zto-test-key", "Traces")
    assert form["data_digest"] == sign(form["data"].encode("utf-8"), "zto-test-secret-0123")
    data = json.loads(form["data"])
    assert (data["billCode"], data["action"], data["facilityName"]) == (WAYBILL, "GOT", route[0].site.name)
    assert "data_digest=" in form_body(form)


def test_b64_md5_agrees_with_an_independent_digest_of_the_sdk_push_sample() -> None:
    sample = _fixture("sdk_push_trace.json")
    data = json.dumps(sample["data"], ensure_ascii=False, separators=(",", ":"))
    assert b64_md5((data + sample["secret"]).encode("utf-8")) == sign(data.encode("utf-8"), sample["secret"])


def test_intercept_push_form_carries_the_status_object(zto: Any, make_parcel: Any, mock_app: Any) -> None:
    make_parcel(WAYBILL, "in_transit")
    zto.intercept(WAYBILL, "r1")
    record = mock_app.extensions["mockserver"].store.list_intercepts("zto", ZTO_KEY)[0]
    form = intercept_push_form(ZTO_KEY, ZTO_SECRET, record)
    assert form["msg_type"] == "InterceptResult"
    assert json.loads(form["data"]) == zto.call(API_STATUS, {"billCode": WAYBILL})["result"]


def test_push_ack_needs_http_200_and_status_true() -> None:
    assert is_push_ack(200, '{"status":true,"message":"成功","statusCode":"SYS000"}'.encode())
    assert not is_push_ack(500, b'{"status":true}')
    assert not is_push_ack(200, b'{"status":false}')
    assert not is_push_ack(200, b"ok")


def test_double_slash_path_is_an_unknown_route_not_an_html_redirect(mock_client: Any) -> None:
    # Found by fuzzing: "/zto//x" was answered with Flask's HTML 308 redirect page.
    body = b'{"billCode":"73100130019486"}'
    answer = mock_client.post(
        "/zto//x", data=body, headers={"x-appKey": ZTO_KEY, "x-dataDigest": sign(body, ZTO_SECRET)}
    )
    assert answer.status_code == 404
    assert answer.get_json()["error"] == "not_found"


def test_destination_type_infinity_is_an_invalid_destination(mock_client: Any) -> None:
    body = b'{"billCode":"73100130019486","requestId":"r1","destinationType":1e999}'
    answer = mock_client.post(
        f"/zto/{API_INTERCEPT}",
        data=body,
        headers={"x-appKey": ZTO_KEY, "x-dataDigest": sign(body, ZTO_SECRET)},
    )
    assert answer.get_json()["statusCode"] == "E23108"


# -- ZOP form mode, as the official SDK and a PHP client send it (tests/reality/zto/m_form_*) ----

REALITY = Path(__file__).resolve().parents[2] / "reality" / "zto"


def _reality(name: str) -> Any:
    return json.loads((REALITY / name).read_text(encoding="utf-8"))


def _java_string_hash(text: str) -> int:
    """``String.hashCode()``: over UTF-16 code units, in 32-bit two's complement."""
    value = 0
    units = text.encode("utf-16-be")
    for i in range(0, len(units), 2):
        value = (31 * value + int.from_bytes(units[i : i + 2], "big")) & 0xFFFFFFFF
    return value


def java_hashmap_order(keys: list[str]) -> list[str]:
    """The iteration order of a ``java.util.HashMap<String, String>`` filled with ``keys`` in order.

    Buckets by ``(h ^ (h >>> 16)) & (capacity - 1)``, capacity 16 doubled past a 0.75 load;
    keys of one bucket keep their insertion order (fewer than 8 per bucket: no tree bins).
    """
    capacity = 16
    while len(keys) > capacity * 0.75:
        capacity *= 2

    def bucket(key: str) -> int:
        h = _java_string_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(keys, key=lambda k: (bucket(k), keys.index(k)))


def java_url_encode(text: str) -> str:
    """``URLEncoder.encode(text, "UTF-8")``: ``[A-Za-z0-9.*_-]`` kept, space ``+``, else ``%XX``."""
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char in ".-*_"):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def zop_digest(
    text: str, secret: str, *, algorithm: str = "MD5", base64_: bool = True, timestamp: Optional[int] = None
) -> str:
    """``ZopDigestUtil.digest(text + secret, …)`` with the HmacSHA256 key set to ``secret``."""
    message = (f"{timestamp}" if timestamp is not None else "") + text + secret
    data = message.encode("utf-8")
    if algorithm == "SHA256":
        raw = hashlib.sha256(data).digest()
    elif algorithm == "HmacSHA256":
        raw = hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()
    else:
        raw = hashlib.md5(data).digest()
    return base64.b64encode(raw).decode() if base64_ else raw.hex()


def java_sdk_form(params: dict[str, str], secret: str, **options: Any) -> tuple[bytes, dict[str, str]]:
    """Body and headers of ``ZopClient.execute`` for ``addParam``/``setData`` (form mode)."""
    order = java_hashmap_order(list(params))
    signed = "&".join(f"{k}={params[k]}" for k in order)
    body = "&".join(f"{java_url_encode(k)}={java_url_encode(params[k])}" for k in order)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "x-companyid": ZTO_KEY,
        "x-datadigest": zop_digest(signed, secret, **options),
    }
    if options.get("timestamp") is not None:
        headers["x-timestamp"] = str(options["timestamp"])
    return body.encode("utf-8"), headers


def php_express_form(params: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """Body and headers of syships/php-express ``ZopClient::execute`` (insertion order, urlencode)."""
    fixed = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    signed = "&".join(f"{k}={v}" for k, v in fixed.items())
    body = "&".join(f"{quote_plus(k, safe='')}={quote_plus(v, safe='')}" for k, v in fixed.items())
    digest = base64.b64encode(hashlib.md5((signed + secret).encode("utf-8")).digest()).decode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        "x-companyid": ZTO_KEY,
        "x-datadigest": digest,
    }
    return body.replace("~", "%7E").encode("ascii"), headers


#: ``String.join(",", map.keySet())`` of a ``HashMap`` filled in this order, printed by OpenJDK 17.
JAVA_HASHMAP_ORDERS = [
    (
        "billCode,requestId,thirdBizNo,destinationType,receiveUsername,receivePhone,receiveProvince,"
        "receiveCity,receiveDistrict,receiveAddress",
        "receivePhone,thirdBizNo,receiveDistrict,receiveAddress,requestId,receiveCity,destinationType,"
        "billCode,receiveUsername,receiveProvince",
    ),
    ("billCode,mobilePhone", "mobilePhone,billCode"),
    (  # 14 keys: the table has grown to 32 buckets
        "billCode,requestId,thirdBizNo,receivePhone,receiveUsername,receiveAddress,receiveDistrict,"
        "receiveCity,receiveProvince,destinationType,a1,b2,c3,d4",
        "receivePhone,thirdBizNo,receiveDistrict,receiveAddress,billCode,receiveProvince,a1,b2,c3,d4,"
        "requestId,receiveCity,destinationType,receiveUsername",
    ),
]


@pytest.mark.parametrize(("filled", "iterated"), JAVA_HASHMAP_ORDERS)
def test_the_java_sdk_port_orders_params_as_a_java_hashmap(filled: str, iterated: str) -> None:
    assert ",".join(java_hashmap_order(filled.split(","))) == iterated


def test_the_java_sdk_port_encodes_and_hashes_as_java() -> None:
    # "billCode".hashCode() and URLEncoder.encode(…, "UTF-8"), printed by OpenJDK 17.
    assert _java_string_hash("billCode") == 889121428
    assert java_url_encode("春熙路1号 3单元&4楼~*") == (
        "%E6%98%A5%E7%86%99%E8%B7%AF1%E5%8F%B7+3%E5%8D%95%E5%85%83%264%E6%A5%BC%7E*"
    )


def test_form_mode_change_address_signed_like_the_java_sdk_is_recorded_with_chinese_values(
    mock_client: Any, make_parcel: Any
) -> None:
    sample = _reality("m_form_request_zopsdk_java.json")
    params = sample["body"]["params"]
    make_parcel(params["billCode"], "in_transit")
    body, headers = java_sdk_form(params, ZTO_SECRET)
    answer = mock_client.post(f"/zto/{sample['body']['api_name']}", data=body, headers=headers).get_json()
    assert (answer["status"], answer["statusCode"]) == (True, "SYS000"), answer
    assert answer["result"]["thirdBizNo"] == params["thirdBizNo"]
    (record,) = mock_client.get("/__admin/intercepts").get_json()["intercepts"]
    assert record["kind"] == sample["expect"]["intercept"]["kind"]
    assert record["new_address"] == sample["expect"]["intercept"]["new_address"]


def test_form_mode_from_the_php_client_is_accepted(mock_client: Any, make_parcel: Any) -> None:
    sample = _reality("m_form_request_php_express.json")
    values = {
        "billCode": WAYBILL,
        "requestId": "php-1",
        "thirdBizNo": "php-1",
        "receivePhone": CHENGDU["receivePhone"],
        "receiveUsername": CHENGDU["receiveUsername"],
        "receiveAddress": CHENGDU["receiveAddress"],
        "receiveDistrict": CHENGDU["receiveDistrict"],
        "receiveCity": CHENGDU["receiveCity"],
        "receiveProvince": CHENGDU["receiveProvince"],
    }
    params = {k: values.get(k, v) for k, v in sample["body"]["params"].items()}  # the sample's order
    assert params["destinationType"] == 3 and list(params) == list(sample["body"]["params"])
    make_parcel(WAYBILL, "in_transit")
    body, headers = php_express_form(params, ZTO_SECRET)
    answer = mock_client.post(f"/zto/{sample['body']['api_name']}", data=body, headers=headers).get_json()
    assert (answer["status"], answer["statusCode"]) == (True, "SYS000"), answer
    (record,) = mock_client.get("/__admin/intercepts").get_json()["intercepts"]
    assert record["kind"] == "change_address" and record["new_address"]["detail"] == "春熙路1号"


def test_form_mode_track_and_subscribe_answer_as_in_json_mode(
    mock_client: Any, zto: Any, make_parcel: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    body, headers = java_sdk_form({"billCode": WAYBILL, "mobilePhone": "5514"}, ZTO_SECRET)
    form_answer = mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json()
    assert form_answer == zto.call(API_TRACK, {"billCode": WAYBILL, "mobilePhone": "5514"})
    body, headers = java_sdk_form({"billCode": WAYBILL}, ZTO_SECRET)
    assert mock_client.post(f"/zto/{API_SUBSCRIBE}", data=body, headers=headers).get_json()["status"] is True


def test_form_digest_over_the_encoded_body_is_a_bad_signature(mock_client: Any) -> None:
    params = {"billCode": WAYBILL, "dealRemark": "不要了 谢谢"}
    body, headers = java_sdk_form(params, ZTO_SECRET)
    headers["x-datadigest"] = sign(body, ZTO_SECRET)  # signed as JSON mode signs: the raw body
    answer = mock_client.post(f"/zto/{API_CANCEL}", data=body, headers=headers).get_json()
    assert _error(answer) == ("S211", "签名错误")


def test_form_field_checks_are_the_json_modes(mock_client: Any) -> None:
    body, headers = java_sdk_form({"billCode": "123"}, ZTO_SECRET)
    assert _error(mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json())[0] == "E416"
    body, headers = java_sdk_form({"billCode": WAYBILL, "requestId": "r", "destinationType": "9"}, ZTO_SECRET)
    answer = mock_client.post(f"/zto/{API_INTERCEPT}", data=body, headers=headers).get_json()
    assert _error(answer) == ("E23108", "无效的拦截、退改方式")
    body, headers = java_sdk_form({"mobilePhone": "5514"}, ZTO_SECRET)
    answer = mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json()
    assert _error(answer) == ("S208", "billCode不能为空")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"billCode=%FF%FE", "请求体必须是UTF-8编码的表单"),
        (b"billCode=73100130019486&billCode=73100130019487", "billCode重复"),
    ],
)
def test_a_form_that_cannot_be_read_is_s208_naming_the_problem(
    mock_client: Any, body: bytes, message: str
) -> None:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "x-appKey": ZTO_KEY,
        "x-dataDigest": sign(body, ZTO_SECRET),
    }
    assert _error(mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json()) == (
        "S208",
        message,
    )


def test_form_requests_are_journalled_with_their_waybill(mock_client: Any) -> None:
    body, headers = java_sdk_form({"billCode": WAYBILL}, "wrong-secret")
    assert _error(mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json())[0] == "S211"
    (entry,) = mock_client.get("/__admin/requests").get_json()["requests"]
    assert entry["waybill"] == WAYBILL and ZTO_SECRET not in json.dumps(entry, ensure_ascii=False)


# -- the ZOP console's signing options, per account (tests/reality/zto/m_sign_options_*) --------

SIGN_OPTIONS = [
    ({"zop_sign": "sha256"}, {"algorithm": "SHA256"}),
    ({"zop_sign_encoding": "hex"}, {"base64_": False}),
    ({"zop_sign": "sha256", "zop_sign_encoding": "hex"}, {"algorithm": "SHA256", "base64_": False}),
    ({"zop_sign": "hmac_sha256"}, {"algorithm": "HmacSHA256"}),
    ({"zop_sign": "hmac_sha256", "zop_sign_encoding": "hex"}, {"algorithm": "HmacSHA256", "base64_": False}),
    ({"zop_sign_timestamp": "true"}, {"timestamp": 1748934000123}),
    (
        {"zop_sign": "sha256", "zop_sign_timestamp": "true"},
        {"algorithm": "SHA256", "timestamp": 1748934000123},
    ),
]


def test_every_signing_option_of_the_official_sdk_has_a_case() -> None:
    sample = _reality("m_sign_options_zopsdk_java.json")
    named = set(sample["expect"]["options"]) - {"md5/base64 (default)"}
    covered = set()
    for extra, _ in SIGN_OPTIONS:
        if extra.get("zop_sign_timestamp") == "true":
            covered.add("timestamp")
        if "zop_sign" in extra or "zop_sign_encoding" in extra:
            covered.add(f"{extra.get('zop_sign', 'md5')}/{extra.get('zop_sign_encoding', 'base64')}")
    assert named <= covered, named - covered


def _account_with(mock_client: Any, app_key: str, extra: dict[str, str]) -> None:
    answer = mock_client.post(
        "/__admin/accounts",
        json={"carrier": "zto", "app_key": app_key, "app_secret": ZTO_SECRET, "extra": extra},
    )
    assert answer.status_code == 201, answer.get_json()


def _json_sdk_request(app_key: str, **options: Any) -> tuple[bytes, dict[str, str]]:
    """``ZopClient.execute`` with ``setBody`` (JSON mode) and the given digest options."""
    text = json.dumps({"billCode": WAYBILL}, separators=(",", ":"))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "x-companyid": app_key,
        "x-datadigest": zop_digest(text, ZTO_SECRET, **options),
    }
    if options.get("timestamp") is not None:
        headers["x-timestamp"] = str(options["timestamp"])
    return text.encode("utf-8"), headers


@pytest.mark.parametrize(("extra", "options"), SIGN_OPTIONS, ids=lambda v: json.dumps(v))
@pytest.mark.parametrize("mode", ["json", "form"])
def test_an_account_signing_option_verifies_the_sdks_digest_and_refuses_the_default(
    mock_client: Any, extra: dict[str, str], options: dict[str, Any], mode: str
) -> None:
    _account_with(mock_client, "zop-opt", extra)
    if mode == "json":
        body, headers = _json_sdk_request("zop-opt", **options)
    else:
        body, headers = java_sdk_form({"billCode": WAYBILL, "mobilePhone": "5514"}, ZTO_SECRET, **options)
        headers["x-companyid"] = "zop-opt"
    answer = mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json()
    assert (answer["status"], answer["statusCode"]) == (True, "SYS000"), answer
    # The same request on an account with the default setting, and a default digest on this one.
    headers["x-companyid"] = ZTO_KEY
    assert _error(mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json())[0] == "S211"
    plain_body, plain_headers = _json_sdk_request("zop-opt", timestamp=options.get("timestamp"))
    plain_headers["x-datadigest"] = zop_digest(plain_body.decode(), ZTO_SECRET)
    refused = mock_client.post(f"/zto/{API_TRACK}", data=plain_body, headers=plain_headers).get_json()
    assert _error(refused) == ("S211", "签名错误")


def test_the_timestamp_option_needs_the_x_timestamp_header(mock_client: Any) -> None:
    _account_with(mock_client, "zop-ts", {"zop_sign_timestamp": "true"})
    body, headers = _json_sdk_request("zop-ts")
    answer = mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json()
    assert _error(answer) == ("S208", "x-timestamp不能为空")


def test_a_timestamp_in_the_digest_of_a_default_account_is_a_bad_signature(mock_client: Any) -> None:
    # README: "如果接口文档上标注需使用时间戳则使用，其他不要设定值，否则会导致签名错误".
    body, headers = _json_sdk_request(ZTO_KEY, timestamp=1748934000123)
    assert _error(mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json())[0] == "S211"


def test_an_unknown_signing_setting_is_named_in_the_answer(mock_client: Any) -> None:
    _account_with(mock_client, "zop-bad", {"zop_sign": "sha1"})
    body, headers = _json_sdk_request("zop-bad")
    code, message = _error(mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json())
    assert code == "S211" and "zop_sign='sha1'" in message and "md5, sha256, hmac_sha256" in message
    assert ZTO_SECRET not in message


# -- trace pushes as the real push log shows them (tests/reality/zto/m_push_log.json) -----------

LOCKER_WAYBILL = "73100130010003"  # its generated route ends in a locker (and has a problem scan)


def _pushed(waybill: str, stage: Stage = Stage.SIGNED) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """(form, data) of every trace push of ``waybill``'s whole route, in order."""
    now = datetime(2025, 5, 22, 7, 0, tzinfo=timezone.utc)
    _, _, route = plan_stage_route("zto", waybill, stage, now=now)
    account = Account(carrier="zto", app_key=ZTO_KEY, app_secret=ZTO_SECRET, epoch=now)
    pushed = []
    for push in build_trace_pushes(account, [(waybill, scan) for scan in route]):
        form = dict(parse_qsl(push.body.decode("ascii"), keep_blank_values=True))
        pushed.append((form, json.loads(form["data"])))
    return pushed


def test_push_form_has_the_real_logs_fields_in_its_order_with_an_empty_token() -> None:
    for form, _ in _pushed(WAYBILL):
        assert list(form) == ["data_digest", "company_id", "data", "msg_type", "token"]
        assert (form["company_id"], form["msg_type"], form["token"]) == (ZTO_KEY, "Traces", "")
        assert form["data_digest"] == sign(form["data"].encode("utf-8"), ZTO_SECRET)


@pytest.mark.parametrize("waybill", [WAYBILL, LOCKER_WAYBILL, "73100130010002", "73100130010011"])
def test_push_data_leaves_unknown_fields_out_instead_of_sending_them_empty(waybill: str) -> None:
    for _, data in _pushed(waybill):
        assert all(isinstance(value, str) and value for value in data.values()), data


def test_a_locker_drop_off_pushes_inbound_then_handover_and_the_collection_departure_signed() -> None:
    actions = [data["action"] for _, data in _pushed(LOCKER_WAYBILL)]
    assert actions[-3:] == ["INBOUND", "HANDOVERSCAN_SIGNED", "DEPARTURE_SIGNED"]
    assert "SIGNED" not in actions
    inbound, handover, collected = (data for _, data in _pushed(LOCKER_WAYBILL)[-3:])
    assert inbound["actionTime"] == handover["actionTime"] < collected["actionTime"]
    assert handover["desc"] == f"快件已投递【{handover['facilityName']}】"
    assert "address" in inbound and "address" not in handover
    for data in (inbound, handover, collected):  # a station: no facility code, no courier, no signer
        assert not {"facilityCode", "courier", "expressSigner"} & set(data)
    assert collected["courierPhone"] == collected["facilityContactPhone"]


def test_a_departure_push_names_the_next_node_and_a_problem_push_its_problem_code() -> None:
    pushed = [data for _, data in _pushed("73100130010002")]
    departure = next(data for data in pushed if data["action"] == "DEPARTURE")
    assert {"nextNodeCode", "nextNodeName", "nextCity"} <= set(departure)
    assert "facilityContactPhone" not in departure
    problem = next(data for data in pushed if data["action"] == "PROBLEM")
    assert problem["problemCode"] == "UNREACHABLE"


def test_a_station_of_a_known_operator_is_pushed_with_com_name_and_code() -> None:
    station = Site(name="郑州中原区菜鸟驿站", code="FC037112", province="河南省", city="郑州市")
    scan = Scan(
        kind=ScanKind.LOCKER_IN,
        time=datetime(2025, 5, 22, 7, 0, tzinfo=timezone.utc),
        site=station,
        description="快件已被【郑州中原区菜鸟驿站】代收",
    )
    inbound = json.loads(trace_push_form(ZTO_KEY, ZTO_SECRET, WAYBILL, scan)["data"])
    assert (inbound["comName"], inbound["comCode"], inbound["dist"]) == ("菜鸟", "1014", "中原区")
    handover = json.loads(trace_push_form(ZTO_KEY, ZTO_SECRET, WAYBILL, scan, "HANDOVERSCAN_SIGNED")["data"])
    assert "comName" not in handover  # as the logged HANDOVERSCAN_SIGNED push


def test_a_json_body_labelled_as_a_form_is_read_as_a_form_and_fails_its_digest(mock_client: Any) -> None:
    body = json.dumps({"billCode": WAYBILL}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "x-appKey": ZTO_KEY,
        "x-dataDigest": sign(body, ZTO_SECRET),
    }
    answer = mock_client.post(f"/zto/{API_TRACK}", data=body, headers=headers).get_json()
    assert _error(answer) == ("S211", "签名错误")
