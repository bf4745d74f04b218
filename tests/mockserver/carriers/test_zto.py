"""Tests for the ZTO blueprint: auth, errors, track, subscribe, intercept lifecycle, pushes, Decider."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any, Optional

import pytest
from mockfakes import FixedDecider

from mockserver.carriers.codec import b64_md5, form_body
from mockserver.carriers.zto.wire import intercept_push_form, is_push_ack, trace_push_form
from mockserver.deciders import Decision, Fault, RawResponse
from mockserver.world import FailReason, InterceptPlan, InterceptStatus, Stage
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
