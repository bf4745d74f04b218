"""Tests for the J&T blueprint: auth, errors, track, subscribe, intercept lifecycle, pushes, Decider, SDK samples."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import parse_qs, urlencode

import attrs
import pytest
from mockfakes import FixedDecider

from mockserver.carriers.jt.wire import build_intercept_push, build_trace_pushes, is_push_ack
from mockserver.deciders import Decision, Fault, RawResponse
from mockserver.world import (
    Account,
    FailReason,
    InterceptKind,
    InterceptPlan,
    InterceptRecord,
    InterceptStatus,
    Scan,
    ScanKind,
    Stage,
)
from mockserver.world.geo import Site
from mockserver.world.itineraries import plan_stage_route

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "jt"
REALITY = Path(__file__).resolve().parents[2] / "reality" / "jt"
KEY = "jt-demo"
SECRET = "jt-demo-secret"
BASE = "/jt/webopenplatformapi/api"
TRACK = f"{BASE}/logistics/trace"
SUBSCRIBE = f"{BASE}/trace/subscribe"
INTERCEPT = f"{BASE}/waybill/intercept"
WAYBILL = "JT2099306666983"
OTHER = "JT2099306666990"
CHENGDU = {
    "receiveUsername": "王五",
    "receivePhone": "13800138000",
    "receiveProvince": "四川省",
    "receiveCity": "成都市",
    "receiveDistrict": "锦江区",
    "receiveAddress": "春熙路1号",
}
ENVELOPE_KEYS = {"code", "msg", "data", "requestId"}


def sign(text: str, secret: str) -> str:
    """base64 of the raw md5 of bizContent + secret (independent of mockserver's helper)."""
    return base64.b64encode(hashlib.md5((text + secret).encode("utf-8")).digest()).decode()


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _reality(name: str) -> Any:
    """A public sample of tests/reality/jt (``body`` is what J&T answered or pushed)."""
    return json.loads((REALITY / name).read_text(encoding="utf-8"))


def _text(biz: Union[str, dict[str, Any], list[Any]]) -> str:
    return biz if isinstance(biz, str) else json.dumps(biz, ensure_ascii=False, separators=(",", ":"))


class JtCaller:
    """Posts signed J&T form requests to the app under test."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def post(
        self,
        path: str,
        biz: Optional[Union[str, dict[str, Any], list[Any]]],
        *,
        app_key: str = KEY,
        secret: str = SECRET,
        headers: Optional[dict[str, Optional[str]]] = None,
    ) -> Any:
        text = _text(biz) if biz is not None else ""
        sent: dict[str, Optional[str]] = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "apiAccount": app_key,
            "digest": sign(text, secret),
            "timestamp": "1736128800000",
        }
        sent.update(headers or {})
        form = urlencode({"bizContent": text}) if biz is not None else ""
        return self.client.post(
            path, data=form.encode("ascii"), headers={k: v for k, v in sent.items() if v is not None}
        )

    def call(self, path: str, biz: Any, **kwargs: Any) -> dict[str, Any]:
        response = self.post(path, biz, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)
        answer = response.get_json()
        assert set(answer) == ENVELOPE_KEYS and answer["requestId"]
        return answer  # type: ignore[no-any-return]

    def track(self, *waybills: str) -> list[dict[str, Any]]:
        answer = self.call(TRACK, {"billCodes": ",".join(waybills)})
        assert (answer["code"], answer["msg"]) == ("1", "success"), answer
        return answer["data"]  # type: ignore[no-any-return]

    def details(self, waybill: str = WAYBILL) -> list[dict[str, Any]]:
        return self.track(waybill)[0]["details"]  # type: ignore[no-any-return]

    def intercept(self, waybill: str = WAYBILL, apply_type: Any = 4, **extra: Any) -> dict[str, Any]:
        return self.call(INTERCEPT, {"mailNo": waybill, "applyTypeCode": apply_type, **extra})


@pytest.fixture
def jt(mock_client: Any) -> JtCaller:
    return JtCaller(mock_client)


@pytest.fixture
def parcel(mock_client: Any) -> Any:
    def make(stage: str, waybill: str = WAYBILL, **extra: Any) -> dict[str, Any]:
        answer = mock_client.post(
            "/__admin/parcels",
            json={"carrier": "jt", "app_key": KEY, "waybill": waybill, "stage": stage, **extra},
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["parcel"]  # type: ignore[no-any-return]

    return make


def _error(answer: dict[str, Any]) -> tuple[str, str]:
    assert answer["data"] is None and answer["code"] != "1"
    return answer["code"], answer["msg"]


def _journal(client: Any) -> list[dict[str, Any]]:
    return client.get("/__admin/requests").get_json()["requests"]  # type: ignore[no-any-return]


def _register(client: Any, app_key: str, secret: str, **extra: Any) -> None:
    answer = client.post(
        "/__admin/accounts", json={"carrier": "jt", "app_key": app_key, "app_secret": secret, **extra}
    )
    assert answer.status_code in (200, 201), answer.get_json()


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _fixture("mock_error_cases.json")["cases"], ids=lambda case: case["name"])
def test_bad_requests_answer_the_platform_error_envelope(jt: JtCaller, case: dict[str, Any]) -> None:
    answer = jt.call(case["path"], case["bizContent"], headers=case["headers"])
    assert _error(answer) == (case["code"], case["msg"])


def test_digest_is_checked_over_the_exact_bizcontent_string(jt: JtCaller) -> None:
    spaced = '{ "billCodes" : "JT2099306666983" }'
    assert jt.call(TRACK, spaced)["code"] == "1"
    compact = json.dumps({"billCodes": WAYBILL}, separators=(",", ":"))
    answer = jt.call(TRACK, spaced, headers={"digest": sign(compact, SECRET)})
    assert _error(answer)[0] == "145003030"


def test_a_json_body_instead_of_a_form_has_no_bizcontent(mock_client: Any) -> None:
    raw = json.dumps({"bizContent": {"billCodes": WAYBILL}}).encode()
    answer = mock_client.post(
        TRACK,
        data=raw,
        headers={"Content-Type": "application/json", "apiAccount": KEY, "digest": "x", "timestamp": "1"},
    )
    assert _error(answer.get_json()) == ("145003050", "bizContent不能为空")


# -- track and subscribe -----------------------------------------------------------------------


def test_track_answers_the_scans_that_already_happened(jt: JtCaller, parcel: Any) -> None:
    sample = _fixture("mock_track.json")
    made = parcel("in_transit")
    answer = jt.call(sample["path"], sample["bizContent"])
    assert (answer["code"], answer["msg"]) == (sample["answer"]["code"], sample["answer"]["msg"])
    assert [set(entry) for entry in answer["data"]] == [set(sample["entry_keys"])]
    assert answer["data"][0]["billCode"] == WAYBILL
    details = answer["data"][0]["details"]
    assert len(details) == sum(1 for scan in made["route"] if scan["visible"])
    for detail in details:
        assert (
            set(sample["detail_keys"])
            <= set(detail)
            <= set(sample["detail_keys"] + sample["optional_detail_keys"])
        )
        datetime.strptime(detail["scanTime"], "%Y-%m-%d %H:%M:%S")
    assert [d["scanType"] for d in details][:3] == sample["first_scan_types"]
    assert [d["scanTypeCode"] for d in details][:3] == ["1", "3", "4"]
    assert details == sorted(details, key=lambda d: d["scanTime"])


def test_track_of_several_waybills_answers_one_entry_each_in_order(jt: JtCaller, parcel: Any) -> None:
    parcel("created", OTHER)
    parcel("picked_up")
    data = jt.track(OTHER, WAYBILL)
    assert [entry["billCode"] for entry in data] == [OTHER, WAYBILL]
    assert data[0]["details"] == []
    assert [d["scanType"] for d in data[1]["details"]] == ["快件揽收"]


def test_delivery_shows_out_for_delivery_then_signed(jt: JtCaller, parcel: Any, mock_clock: Any) -> None:
    parcel("out_for_delivery")
    before = jt.details()
    assert before[-1]["scanTypeCode"] == "5" and before[-1]["scanType"] == "出仓扫描"
    mock_clock.advance(3 * 24 * 3600)
    after = jt.details()
    assert after[: len(before)] == before
    assert (after[-1]["scanType"], after[-1]["scanTypeCode"]) == ("快件签收", "10")
    problems = [d for d in after if d["scanTypeCode"] == "11"]
    assert all(d["scanType"] == "问题件扫描" and d["problemType"] == "A9" for d in problems)
    assert all("problemType" not in d for d in after if d["scanTypeCode"] != "11")


def test_problem_and_locker_scans_render_their_nodes(jt: JtCaller, parcel: Any, mock_clock: Any) -> None:
    seen: set[str] = set()
    for number in range(40):  # routes are seeded by waybill: some have a problem, some a locker
        waybill = f"JT20993066{number:05d}"
        parcel("out_for_delivery", waybill)
        seen |= {d["scanTypeCode"] for d in jt.details(waybill)}
    mock_clock.advance(5 * 24 * 3600)
    for number in range(40):
        seen |= {d["scanTypeCode"] for d in jt.details(f"JT20993066{number:05d}")}
    assert {"5", "6", "10", "11"} <= seen


def test_subscribe_stores_every_waybill_of_the_list(jt: JtCaller, mock_app: Any) -> None:
    answer = jt.call(
        SUBSCRIBE,
        {
            "id": KEY,
            "list": [
                {"traceNode": "1&2&3&4&5&6&7&8&9&10&11&12&13&14", "waybillCode": WAYBILL},
                {"traceNode": "10", "waybillCode": OTHER},
            ],
        },
    )
    assert (answer["code"], answer["msg"]) == ("1", "success")
    # maxbetas/jtexpress types.go SubscribeResponseData: data.list of per-waybill results.
    assert answer["data"] == {
        "list": [
            {
                "id": KEY,
                "waybillCode": WAYBILL,
                "isSuccess": True,
                "traceNode": "1&2&3&4&5&6&7&8&9&10&11&12&13&14",
            },
            {"id": KEY, "waybillCode": OTHER, "isSuccess": True, "traceNode": "10"},
        ]
    }
    public = _reality("m_answer_subscribe_list.json")
    fields = public["expect"]["fields"]
    assert sorted(fields) == sorted(re.findall(r'json:"(\w+)"', public["body"].split("}")[0]))
    types = {"<str>": str, "<bool>": bool}
    assert all(
        {k: type(v) for k, v in item.items()} == {k: types[t] for k, t in fields.items()}
        for item in answer["data"]["list"]
    )
    subscriptions = mock_app.extensions["mockserver"].store.list_subscriptions("jt", KEY)
    assert sorted((s.waybill, s.extra["traceNode"]) for s in subscriptions) == [
        (WAYBILL, "1&2&3&4&5&6&7&8&9&10&11&12&13&14"),
        (OTHER, "10"),
    ]


def test_subscribe_accepts_a_numeric_id_equal_to_the_account(jt: JtCaller, mock_client: Any) -> None:
    _register(mock_client, "178337126125932605", "s")
    body = '{"id":178337126125932605,"list":[{"traceNode":"1&10","waybillCode":"JT2099306666983"}]}'
    assert jt.call(SUBSCRIBE, body, app_key="178337126125932605", secret="s")["code"] == "1"


# -- intercept ---------------------------------------------------------------------------------


def test_change_of_address_is_accepted_as_pending_and_reroutes(
    jt: JtCaller, parcel: Any, mock_clock: Any, mock_client: Any
) -> None:
    sample = _fixture("mock_intercept.json")
    parcel("in_transit", destination={"province": "上海市", "city": "上海市"})
    answer = jt.call(sample["path"], sample["bizContent"])
    assert (answer["code"], answer["msg"]) == ("1", "success")
    assert set(answer["data"]) == set(sample["answer"]["data"])
    assert (answer["data"]["mailNo"], answer["data"]["status"]) == (WAYBILL, "PENDING")
    stored = mock_client.get("/__admin/intercepts").get_json()["intercepts"]
    assert [(i["id"], i["kind"]) for i in stored] == [(answer["data"]["interceptId"], "change_address")]
    mock_clock.advance(7 * 24 * 3600)
    details = jt.details()
    assert (details[-1]["scanType"], details[-1]["scanNetworkCity"]) == ("快件签收", "成都市")


def test_return_intercept_succeeds_after_the_delay_and_ends_signed_after_return_scans(
    jt: JtCaller, parcel: Any, mock_clock: Any, mock_app: Any
) -> None:
    parcel("in_transit")
    accepted = jt.intercept()["data"]
    hub = mock_app.extensions["mockserver"]
    account = hub.simulator.account("jt", KEY)
    mock_clock.advance(1799)
    assert hub.simulator.latest_intercept(account, WAYBILL).status is InterceptStatus.PENDING
    mock_clock.advance(1)
    assert jt.details()[-1]["scanType"] == "退件扫描"
    record = hub.simulator.latest_intercept(account, WAYBILL)
    assert (record.id, record.status) == (accepted["interceptId"], InterceptStatus.SUCCEEDED)
    mock_clock.advance(7 * 24 * 3600)
    details = jt.details()
    returned = details[details.index(next(d for d in details if d["scanTypeCode"] == "14")) :]
    # the return leg: 退件扫描 scans, then the ordinary sign scan signed by the sender (docs/carriers/jt.md)
    assert {d["scanTypeCode"] for d in returned[:-1]} == {"14"}
    assert (returned[-1]["scanType"], returned[-1]["scanTypeCode"]) == ("快件签收", "10")
    assert returned[-1]["desc"] == "快件已退回寄件人，已由寄件人签收"
    assert all(d["scanTypeCode"] != "10" for d in details[: details.index(returned[0])])
    assert _error(jt.intercept()) == ("173001", "快件已签收，无法拦截")


def test_second_intercept_while_one_is_pending_answers_173003(jt: JtCaller, parcel: Any) -> None:
    parcel("picked_up")
    assert jt.intercept()["code"] == "1"
    assert _error(jt.intercept()) == ("173003", "该运单已有拦截申请在处理中")
    assert _error(jt.intercept(apply_type=5, **CHENGDU))[0] == "173003"


def test_intercept_of_a_waybill_never_created_answers_173004(jt: JtCaller, mock_client: Any) -> None:
    _register(mock_client, "strict", "strict-secret", auto_parcels=False)
    answer = jt.call(
        INTERCEPT, {"mailNo": WAYBILL, "applyTypeCode": 4}, app_key="strict", secret="strict-secret"
    )
    assert _error(answer) == ("173004", "运单不存在")
    track = jt.call(TRACK, {"billCodes": WAYBILL}, app_key="strict", secret="strict-secret")
    assert track["data"] == [{"billCode": WAYBILL, "details": []}]


def test_intercept_after_a_successful_one_answers_173005(jt: JtCaller, parcel: Any, mock_clock: Any) -> None:
    parcel("picked_up")
    jt.intercept()
    mock_clock.advance(1800)
    assert _error(jt.intercept()) == ("173005", "该运单不支持拦截")


def test_there_is_no_cancel_api(jt: JtCaller, parcel: Any, mock_client: Any) -> None:
    parcel("in_transit")
    jt.intercept()
    for name in ("cancelIntercept", "intercept/cancel"):
        answer = jt.call(f"{BASE}/waybill/{name}", {"mailNo": WAYBILL})
        assert _error(answer) == ("145003050", f"接口不存在: /webopenplatformapi/api/waybill/{name}")
    assert [i["status"] for i in mock_client.get("/__admin/intercepts").get_json()["intercepts"]] == [
        "PENDING"
    ]
    assert _journal(mock_client)[-1]["operation"] == "unknown"


def test_an_intercept_failing_late_is_pushed_with_its_code(
    jt: JtCaller, parcel: Any, mock_clock: Any, mock_app: Any
) -> None:
    parcel("in_transit")
    hub = mock_app.extensions["mockserver"]
    hub.simulator.result_delay *= 200  # the result comes long after delivery
    jt.intercept()
    mock_clock.advance(30 * 24 * 3600)
    account = hub.simulator.account("jt", KEY)
    push = build_intercept_push(account, hub.simulator.latest_intercept(account, WAYBILL))
    content = json.loads(parse_qs(push.body.decode("ascii"))["bizContent"][0])
    assert (content["status"], content["failCode"], content["failReason"]) == (
        "FAILED",
        "173001",
        "快件已签收，无法拦截",
    )


# -- journal and Decider -----------------------------------------------------------------------


def test_every_request_is_journalled_with_its_operation_and_waybill(jt: JtCaller, mock_client: Any) -> None:
    jt.call(TRACK, {"billCodes": f"{WAYBILL},{OTHER}", "note": SECRET})
    jt.call(SUBSCRIBE, {"id": KEY, "list": [{"traceNode": "1", "waybillCode": OTHER}]})
    jt.call(INTERCEPT, {"mailNo": WAYBILL, "applyTypeCode": 4}, headers={"digest": "bad"})
    jt.call(TRACK, {"billCodes": WAYBILL}, headers={"apiAccount": None})
    entries = _journal(mock_client)
    assert [(e["carrier"], e["operation"], e["waybill"], e["account"]) for e in entries] == [
        ("jt", "track", WAYBILL, KEY),
        ("jt", "subscribe", OTHER, KEY),
        ("jt", "intercept", WAYBILL, KEY),
        ("jt", "track", WAYBILL, None),
    ]
    assert entries[2]["error"] == "145003030: headers签名校验失败"
    assert SECRET not in json.dumps(entries, ensure_ascii=False)
    assert entries[0]["request_headers"]["Digest"]


def _decide(mock_app: Any, **fields: Any) -> FixedDecider:
    decider = FixedDecider(Decision(name=fields.pop("name", "test"), **fields))
    mock_app.extensions["mockserver"].decider = decider
    return decider


def test_decider_raw_response_is_sent_as_is(jt: JtCaller, mock_app: Any, mock_client: Any) -> None:
    decider = _decide(mock_app, name="outage", response=RawResponse(status=503, body="down"))
    answer = jt.post(TRACK, {"billCodes": WAYBILL})
    assert (answer.status_code, answer.get_data(as_text=True)) == (503, "down")
    seen = decider.seen[0]
    assert (seen.carrier, seen.operation.value, seen.app_key, seen.waybill) == ("jt", "track", KEY, WAYBILL)
    assert _journal(mock_client)[-1]["decided_by"] == "outage"


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (Fault.RATE_LIMITED, "145003061"),
        (Fault.SYSTEM_ERROR, "145003062"),
        (Fault.UNAVAILABLE, "145003062"),
        (Fault.TIMEOUT, "145003062"),
        (Fault.BAD_SIGNATURE, "145003030"),
        (Fault.NOT_FOUND, "173004"),
    ],
)
def test_decider_faults_are_rendered_in_jt_codes(
    jt: JtCaller, mock_app: Any, fault: Fault, code: str
) -> None:
    _decide(mock_app, fault=fault)
    assert _error(jt.call(TRACK, {"billCodes": WAYBILL}))[0] == code


def test_decider_missing_field_names_the_field_and_messages_can_be_reworded(
    jt: JtCaller, mock_app: Any
) -> None:
    _decide(mock_app, fault=Fault.MISSING_FIELD)
    assert _error(jt.call(TRACK, {"billCodes": WAYBILL})) == ("145003050", "billCodes不能为空")
    _decide(mock_app, fault=Fault.MISSING_FIELD, field_name="mailNo")
    assert _error(jt.intercept()) == ("145003050", "mailNo不能为空")
    _decide(mock_app, reject=FailReason.DUPLICATE, message="重复")
    assert _error(jt.intercept()) == ("173003", "重复")


def test_decider_plan_fails_an_accepted_intercept_after_its_delay(
    jt: JtCaller, parcel: Any, mock_app: Any, mock_clock: Any
) -> None:
    parcel("in_transit")
    plan = InterceptPlan(result=InterceptStatus.FAILED, reason=FailReason.NOT_SUPPORTED, delay_seconds=60)
    _decide(mock_app, name="late", intercept=plan)
    assert jt.intercept()["data"]["status"] == "PENDING"
    mock_clock.advance(60)
    hub = mock_app.extensions["mockserver"]
    account = hub.simulator.account("jt", KEY)
    record = hub.simulator.latest_intercept(account, WAYBILL)
    content = json.loads(parse_qs(build_intercept_push(account, record).body.decode())["bizContent"][0])
    assert (content["status"], content["failCode"]) == ("FAILED", "173005")


def test_decider_transform_rewrites_answers_and_refusals(jt: JtCaller, parcel: Any, mock_app: Any) -> None:
    parcel("in_transit")

    def drop_times(payload: dict[str, Any]) -> dict[str, Any]:
        for entry in payload["data"] or []:
            for detail in entry["details"]:
                del detail["scanTime"]
        payload["msg"] = payload["msg"].upper()
        return payload

    _decide(mock_app, name="missing_fields", transform=drop_times)
    answer = jt.call(TRACK, {"billCodes": WAYBILL})
    assert answer["msg"] == "SUCCESS"
    assert answer["data"][0]["details"] and all("scanTime" not in d for d in answer["data"][0]["details"])
    assert _error(jt.call(TRACK, {"billCodes": "JT1"}))[0] == "145003050"


# -- pushes ------------------------------------------------------------------------------------


def _account(app_key: str = KEY, secret: str = SECRET) -> Account:
    return Account(
        carrier="jt", app_key=app_key, app_secret=secret, epoch=datetime(2025, 1, 6, tzinfo=timezone.utc)
    )


def _biz(push: Any) -> str:
    fields = parse_qs(push.body.decode("ascii"), keep_blank_values=True)
    assert list(fields) == ["bizContent"]
    return fields["bizContent"][0]  # type: ignore[no-any-return]


def test_trace_pushes_are_one_signed_batch(mock_clock: Any) -> None:
    _, _, first = plan_stage_route("jt", WAYBILL, Stage.IN_TRANSIT, now=mock_clock.now())
    _, _, second = plan_stage_route("jt", OTHER, Stage.PICKED_UP, now=mock_clock.now())
    items = [(WAYBILL, first[0]), (OTHER, second[0]), (WAYBILL, first[1])]
    pushes = build_trace_pushes(_account("jt-push", "push-secret-0123"), items)
    assert len(pushes) == 1
    push = pushes[0]
    assert (push.kind, push.waybills) == ("trace", (WAYBILL, OTHER))
    biz = _biz(push)
    assert push.headers["digest"] == sign(biz, "push-secret-0123")
    assert push.headers["apiAccount"] == "jt-push"
    assert push.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert push.headers["timestamp"] == str(int(max(first[1].time, second[0].time).timestamp() * 1000))
    content = json.loads(biz)
    assert [(e["billCode"], [d["scanTypeCode"] for d in e["details"]]) for e in content] == [
        (WAYBILL, ["1", "3"]),
        (OTHER, ["1"]),
    ]
    assert build_trace_pushes(_account(), []) == []


def test_object_push_shape_sends_one_object_per_waybill(mock_clock: Any) -> None:
    _, _, first = plan_stage_route("jt", WAYBILL, Stage.IN_TRANSIT, now=mock_clock.now())
    _, _, second = plan_stage_route("jt", OTHER, Stage.PICKED_UP, now=mock_clock.now())
    items = [(WAYBILL, first[0]), (OTHER, second[0]), (WAYBILL, first[1])]
    account = attrs.evolve(_account("jt-push", "push-secret-0123"), extra={"jt_push_shape": "object"})
    pushes = build_trace_pushes(account, items)
    assert [(push.kind, push.waybills) for push in pushes] == [("trace", (WAYBILL,)), ("trace", (OTHER,))]
    for push, newest in zip(pushes, (first[1], second[0])):
        assert push.headers["digest"] == sign(_biz(push), "push-secret-0123")
        assert push.headers["timestamp"] == str(int(newest.time.timestamp() * 1000))
    content = json.loads(_biz(pushes[0]))
    assert isinstance(content, dict)
    assert list(content) == ["billCode", "txlogisticId", "details"]
    assert (content["billCode"], content["txlogisticId"]) == (WAYBILL, WAYBILL)
    assert [d["scanTypeCode"] for d in content["details"]] == ["1", "3"]
    # J&T's statusFeedback page as the Egypt tenant publishes it: one object per push.
    public = _reality("r_push_status_feedback_doc_one_object.json")["body"]
    assert set(public) == set(content)


def test_array_push_shape_is_the_default_and_can_be_named(mock_clock: Any) -> None:
    _, _, scans = plan_stage_route("jt", WAYBILL, Stage.IN_TRANSIT, now=mock_clock.now())
    items = [(WAYBILL, scan) for scan in scans[:2]]
    named = attrs.evolve(_account(), extra={"jt_push_shape": "array"})
    default = build_trace_pushes(_account(), items)
    assert [p.body for p in build_trace_pushes(named, items)] == [p.body for p in default]
    assert isinstance(json.loads(_biz(default[0])), list)


def test_an_unknown_push_shape_is_a_clear_mock_error_on_every_call(jt: JtCaller, mock_client: Any) -> None:
    _register(mock_client, KEY, SECRET, extra={"jt_push_shape": "stream"})
    answer = jt.post(TRACK, {"billCodes": WAYBILL})
    message = (
        "jt account 'jt-demo': setting extra['jt_push_shape'] must be one of array, object, not 'stream'"
    )
    expected = {"error": "invalid_account_setting", "message": message, "field": "jt_push_shape"}
    assert (answer.status_code, answer.get_json()) == (500, expected)
    # Pushes of such an account stay arrays (its calls already name the problem).
    account = attrs.evolve(_account(), extra={"jt_push_shape": "stream"})
    scan = plan_stage_route("jt", WAYBILL, Stage.PICKED_UP, now=datetime(2025, 1, 6, tzinfo=timezone.utc))[2][
        0
    ]
    assert isinstance(json.loads(_biz(build_trace_pushes(account, [(WAYBILL, scan)])[0])), list)


def test_trace_push_matches_the_sdk_sample_entry() -> None:
    sample = _fixture("sdk_push_trace.json")
    site = Site(name="杭州西湖网点", code="571001", province="浙江省", city="杭州市")
    scans = [
        Scan(
            kind=ScanKind.OUT_FOR_DELIVERY,
            time=datetime(2024, 5, 3, 1, tzinfo=timezone.utc),
            site=site,
            description="【杭州西湖网点】的派件员【李明】正在派件",
            courier="李明",
        ),
        Scan(
            kind=ScanKind.SIGNED,
            time=datetime(2024, 5, 3, 7, 20, tzinfo=timezone.utc),
            site=site,
            description="快件已签收，签收人：本人",
            courier="李明",
            signer="本人",
        ),
    ]
    push = build_trace_pushes(
        _account(sample["headers"]["apiAccount"], sample["secret"]), [(WAYBILL, scan) for scan in scans]
    )[0]
    expected = json.loads(parse_qs(sample["body"])["bizContent"][0])[0]
    assert json.loads(_biz(push)) == [expected]
    assert push.headers["timestamp"] == sample["headers"]["timestamp"]
    assert set(push.headers) == set(sample["headers"])


def test_intercept_push_is_byte_for_byte_the_sdk_sample() -> None:
    sample = _fixture("sdk_push_intercept.json")
    moment = datetime(2024, 5, 3, 2, tzinfo=timezone.utc)
    record = InterceptRecord(
        id="IC20240503000123",
        carrier="jt",
        app_key=sample["headers"]["apiAccount"],
        waybill=WAYBILL,
        kind=InterceptKind.RETURN,
        request_id="jt-1",
        external_ref="jt-1",
        status=InterceptStatus.FAILED,
        created_at=moment,
        resolve_at=moment,
        updated_at=moment,
        fail_reason=FailReason.OUT_FOR_DELIVERY,
    )
    push = build_intercept_push(_account(sample["headers"]["apiAccount"], sample["secret"]), record)
    assert (push.kind, push.waybills) == ("intercept", (WAYBILL,))
    assert dict(push.headers) == sample["headers"]
    assert push.body.decode("ascii") == sample["body"]
    assert push.headers["digest"] == sign(_biz(push), sample["secret"])


def test_succeeded_intercept_push_has_no_failure(
    jt: JtCaller, parcel: Any, mock_clock: Any, mock_app: Any
) -> None:
    parcel("in_transit")
    interceptId = jt.intercept()["data"]["interceptId"]
    mock_clock.advance(1800)
    hub = mock_app.extensions["mockserver"]
    account = hub.simulator.account("jt", KEY)
    push = build_intercept_push(account, hub.simulator.latest_intercept(account, WAYBILL))
    assert json.loads(_biz(push)) == {
        "type": "INTERCEPT",
        "mailNo": WAYBILL,
        "interceptId": interceptId,
        "status": "SUCCESS",
        "failCode": None,
        "failReason": None,
        "updateTime": "2025-01-06 10:30:00",
    }


@pytest.mark.parametrize("case", _fixture("mock_push_ack.json")["cases"], ids=lambda case: case["body"])
def test_push_ack_recognition(case: dict[str, Any]) -> None:
    assert is_push_ack(case["status"], case["body"].encode("utf-8")) is case["ack"]


# -- SDK samples -------------------------------------------------------------------------------


def test_the_sdk_track_request_is_accepted_verbatim(mock_client: Any) -> None:
    sample = _fixture("sdk_track_request.json")
    _register(mock_client, sample["headers"]["apiAccount"], sample["secret"])
    path = "/jt" + sample["url"].split(".com.cn", 1)[1]
    answer = mock_client.post(path, data=sample["body"].encode("ascii"), headers=sample["headers"])
    body = answer.get_json()
    assert (answer.status_code, body["code"], body["msg"]) == (200, "1", "success")
    assert body["data"][0]["billCode"] == WAYBILL


def test_track_answer_has_the_shape_the_sdk_parses(jt: JtCaller, parcel: Any, mock_clock: Any) -> None:
    sample = _fixture("sdk_track_answer.json")["response"]
    sdk_keys = {key for entry in sample["data"] for detail in entry["details"] for key in detail}
    parcel("out_for_delivery")
    mock_clock.advance(3 * 24 * 3600)
    answer = jt.call(TRACK, {"billCodes": WAYBILL})
    assert set(answer) == set(sample)
    assert [set(entry) for entry in answer["data"]] == [set(e) for e in sample["data"]]
    for detail in answer["data"][0]["details"]:
        assert set(detail) <= sdk_keys
        assert isinstance(detail["scanType"], str) and detail["scanTypeCode"].isdigit()


@pytest.mark.parametrize(
    ("name", "stage"),
    [("sdk_intercept_accepted.json", "in_transit"), ("sdk_intercept_refused.json", "signed")],
)
def test_intercept_answers_have_the_sdk_sample_shape(
    jt: JtCaller, parcel: Any, name: str, stage: str
) -> None:
    sample = _fixture(name)["response"]
    parcel(stage)
    answer = jt.intercept()
    assert set(answer) == set(sample)
    assert (answer["code"], answer["msg"]) == (sample["code"], sample["msg"])
    if sample["data"] is None:
        assert answer["data"] is None
    else:
        assert set(answer["data"]) == set(sample["data"])
        assert answer["data"]["status"] == sample["data"]["status"]


def test_bad_signature_answer_matches_the_sdk_sample(jt: JtCaller) -> None:
    sample = _fixture("sdk_error_bad_signature.json")["response"]
    answer = jt.call(TRACK, {"billCodes": WAYBILL}, headers={"digest": "AAAAAAAAAAAAAAAAAAAAAA=="})
    assert set(answer) == set(sample)
    assert (answer["code"], answer["msg"], answer["data"]) == (sample["code"], sample["msg"], None)


def _jt_post(client: Any, path: str, biz: str) -> Any:
    digest = base64.b64encode(hashlib.md5((biz + SECRET).encode("utf-8", "surrogatepass")).digest()).decode()
    return client.post(
        path,
        data=urlencode({"bizContent": biz.encode("utf-8", "surrogatepass")}),
        headers={
            "apiAccount": KEY,
            "digest": digest,
            "timestamp": "1714526400000",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def test_echoed_lone_surrogate_is_escaped_not_a_500(mock_client: Any) -> None:
    # Found by fuzzing: the waybill "\ud800" (a JSON escape) echoed in 运单号格式错误 could not be
    # encoded as UTF-8 and Flask answered 500.
    answer = _jt_post(mock_client, TRACK, '{"billCodes":"\\ud800"}')
    assert answer.status_code == 200
    assert answer.get_json()["msg"] == "运单号格式错误: \ud800"


def test_double_slash_path_is_an_unknown_route_not_an_html_redirect(mock_client: Any) -> None:
    # Found by fuzzing: "/jt//x" was answered with Flask's HTML 308 redirect page.
    answer = _jt_post(mock_client, "/jt//x", '{"billCodes":"JT2099306666983"}')
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"


def test_biz_content_nested_too_deeply_is_a_format_error(mock_client: Any) -> None:
    answer = _jt_post(mock_client, TRACK, "[" * 100_000 + "]" * 100_000)
    assert answer.get_json()["code"] == "145003050"


def test_a_repeated_track_answers_the_same_details_under_a_new_request_id(jt: JtCaller, parcel: Any) -> None:
    parcel("in_transit")
    first, again = (jt.call(TRACK, {"billCodes": WAYBILL}) for _ in range(2))
    assert first["requestId"] != again["requestId"]
    assert list(first) == list(again) == ["code", "msg", "data", "requestId"]
    assert (first["code"], first["data"]) == ("1", again["data"])
    parcel("signed")
    assert jt.details()[-1]["scanType"] == "快件签收"
