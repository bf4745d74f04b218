"""Tests for the STO blueprint: link envelope, errors, track, subscribe, intercept lifecycle, pushes, Decider."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import parse_qsl, urlencode

import pytest
from mockfakes import FixedDecider
from mockpushkit import RecordingSender

from mockserver.app import create_app
from mockserver.carriers.sto.wire import build_intercept_push, build_trace_pushes, is_push_ack
from mockserver.clock import ManualClock
from mockserver.deciders import Decision, Fault, RawResponse
from mockserver.world import FailReason, InterceptKind, InterceptPlan, InterceptRecord, InterceptStatus

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sto"
KEY = "sto-demo"
SECRET = "sto-demo-secret"
URL = "/sto/gateway/link.do"
WAYBILL = "777031922725111"
TRACK, SUBSCRIBE = "STO_TRACE_QUERY_COMMON", "STO_TRACE_PLATFORM_SUBSCRIBE"
INTERCEPT, CANCEL = "INTERCEPT_CREATE_STANDARD", "INTERCEPT_DEL_STANDARD"
TO = {
    TRACK: "sto_trace_query",
    SUBSCRIBE: "sto_trace_platform",
    INTERCEPT: "reverse-center",
    CANCEL: "reverse-center",
}
CHENGDU = {
    "receiverName": "王五",
    "receiverTel": "13800138000",
    "receiverProvince": "四川省",
    "receiverCity": "成都市",
    "receiverArea": "锦江区",
    "receiverAddress": "春熙路1号",
}


def sign(content: str, secret: str) -> str:
    """base64 of the raw md5 of content + secret (independent of mockserver's helper)."""
    return base64.b64encode(hashlib.md5((content + secret).encode("utf-8")).digest()).decode()


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _content(value: Union[str, Any]) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class StoCaller:
    """Posts signed LinkGateway forms to the app under test."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def post(
        self,
        api_name: str,
        content: Any,
        *,
        app_key: str = KEY,
        secret: str = SECRET,
        fields: Optional[dict[str, Optional[str]]] = None,
    ) -> Any:
        text = _content(content)
        form: dict[str, Optional[str]] = {
            "content": text,
            "data_digest": sign(text, secret),
            "api_name": api_name,
            "from_appkey": app_key,
            "from_code": app_key,
            "to_appkey": TO.get(api_name, "x"),
            "to_code": TO.get(api_name, "x"),
        }
        form.update(fields or {})
        body = urlencode([(k, v) for k, v in form.items() if v is not None])
        return self.client.post(
            URL, data=body, content_type="application/x-www-form-urlencoded; charset=utf-8"
        )

    def call(self, api_name: str, content: Any, **kwargs: Any) -> dict[str, Any]:
        response = self.post(api_name, content, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.content_type.startswith("application/json")
        return response.get_json()  # type: ignore[no-any-return]

    def track(self, *waybills: str, order: str = "asc") -> dict[str, Any]:
        return self.call(TRACK, {"order": order, "waybillNoList": list(waybills)})

    def traces(self, waybill: str = WAYBILL) -> list[dict[str, Any]]:
        answer = self.track(waybill)
        assert answer["success"] == "true", answer
        return answer["data"][waybill]  # type: ignore[no-any-return]

    def intercept(self, waybill: str = WAYBILL, act: str = "DEFAULT", **extra: Any) -> dict[str, Any]:
        return self.call(INTERCEPT, {"waybillNo": waybill, "interceptForAct": act, **extra})

    def cancel(self, waybill: str = WAYBILL) -> dict[str, Any]:
        return self.call(CANCEL, {"waybillNo": waybill})


@pytest.fixture
def sto(mock_client: Any) -> StoCaller:
    return StoCaller(mock_client)


@pytest.fixture
def make_parcel(mock_client: Any) -> Any:
    def make(waybill: str, stage: str, **extra: Any) -> dict[str, Any]:
        answer = mock_client.post(
            "/__admin/parcels",
            json={"carrier": "sto", "app_key": KEY, "waybill": waybill, "stage": stage, **extra},
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["parcel"]  # type: ignore[no-any-return]

    return make


def _error(answer: dict[str, Any]) -> tuple[str, str]:
    assert answer["success"] == "false" and answer["data"] is None, answer
    return answer["errorCode"], answer["errorMsg"]


def _journal(mock_client: Any) -> list[dict[str, Any]]:
    return mock_client.get("/__admin/requests").get_json()["requests"]  # type: ignore[no-any-return]


# -- envelope and errors -----------------------------------------------------------------------


@pytest.mark.parametrize("case", _fixture("mock_error_cases.json")["cases"], ids=lambda case: case["name"])
def test_bad_requests_answer_sto_error_envelopes(sto: StoCaller, case: dict[str, Any]) -> None:
    answer = sto.call(case["api_name"], case["content"], fields=case["fields"])
    assert _error(answer) == (case["errorCode"], case["errorMsg"])
    assert answer["needRetry"] == "false"


def test_bad_signature_is_answered_as_xml(sto: StoCaller, mock_client: Any) -> None:
    sample = _fixture("mock_bad_signature.json")
    answer = sto.post(sample["api_name"], sample["content"], fields={"data_digest": sample["data_digest"]})
    assert answer.status_code == 200
    assert answer.content_type == sample["content_type"]
    assert answer.get_data(as_text=True) == sample["body"]
    entry = _journal(mock_client)[-1]
    assert (entry["operation"], entry["account"], entry["waybill"], entry["error"]) == (
        "track",
        KEY,
        WAYBILL,
        "S01: 签名校验失败",
    )


def test_digest_of_a_wrong_secret_or_altered_content_is_refused(sto: StoCaller) -> None:
    assert b"<errorCode>S01</errorCode>" in sto.post(TRACK, {"waybillNoList": [WAYBILL]}, secret="x").data
    content = _content({"waybillNoList": [WAYBILL]})
    altered = sto.post(TRACK, content.replace("[", "[ "), fields={"data_digest": sign(content, SECRET)})
    assert b"<errorCode>S01</errorCode>" in altered.data


def test_signature_covers_the_exact_content_received_non_ascii_included(sto: StoCaller) -> None:
    content = '{ "order" : "asc", "waybillNoList": ["777031922725111"], "备注": "\\u4f60好" }'
    assert sto.call(TRACK, content)["success"] == "true"


def test_a_json_body_instead_of_a_form_is_missing_its_content(mock_client: Any) -> None:
    answer = mock_client.post(URL, json={"content": "{}"}).get_json()
    assert _error(answer) == ("S02", "content不能为空")


# -- track and subscribe -----------------------------------------------------------------------


def test_track_answers_traces_keyed_by_waybill_with_string_flags(sto: StoCaller, make_parcel: Any) -> None:
    sample = _fixture("mock_track.json")
    parcel = make_parcel(WAYBILL, "in_transit")
    answer = sto.call(sample["api_name"], sample["content"])
    assert list(answer) == sample["envelope_keys"]
    assert {k: answer[k] for k in sample["answer"]} == sample["answer"]
    assert re.fullmatch(r"[0-9a-f]{32}", answer["requestId"])
    traces = answer["data"][WAYBILL]
    assert list(answer["data"]) == [WAYBILL]
    assert len(traces) == sum(1 for scan in parcel["route"] if scan["visible"])
    assert all(list(trace) == sample["trace_keys"] for trace in traces)
    assert [t["scanType"] for t in traces][:3] == ["收件", "发件", "到件"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", t["opTime"]) for t in traces)
    assert [t["opTime"] for t in traces] == sorted(t["opTime"] for t in traces)
    assert traces[1]["nextOrgName"]


def test_track_several_waybills_newest_first(sto: StoCaller, make_parcel: Any) -> None:
    other = "772011975782987"
    make_parcel(WAYBILL, "in_transit")
    make_parcel(other, "created")
    answer = sto.track(WAYBILL, other, order="desc")
    assert list(answer["data"]) == [WAYBILL, other]
    assert answer["data"][other] == []
    times = [t["opTime"] for t in answer["data"][WAYBILL]]
    assert times == sorted(times, reverse=True)


def test_track_of_an_unknown_waybill_is_an_empty_list(sto: StoCaller, mock_client: Any) -> None:
    mock_client.post(
        "/__admin/accounts",
        json={"carrier": "sto", "app_key": "strict", "app_secret": "strict-secret", "auto_parcels": False},
    )
    answer = sto.call(TRACK, {"waybillNoList": [WAYBILL]}, app_key="strict", secret="strict-secret")
    assert (answer["success"], answer["data"]) == ("true", {WAYBILL: []})


def test_delivery_ends_with_a_signature_and_problem_scans_name_the_issue(
    sto: StoCaller, make_parcel: Any, mock_clock: Any
) -> None:
    make_parcel(WAYBILL, "out_for_delivery")
    assert sto.traces()[-1]["scanType"] == "派件"
    assert sto.traces()[-1]["bizEmpName"] and sto.traces()[-1]["bizEmpPhone"]
    mock_clock.advance(3 * 24 * 3600)
    traces = sto.traces()
    assert traces[-1]["scanType"] == "签收" and traces[-1]["signoffPeople"]
    assert all(t["issueName"] for t in traces if t["scanType"] == "问题件")
    assert all(t["issueName"] == "" for t in traces if t["scanType"] != "问题件")


def test_subscribe_stores_every_waybill(sto: StoCaller, mock_app: Any) -> None:
    content = {"subscribeInfoList": [{"waybillNo": WAYBILL}, {"waybillNo": "772011975782987"}]}
    answer = sto.call(SUBSCRIBE, content)
    assert (answer["success"], answer["errorCode"], answer["data"]) == ("true", "", None)
    stored = mock_app.extensions["mockserver"].store.list_subscriptions("sto", KEY)
    assert sorted(s.waybill for s in stored) == ["772011975782987", WAYBILL]


# -- intercepts --------------------------------------------------------------------------------


def test_return_intercept_is_pending_then_succeeds_and_the_parcel_comes_back(
    sto: StoCaller, make_parcel: Any, mock_clock: Any, mock_client: Any
) -> None:
    sample = _fixture("mock_intercept.json")
    make_parcel(WAYBILL, "in_transit")
    answer = sto.call(sample["api_name"], sample["content"])
    expected = dict(sample["answer"])
    data = answer["data"]
    assert {k: answer[k] for k in expected if k != "data"} == {
        k: v for k, v in expected.items() if k != "data"
    }
    assert {k: data[k] for k in expected["data"]} == expected["data"]
    assert data["interceptId"].startswith("IC")
    mock_clock.advance(1799)
    assert "退回件" not in [t["scanType"] for t in sto.traces()]
    mock_clock.advance(1)
    (record,) = mock_client.get("/__admin/intercepts").get_json()["intercepts"]
    assert (record["id"], record["status"]) == (data["interceptId"], "SUCCEEDED")
    assert sto.traces()[-1]["scanType"] == "退回件"
    mock_clock.advance(7 * 24 * 3600)
    traces = sto.traces()
    types = [t["scanType"] for t in traces]
    first_return = types.index("退回件")
    assert "签收" not in types[:first_return]
    assert (traces[-1]["scanType"], traces[-1]["signoffPeople"]) == ("签收", "寄件人")
    assert _error(sto.intercept()) == tuple(sample["refusals"]["signed"].values())


def test_second_intercept_while_one_is_pending_answers_i103(
    sto: StoCaller, make_parcel: Any, mock_client: Any
) -> None:
    make_parcel(WAYBILL, "picked_up")
    assert sto.intercept()["data"]["status"] == "PENDING"
    assert _error(sto.intercept()) == ("I103", "该运单已有拦截处理中")
    assert len(mock_client.get("/__admin/intercepts").get_json()["intercepts"]) == 1


def test_intercept_after_a_successful_one_answers_i105(
    sto: StoCaller, make_parcel: Any, mock_clock: Any
) -> None:
    make_parcel(WAYBILL, "picked_up")
    sto.intercept()
    mock_clock.advance(1800)
    assert _error(sto.intercept()) == ("I105", "该运单不支持拦截")


def test_intercept_fails_when_the_parcel_is_signed_before_the_result(
    sto: StoCaller, make_parcel: Any, mock_clock: Any, mock_app: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    mock_app.extensions["mockserver"].simulator.result_delay *= 200
    sto.intercept()
    mock_clock.advance(30 * 24 * 3600)
    record = mock_app.extensions["mockserver"].simulator.intercepts(
        mock_app.extensions["mockserver"].simulator.account("sto", KEY)
    )[0]
    content = _push_content(build_intercept_push(_account(mock_app), record).body)
    assert (content["status"], content["errorCode"], content["errorMsg"]) == (
        "FAILED",
        "I101",
        "运单已签收，无法拦截",
    )


@pytest.mark.parametrize("act", ["DEFAULT", "CHANGE_ADDRESS"])  # public form, older modelled form
def test_change_of_address_reroutes_the_parcel_to_the_new_city(
    sto: StoCaller, make_parcel: Any, mock_clock: Any, act: str
) -> None:
    make_parcel(WAYBILL, "in_transit", destination={"province": "上海市", "city": "上海市"})
    assert sto.intercept(act=act, **CHENGDU)["data"]["status"] == "PENDING"
    mock_clock.advance(7 * 24 * 3600)
    last = sto.traces()[-1]
    assert (last["scanType"], last["opOrgCityName"]) == ("签收", "成都市")


def test_default_with_part_of_a_new_address_is_refused_naming_the_missing_field(
    sto: StoCaller, make_parcel: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    answer = sto.intercept(act="DEFAULT", receiverName="王五", receiverTel="13800138000")
    assert _error(answer) == ("S02", "receiverProvince不能为空")


def test_cancel_stops_a_pending_intercept(
    sto: StoCaller, make_parcel: Any, mock_clock: Any, mock_client: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    intercept_id = sto.intercept()["data"]["interceptId"]
    cancelled = sto.cancel()
    assert cancelled["success"] == "true"
    assert cancelled["data"] == {"waybillNo": WAYBILL, "interceptId": intercept_id, "status": "CANCELLED"}
    mock_clock.advance(3600)
    (record,) = mock_client.get("/__admin/intercepts").get_json()["intercepts"]
    assert record["status"] == "CANCELLED"
    assert "退回件" not in [t["scanType"] for t in sto.traces()]
    assert _error(sto.cancel()) == ("I106", "没有可撤销的拦截")


def test_accounts_do_not_see_each_others_intercepts(
    sto: StoCaller, make_parcel: Any, mock_client: Any
) -> None:
    mock_client.post("/__admin/accounts", json={"carrier": "sto", "app_key": "job-2", "app_secret": "s2"})
    make_parcel(WAYBILL, "picked_up")
    sto.intercept()
    other = sto.call(CANCEL, {"waybillNo": WAYBILL}, app_key="job-2", secret="s2")
    assert _error(other)[0] == "I106"


# -- journal and unexpected errors -------------------------------------------------------------


def test_every_request_is_journalled_with_what_it_was_about(sto: StoCaller, mock_client: Any) -> None:
    sto.track(WAYBILL)
    sto.call(TRACK, {"waybillNoList": [WAYBILL]}, fields={"from_appkey": "nobody"})
    sto.call("NO_SUCH_API", {"waybillNo": WAYBILL})
    sto.call(SUBSCRIBE, {"subscribeInfoList": [{"waybillNo": WAYBILL}], "note": SECRET})
    entries = _journal(mock_client)
    assert [(e["operation"], e["account"], e["waybill"], e["error"]) for e in entries] == [
        ("track", KEY, WAYBILL, None),
        ("track", "nobody", WAYBILL, "S03: from_appkey不存在"),
        ("unknown", KEY, WAYBILL, "S02: api_name不存在"),
        ("subscribe", KEY, WAYBILL, None),
    ]
    assert all(e["path"] == URL and e["request_body"].startswith("content=") for e in entries)
    assert SECRET not in json.dumps(entries, ensure_ascii=False)


def test_unexpected_exception_becomes_a_retryable_s06(
    sto: StoCaller, mock_app: Any, mock_client: Any
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    mock_app.extensions["mockserver"].simulator.trace = explode
    answer = sto.track(WAYBILL)
    assert _error(answer) == ("S06", "系统繁忙，请稍后重试")
    assert answer["needRetry"] == "true"
    assert _journal(mock_client)[-1]["error"] == "RuntimeError: disk on fire -> S06"


# -- Decider -----------------------------------------------------------------------------------


def _decide(mock_app: Any, **kwargs: Any) -> FixedDecider:
    decider = FixedDecider(Decision(name=kwargs.pop("name", "test"), **kwargs))
    mock_app.extensions["mockserver"].decider = decider
    return decider


def test_decider_raw_response_is_sent_as_is(sto: StoCaller, mock_app: Any, mock_client: Any) -> None:
    decider = _decide(mock_app, name="outage", response=RawResponse(status=502, body="<html>bad gateway"))
    answer = sto.post(TRACK, {"waybillNoList": [WAYBILL, "772011975782987"]})
    assert (answer.status_code, answer.get_data(as_text=True)) == (502, "<html>bad gateway")
    seen = decider.seen[0]
    assert (seen.carrier, seen.operation.value, seen.app_key, seen.waybill) == ("sto", "track", KEY, WAYBILL)
    assert _journal(mock_client)[-1]["decided_by"] == "outage"


def test_decider_is_not_consulted_for_a_request_with_a_bad_signature(sto: StoCaller, mock_app: Any) -> None:
    decider = _decide(mock_app, fault=Fault.RATE_LIMITED)
    sto.post(TRACK, {"waybillNoList": [WAYBILL]}, secret="wrong")
    assert decider.seen == []


@pytest.mark.parametrize(
    ("fault", "code", "retry"),
    [
        (Fault.RATE_LIMITED, "S05", "true"),
        (Fault.SYSTEM_ERROR, "S06", "true"),
        (Fault.UNAVAILABLE, "S06", "true"),
        (Fault.TIMEOUT, "S06", "true"),
        (Fault.NOT_FOUND, "I104", "false"),
    ],
)
def test_decider_faults_use_sto_codes_and_retry_flags(
    sto: StoCaller, mock_app: Any, fault: Fault, code: str, retry: str
) -> None:
    _decide(mock_app, fault=fault)
    answer = sto.track(WAYBILL)
    assert (_error(answer)[0], answer["needRetry"]) == (code, retry)


def test_decider_bad_signature_is_xml_and_missing_field_names_the_field(
    sto: StoCaller, mock_app: Any
) -> None:
    _decide(mock_app, fault=Fault.BAD_SIGNATURE)
    assert b"<errorCode>S01</errorCode><errorMsg>" in sto.post(TRACK, {"waybillNoList": [WAYBILL]}).data
    _decide(mock_app, fault=Fault.MISSING_FIELD)
    assert _error(sto.track(WAYBILL)) == ("S02", "waybillNoList不能为空")
    assert _error(sto.intercept()) == ("S02", "waybillNo不能为空")
    _decide(mock_app, fault=Fault.MISSING_FIELD, field_name="from_code", message="from_code缺失")
    assert _error(sto.track(WAYBILL)) == ("S02", "from_code缺失")


def test_decider_plan_fails_an_accepted_intercept_after_its_delay(
    sto: StoCaller, make_parcel: Any, mock_app: Any, mock_clock: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    plan = InterceptPlan(result=InterceptStatus.FAILED, reason=FailReason.NOT_SUPPORTED, delay_seconds=60)
    _decide(mock_app, intercept=plan)
    assert sto.intercept()["data"]["status"] == "PENDING"
    mock_clock.advance(60)
    hub = mock_app.extensions["mockserver"]
    (record,) = hub.simulator.intercepts(hub.simulator.account("sto", KEY))
    content = _push_content(build_intercept_push(_account(mock_app), record).body)
    assert (content["status"], content["errorCode"]) == ("FAILED", "I105")


def test_decider_transform_rewrites_the_normal_answer(
    sto: StoCaller, make_parcel: Any, mock_app: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")

    def booleans(payload: dict[str, Any]) -> dict[str, Any]:
        payload["success"] = payload["success"] == "true"
        return payload

    _decide(mock_app, transform=booleans)
    assert sto.track(WAYBILL)["success"] is True
    assert sto.cancel()["success"] is False  # an error answer is transformed too


# -- pushes ------------------------------------------------------------------------------------


def _account(mock_app: Any, app_key: str = KEY) -> Any:
    return mock_app.extensions["mockserver"].simulator.account("sto", app_key)


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))


def _push_content(body: bytes) -> dict[str, Any]:
    form = _form(body)
    return json.loads(form["content"])  # type: ignore[no-any-return]


def test_trace_pushes_are_signed_one_scan_each(sto: StoCaller, make_parcel: Any, mock_app: Any) -> None:
    make_parcel(WAYBILL, "in_transit")
    scans = mock_app.extensions["mockserver"].simulator.trace(_account(mock_app), WAYBILL)
    pushes = build_trace_pushes(_account(mock_app), [(WAYBILL, scan) for scan in scans[:3]])
    assert len(pushes) == 3 and all(p.kind == "trace" and p.waybills == (WAYBILL,) for p in pushes)
    sample = _fixture("sdk_push_trace.json")
    traces = sto.traces()
    for push, trace in zip(pushes, traces):
        assert dict(push.headers) == sample["headers"]
        form = _form(push.body)
        assert list(form) == list(_form(sample["body"].encode()))
        assert form["data_digest"] == sign(form["content"], SECRET)
        assert (form["api_name"], form["from_appkey"], form["from_code"]) == (
            "STO_TRACE_PLATFORM_PUSH",
            "sto_trace_platform",
            "sto_trace_platform",
        )
        assert (form["to_appkey"], form["to_code"]) == (KEY, KEY)
        content = json.loads(form["content"])
        assert next(iter(content["trace"])) == "outBizCode"
        assert content == {
            "waybillNo": WAYBILL,
            "trace": {"outBizCode": content["trace"]["outBizCode"], **trace},
        }


def test_push_to_code_is_the_accounts_from_code(mock_client: Any, make_parcel: Any, mock_app: Any) -> None:
    mock_client.post(
        "/__admin/accounts",
        json={
            "carrier": "sto",
            "app_key": "CAKabcdef",
            "app_secret": "test-secret",
            "extra": {"from_code": "CAKabcdef-code"},
        },
    )
    account = _account(mock_app, "CAKabcdef")
    scans = mock_app.extensions["mockserver"].simulator.trace(account, WAYBILL)
    (push,) = build_trace_pushes(account, [(WAYBILL, scans[0])])
    sample = _form(_fixture("sdk_push_trace.json")["body"].encode())
    form = _form(push.body)
    assert (form["to_appkey"], form["to_code"]) == (sample["to_appkey"], sample["to_code"])
    pushed = list(json.loads(form["content"])["trace"])
    assert pushed == ["outBizCode", *json.loads(sample["content"])["trace"]]


def _out_biz_codes(pushes: Any) -> list[str]:
    return [_push_content(push.body)["trace"]["outBizCode"] for push in pushes]


def test_trace_pushes_carry_an_out_biz_code_the_same_when_rebuilt_and_distinct_per_trace(
    make_parcel: Any, mock_app: Any, mock_client: Any
) -> None:
    # StoPushTraceDto (public STO push receivers, carriers.md S4): trace.outBizCode is the key to
    # deduplicate a trace STO pushes again: tests/reality/sto/m_push_trace_out_biz_code.json.
    dto = json.loads(
        (FIXTURES.parents[1] / "reality" / "sto" / "m_push_trace_out_biz_code.json").read_text("utf-8")
    )
    assert "private String outBizCode;" in dto["body"].split("class Trace")[1]
    make_parcel(WAYBILL, "signed")
    account = _account(mock_app)
    items = [(WAYBILL, scan) for scan in mock_app.extensions["mockserver"].simulator.trace(account, WAYBILL)]
    codes = _out_biz_codes(build_trace_pushes(account, items))
    assert len(codes) == len(items) > 3 and len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[0-9a-f]{32}", code) for code in codes)
    assert _out_biz_codes(build_trace_pushes(account, items)) == codes
    assert _out_biz_codes(build_trace_pushes(account, items[2:3])) == codes[2:3]
    mock_client.post("/__admin/accounts", json={"carrier": "sto", "app_key": "sto-two", "app_secret": "s2"})
    other = _account(mock_app, "sto-two")
    assert not set(_out_biz_codes(build_trace_pushes(other, items))) & set(codes)


def test_a_re_delivered_trace_push_keeps_its_out_biz_code() -> None:
    sender = RecordingSender("sto")
    sender.answers = [(500, b"busy"), (200, json.dumps({"success": True, "needRetry": True}).encode())]
    clock = ManualClock(datetime(2025, 1, 6, tzinfo=timezone.utc))
    app = create_app({"CLOCK": "manual", "TESTING": True, "PUSH_SENDER": sender}, clock=clock)
    admin = app.test_client()
    key = {"carrier": "sto", "app_key": KEY}
    admin.post("/__admin/subscriptions/callback", json={**key, "url": "http://cb.test/sto"})
    admin.post("/__admin/parcels", json={**key, "waybill": WAYBILL, "stage": "picked_up"})
    admin.post("/__admin/subscriptions", json={**key, "waybill": WAYBILL})
    for _ in range(4):  # the first attempts, the retries of the two refused ones, a spare round
        clock.advance(6 * 3600)
        admin.post("/__admin/pushes/flush", json={"timeout": 10})
    bodies: dict[str, set[bytes]] = {}
    by_trace: dict[str, set[str]] = {}
    for sent in sender.sent:
        trace = json.loads(sent.form["content"])["trace"]
        name = f"{trace['scanType']} {trace['opTime']}"
        by_trace.setdefault(name, set()).add(trace["outBizCode"])
        bodies.setdefault(name, set()).add(sent.body)
    assert len(sender.sent) >= len(by_trace) + 2  # two attempts were refused and sent again
    assert all(len(codes) == 1 for codes in by_trace.values())
    assert all(len(sent) == 1 for sent in bodies.values())
    assert len({code for codes in by_trace.values() for code in codes}) == len(by_trace)


def test_intercept_push_reproduces_the_sdk_sample_byte_for_byte(mock_client: Any, mock_app: Any) -> None:
    sample = _fixture("sdk_push_intercept_result.json")
    mock_client.post(
        "/__admin/accounts",
        json={
            "carrier": "sto",
            "app_key": sample["app_key"],
            "app_secret": sample["secret"],
            "extra": {"from_code": "CAKabcdef-code"},
        },
    )
    at = datetime(2024, 3, 2, 2, 15, tzinfo=timezone.utc)  # 10:15 in China
    record = InterceptRecord(
        id="INT202403020001",
        carrier="sto",
        app_key=sample["app_key"],
        waybill=WAYBILL,
        kind=InterceptKind.RETURN,
        request_id="r1",
        external_ref="r1",
        status=InterceptStatus.SUCCEEDED,
        created_at=at,
        resolve_at=at,
        updated_at=at,
    )
    push = build_intercept_push(_account(mock_app, sample["app_key"]), record)
    assert (push.kind, push.waybills, dict(push.headers)) == ("intercept", (WAYBILL,), sample["headers"])
    assert push.body == sample["body"].encode("ascii")


def test_push_ack_needs_http_200_and_success_true() -> None:
    assert is_push_ack(200, b'{"success":true,"errorCode":"","errorMsg":""}')
    assert is_push_ack(200, b'{"success":"true","errorCode":"","errorMsg":""}')
    assert is_push_ack(
        200, b'{"success":true,"errorCode":"0","errorMsg":"","data":{"waybillNo":"1","needRetry":false}}'
    )
    assert not is_push_ack(500, b'{"success":true}')
    assert not is_push_ack(200, b'{"success":false,"errorCode":"E1"}')
    assert not is_push_ack(200, b'{"success":"false"}')
    assert not is_push_ack(200, b'{"success":true,"data":{"needRetry":true}}')
    assert not is_push_ack(200, b'{"success":true,"needRetry":"true"}')
    assert not is_push_ack(200, b"ok")
    assert not is_push_ack(200, b"[true]")


# -- the SDK's samples -------------------------------------------------------------------------


def test_the_sdks_track_request_is_accepted(mock_client: Any, make_parcel: Any) -> None:
    sample = _fixture("sdk_track_request.json")
    mock_client.post(
        "/__admin/accounts",
        json={"carrier": "sto", "app_key": sample["app_key"], "app_secret": sample["secret"]},
    )
    path = "/sto" + sample["url"][len(sample["base_url"]) :]
    answer = mock_client.post(path, data=sample["body"], headers=sample["headers"])
    assert answer.status_code == 200
    payload = answer.get_json()
    assert (payload["success"], list(payload["data"])) == ("true", [sample["waybill"]])


def test_answers_have_the_shape_of_the_sdks_samples(sto: StoCaller, make_parcel: Any, mock_app: Any) -> None:
    def shape(value: dict[str, Any]) -> set[str]:
        return set(value)

    make_parcel(WAYBILL, "signed")
    track = sto.track(WAYBILL)
    sdk_track = _fixture("sdk_track_response.json")["response"]
    assert shape(sdk_track) <= shape(track)
    assert {k: track[k] for k in ("success", "needRetry")} == {
        k: sdk_track[k] for k in ("success", "needRetry")
    }
    sdk_traces = sdk_track["data"][WAYBILL]
    assert all(list(t) == list(sdk_traces[0]) for t in track["data"][WAYBILL])
    assert [t["scanType"] for t in track["data"][WAYBILL]][-1] == sdk_traces[-1]["scanType"]
    refused = sto.intercept()
    sdk_refused = _fixture("sdk_intercept_refused.json")["response"]
    assert shape(sdk_refused) <= shape(refused)
    assert {k: refused[k] for k in ("success", "errorCode", "errorMsg", "needRetry", "data")} == {
        k: sdk_refused[k] for k in ("success", "errorCode", "errorMsg", "needRetry", "data")
    }
    make_parcel("772011975782987", "created")
    empty = sto.call(TRACK, {"waybillNoList": ["772011975782987"]})
    sdk_empty = _fixture("sdk_track_empty.json")["response"]
    assert shape(sdk_empty) <= shape(empty) and empty["data"] == sdk_empty["data"]
    make_parcel(WAYBILL, "in_transit")
    accepted = sto.intercept()
    sdk_accepted = _fixture("sdk_intercept_accepted.json")["response"]
    assert shape(sdk_accepted) <= shape(accepted)
    assert shape(sdk_accepted["data"]) == shape(accepted["data"])
    _decide(mock_app, fault=Fault.RATE_LIMITED)
    limited = sto.track(WAYBILL)
    sdk_limited = _fixture("sdk_error_flow_limit.json")["response"]
    assert {k: limited[k] for k in ("success", "errorCode", "errorMsg", "needRetry", "data")} == {
        k: sdk_limited[k] for k in ("success", "errorCode", "errorMsg", "needRetry", "data")
    }


def test_the_xml_error_has_the_elements_of_the_sdks_sample(sto: StoCaller) -> None:
    sample = _fixture("sdk_error_xml.json")
    answer = sto.post(TRACK, {"waybillNoList": [WAYBILL]}, fields={"data_digest": "bad"})
    assert answer.content_type == sample["content_type"]
    ours = re.findall(r"<(\w+)>([^<]*)</\1>", answer.get_data(as_text=True))
    theirs = dict(re.findall(r"<(\w+)>([^<]*)</\1>", sample["body"]))
    assert [name for name, _ in ours] == ["success", "errorCode", "errorMsg"]
    assert all(theirs[name] == value for name, value in ours)


def test_a_repeated_track_answers_the_same_traces_under_a_new_request_id(
    sto: StoCaller, make_parcel: Any
) -> None:
    make_parcel(WAYBILL, "in_transit")
    first, again = sto.track(WAYBILL), sto.track(WAYBILL)
    assert first["requestId"] != again["requestId"]
    assert {k: v for k, v in first.items() if k != "requestId"} == {
        k: v for k, v in again.items() if k != "requestId"
    }
    newest_first = sto.track(WAYBILL, order="desc")["data"][WAYBILL]  # another order, another answer
    assert newest_first == first["data"][WAYBILL][::-1]
    make_parcel(WAYBILL, "signed")
    assert sto.traces()[-1]["scanType"] == "签收"
