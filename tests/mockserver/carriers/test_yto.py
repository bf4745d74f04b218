"""Tests for the YTO blueprint: envelope and signature, errors, track, subscribe, intercept lifecycle,
Decider, journal, pushes, and agreement with the SDK engineer's wire samples.

Requests are signed here with hashlib + base64 (never with mockserver's helpers or kscarriers).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Union
from urllib.parse import parse_qs, urlencode

import pytest
from mockfakes import FixedDecider

from mockserver.carriers.yto.codes import is_valid_waybill
from mockserver.carriers.yto.wire import build_intercept_push, build_trace_pushes, is_push_ack
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
)
from mockserver.world.geo import Site

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "yto"
REALITY = Path(__file__).resolve().parents[2] / "reality" / "yto"
KEY = "yto-demo"
SECRET = "yto-demo-secret"
WAYBILL = "YT9093718083088"
TRACK = "track_query_adapter"
SUBSCRIBE = "subscribe_adapter"
REPORT = "wanted_report_adapter"
CHANGE = "wanted_change_adapter"
CANCEL = "wanted_cancel_adapter"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _reality(name: str) -> Any:
    """A public sample of tests/reality/yto (``body`` is what YTO answered or a client sent)."""
    return json.loads((REALITY / name).read_text(encoding="utf-8"))


def yto_sign(param: str, method: str, secret: str) -> str:
    """base64 of the raw md5 of param + method + "v1" + secret (independent of mockserver)."""
    text = param + method + "v1" + secret
    return base64.b64encode(hashlib.md5(text.encode("utf-8")).digest()).decode("ascii")


def digest(text: str, secret: str) -> str:
    return base64.b64encode(hashlib.md5((text + secret).encode("utf-8")).digest()).decode("ascii")


class YtoCaller:
    """Posts signed YTO open-platform requests to the app under test."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def post(
        self,
        method: str,
        param: Union[dict[str, Any], str],
        *,
        app_key: str = KEY,
        client_id: Optional[str] = None,
        secret: str = SECRET,
        as_json: bool = False,
        envelope: Optional[dict[str, Any]] = None,
        version: str = "v1",
    ) -> Any:
        text = (
            param if isinstance(param, str) else json.dumps(param, ensure_ascii=False, separators=(",", ":"))
        )
        fields: dict[str, Any] = {
            "timestamp": "1736128800000",
            "param": text,
            "sign": yto_sign(text, method, secret),
            "format": "JSON",
        }
        for name, value in (envelope or {}).items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        url = f"/yto/open/{method}/{version}/{app_key}/{client_id or app_key}"
        if as_json:
            return self.client.post(
                url,
                data=json.dumps(fields, ensure_ascii=False).encode("utf-8"),
                content_type="application/json",
            )
        return self.client.post(url, data=urlencode(fields).encode("ascii"), content_type=FORM)

    def call(self, method: str, param: Union[dict[str, Any], str], **kwargs: Any) -> Any:
        response = self.post(method, param, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def track(self, waybill: str = WAYBILL, **kwargs: Any) -> Any:
        return self.call(TRACK, {"NUMBER": waybill}, **kwargs)

    def intercept(self, waybill: str = WAYBILL, **kwargs: Any) -> Any:
        return self.call(REPORT, {"waybillNo": waybill, "wantedDesc": "客户要求退回"}, **kwargs)

    def cancel(self, waybill: str = WAYBILL, **kwargs: Any) -> Any:
        return self.call(CANCEL, {"waybillNo": waybill, "dealRemark": "误操作"}, **kwargs)


@pytest.fixture
def yto(mock_client: Any) -> YtoCaller:
    return YtoCaller(mock_client)


@pytest.fixture
def parcel(mock_client: Any) -> Any:
    """Create a YTO parcel through the admin API at a stage; returns the admin answer's parcel."""

    def make(stage: str, waybill: str = WAYBILL, **extra: Any) -> dict[str, Any]:
        answer = mock_client.post(
            "/__admin/parcels",
            json={"carrier": "yto", "app_key": KEY, "waybill": waybill, "stage": stage, **extra},
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["parcel"]  # type: ignore[no-any-return]

    return make


def _style(mock_client: Any, style: str, app_key: str = KEY, secret: str = SECRET) -> None:
    """Give the account the answer style ``style`` (``extra["yto_answers"]``)."""
    answer = mock_client.post(
        "/__admin/accounts",
        json={"carrier": "yto", "app_key": app_key, "app_secret": secret, "extra": {"yto_answers": style}},
    )
    assert answer.status_code in (200, 201), answer.get_json()


def _intercepts(mock_client: Any) -> list[dict[str, Any]]:
    return mock_client.get("/__admin/intercepts").get_json()["intercepts"]  # type: ignore[no-any-return]


def _journal(mock_client: Any) -> list[dict[str, Any]]:
    return mock_client.get("/__admin/requests").get_json()["requests"]  # type: ignore[no-any-return]


def _shape(value: Any) -> Any:
    """The keys (recursively) and value types of a JSON value, to compare answers with samples."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


# -- envelope, signature and errors ------------------------------------------------------------


@pytest.mark.parametrize("case", _fixture("mock_error_cases.json")["cases"], ids=lambda c: c["name"])
def test_bad_requests_answer_yto_error_codes(mock_client: Any, case: dict[str, Any]) -> None:
    param = case["param"]
    text = param if isinstance(param, str) else json.dumps(param, ensure_ascii=False, separators=(",", ":"))
    fields: dict[str, Any] = {
        "timestamp": "1736128800000",
        "param": text,
        "format": "JSON",
        "sign": yto_sign(text, case.get("sign_method", case["method"]), case.get("secret", SECRET)),
    }
    for name, value in case.get("envelope", {}).items():
        if value is None:
            fields.pop(name)
        else:
            fields[name] = value
    url = {
        "method": case["method"],
        "version": "v1",
        "partner_code": KEY,
        "client_id": KEY,
        **case.get("url", {}),
    }
    path = "/yto/open/{method}/{version}/{partner_code}/{client_id}".format(**url)
    if "raw_body" in case:
        answer = mock_client.post(path, data=case["raw_body"], content_type="application/json")
    elif case.get("json_body"):
        answer = mock_client.post(path, json=fields)
    else:
        answer = mock_client.post(path, data=urlencode(fields), content_type=FORM)
    assert answer.status_code == 200
    assert answer.get_json() == case["answer"]


def test_the_sign_covers_param_exactly_as_received(yto: YtoCaller) -> None:
    spaced = '{ "NUMBER" : "YT9093718083088", "备注": "原样" }'
    assert isinstance(yto.call(TRACK, spaced), list)
    # The same param re-serialised compactly is a different string, so its sign does not fit.
    compact = json.dumps(json.loads(spaced), ensure_ascii=False, separators=(",", ":"))
    answer = yto.call(TRACK, spaced, envelope={"sign": yto_sign(compact, TRACK, SECRET)})
    assert answer == {"success": False, "code": 401, "reason": "请求加密校验失败"}


def test_the_envelope_is_accepted_as_a_json_object_body_too(yto: YtoCaller, parcel: Any) -> None:
    parcel("in_transit")
    form = yto.track()
    as_json = yto.track(as_json=True, envelope={"timestamp": 1736128800000})
    assert as_json == form and form[0]["infoContent"] == "GOT"


def _php_json(value: Any) -> str:
    """PHP ``json_encode`` with its default flags: ``/`` and non-ASCII escaped."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


def test_the_public_php_clients_microtime_timestamp_and_form_are_accepted(
    mock_client: Any, parcel: Any
) -> None:
    # syships/php-express yto/YtoClient.php: timestamp = microtime(), param = json_encode(...),
    # the form built by http_build_query (space as "+"): tests/reality/yto/m_request_php_client.json.
    sample = _reality("m_request_php_client.json")
    assert '"timestamp" => microtime()' in sample["body"] and "http_build_query($data)" in sample["body"]
    parcel("in_transit")
    param = _php_json({"waybillNo": WAYBILL, "wantedDesc": "客户要求/退回"})
    fields = {
        "timestamp": "0.65432100 1736128800",  # PHP microtime(): "%.8F %ld"
        "param": param,
        "sign": yto_sign(param, REPORT, SECRET),
        "format": "JSON",
    }
    assert set(fields) == set(sample["expect"]["request_matches"]["form"])
    answer = mock_client.post(
        f"/yto/open/{REPORT}/v1/{KEY}/{KEY}",
        data=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert "+" in urlencode(fields) and answer.get_json()["success"] is True
    assert _intercepts(mock_client)[0]["waybill"] == WAYBILL


@pytest.mark.parametrize(
    "timestamp", ["1736128800000", "1736128800", "0.12345600 1736128800", "1736128800.1235"]
)
def test_timestamps_as_clients_write_them_are_accepted(yto: YtoCaller, parcel: Any, timestamp: str) -> None:
    parcel("in_transit")
    assert isinstance(yto.track(envelope={"timestamp": timestamp}), list)


# -- answer styles (extra["yto_answers"]) ------------------------------------------------------


def test_loose_style_answers_every_refusal_in_the_statuscode_envelope_and_accepts_without_data(
    mock_client: Any, yto: YtoCaller, parcel: Any
) -> None:
    _style(mock_client, "loose")
    parcel("in_transit")
    accepted = yto.intercept()
    assert accepted == {"waybillNo": WAYBILL, "success": True}
    assert _shape(accepted) == _shape(_reality("answer_success_without_data.json")["body"])
    assert yto.intercept() == _reality("answer_intercept_duplicate_statuscode.json")["body"]
    assert yto.cancel() == {"waybillNo": WAYBILL, "success": True}
    assert yto.cancel() == {"statusCode": 1, "statusMessage": "无可取消的拦截"}
    inner = json.dumps({"clientId": KEY, "waybillNo": WAYBILL})
    assert yto.call(SUBSCRIBE, {"client_id": KEY, "logistics_interface": inner}) == {
        "waybillNo": WAYBILL,
        "success": True,
    }
    # Outside intercepts the errors keep their codes; a bad signature is the public 401.
    assert yto.track(envelope={"sign": "AAAAAAAAAAAAAAAAAAAAAA=="})["code"] == 401
    assert yto.track("YT12")["code"] == "S02"


def test_modelled_style_answers_the_shapes_the_mock_had_before_the_public_ones(
    mock_client: Any, yto: YtoCaller, parcel: Any
) -> None:
    _style(mock_client, "modelled")
    parcel("picked_up")
    assert yto.intercept()["data"]["waybillNo"] == WAYBILL
    duplicate = yto.intercept()
    assert duplicate == {
        "success": False,
        "statusCode": 2003,
        "code": "2003",
        "message": "已有有效拦截件，不能重复发起拦截",
    }
    bad = yto.track(envelope={"sign": "AAAAAAAAAAAAAAAAAAAAAA=="})
    assert bad == {"success": False, "code": "S01", "message": "签名验证失败"}


def test_real_style_is_the_default_and_can_be_named(mock_client: Any, yto: YtoCaller, parcel: Any) -> None:
    parcel("signed")
    default = yto.intercept()
    _style(mock_client, "real")
    assert yto.intercept() == default
    assert default == {
        "success": False,
        "statusCode": 2001,
        "code": "2001",
        "message": "快件已签收，无法拦截",
    }


def test_an_unknown_answer_style_is_a_clear_mock_error_naming_the_setting(
    mock_client: Any, yto: YtoCaller
) -> None:
    _style(mock_client, "chatty")
    answer = yto.post(TRACK, {"NUMBER": WAYBILL})
    wanted = "setting extra['yto_answers'] must be one of real, loose, modelled, not 'chatty'"
    assert (answer.status_code, answer.get_json()) == (
        500,
        {
            "error": "invalid_account_setting",
            "message": f"yto account 'yto-demo': {wanted}",
            "field": "yto_answers",
        },
    )
    assert _journal(mock_client)[-1]["error"] == f"invalid_account_setting: yto account 'yto-demo': {wanted}"


def test_client_id_must_be_the_accounts_extra_client_id(mock_client: Any, yto: YtoCaller) -> None:
    mock_client.post(
        "/__admin/accounts",
        json={
            "carrier": "yto",
            "app_key": "P200",
            "app_secret": "p200-secret",
            "extra": {"client_id": "C200"},
        },
    )
    ok = yto.track(app_key="P200", client_id="C200", secret="p200-secret")
    assert isinstance(ok, list) or ok["code"] == "1001"
    wrong = yto.track(app_key="P200", client_id="P200", secret="p200-secret")
    assert wrong == {"success": False, "code": "S03", "message": "client_id无效"}


def test_waybill_pattern() -> None:
    assert is_valid_waybill("YT2600227881409")
    assert not is_valid_waybill("YT260022788140")
    assert not is_valid_waybill("yt2600227881409")
    assert not is_valid_waybill("73100130019486")


# -- track and subscribe -----------------------------------------------------------------------


def test_track_is_a_bare_array_of_the_scans_that_already_happened(mock_client: Any, parcel: Any) -> None:
    sample = _fixture("mock_track.json")
    made = parcel("in_transit")
    fields = {
        "timestamp": "1736128800000",
        "param": sample["param"],
        "sign": yto_sign(sample["param"], TRACK, SECRET),
        "format": "JSON",
    }
    scans = mock_client.post(sample["url"], data=urlencode(fields), content_type=FORM).get_json()
    assert isinstance(scans, list)
    assert len(scans) == sum(1 for scan in made["route"] if scan["visible"])
    assert all(list(scan) == sample["entry_keys"] for scan in scans)
    assert all(scan["waybill_No"] == WAYBILL for scan in scans)
    assert [scan["infoContent"] for scan in scans][:3] == ["GOT", "DEPARTURE", "ARRIVAL"]
    assert scans == sorted(scans, key=lambda s: s["upload_Time"])
    assert all(scan["processInfo"].startswith("【") for scan in scans)
    datetime.strptime(scans[0]["upload_Time"], "%Y-%m-%d %H:%M:%S")


def test_track_times_are_china_time(yto: YtoCaller, parcel: Any) -> None:
    made = parcel("picked_up")
    pickup = datetime.fromisoformat(made["route"][0]["time"])
    expected = pickup.astimezone(timezone.utc).timestamp() + 8 * 3600
    shown = datetime.strptime(yto.track()[0]["upload_Time"], "%Y-%m-%d %H:%M:%S")
    assert shown.replace(tzinfo=timezone.utc).timestamp() == expected


def test_track_without_scans_is_the_1001_no_data_shape(yto: YtoCaller, parcel: Any) -> None:
    parcel("created")
    assert yto.track() == _fixture("mock_track.json")["no_data_answer"]


def test_track_of_a_signed_parcel_ends_signed_and_accepts_the_number_spelling(
    yto: YtoCaller, parcel: Any, mock_clock: Any
) -> None:
    parcel("out_for_delivery")
    before = yto.call(TRACK, {"Number": WAYBILL})
    assert before[-1]["infoContent"] == "SENT_SCAN"
    mock_clock.advance(3 * 24 * 3600)
    after = yto.track()
    assert after[: len(before)] == before
    assert after[-1]["infoContent"] == "SIGNED"
    assert set(s["infoContent"] for s in after) <= {
        "GOT",
        "DEPARTURE",
        "ARRIVAL",
        "SENT_SCAN",
        "INBOUND",
        "SIGNED",
        "FAILED",
    }


def test_subscribe_succeeds_and_is_stored(yto: YtoCaller, mock_app: Any) -> None:
    inner = json.dumps({"clientId": KEY, "waybillNo": WAYBILL}, separators=(",", ":"))
    answer = yto.call(SUBSCRIBE, {"client_id": KEY, "logistics_interface": inner, "msg_type": "online"})
    assert answer == {"success": True, "statusCode": 0, "code": "0", "message": "成功"}
    stored = mock_app.extensions["mockserver"].store.list_subscriptions("yto", KEY)
    assert [(s.waybill, s.extra["client_id"]) for s in stored] == [(WAYBILL, KEY)]


# -- intercepts --------------------------------------------------------------------------------


def test_return_intercept_pending_then_succeeded_with_return_scans(
    mock_client: Any, yto: YtoCaller, parcel: Any, mock_clock: Any
) -> None:
    sample = _fixture("mock_intercept.json")
    parcel("in_transit")
    answer = yto.call(REPORT, sample["report_param"])
    assert _shape(answer) == _shape(sample["accepted_answer"])
    assert answer["data"]["waybillNo"] == WAYBILL and answer["data"]["wantedId"].startswith("W")
    [record] = _intercepts(mock_client)
    assert (record["status"], record["external_ref"]) == ("PENDING", answer["data"]["wantedId"])
    mock_clock.advance(1799)
    assert _intercepts(mock_client)[0]["status"] == "PENDING"
    mock_clock.advance(1)
    assert _intercepts(mock_client)[0]["status"] == "SUCCEEDED"
    assert yto.track()[-1]["infoContent"] == "TMS_RETURN"
    mock_clock.advance(7 * 24 * 3600)
    codes = [s["infoContent"] for s in yto.track()]
    last = yto.track()[-1]
    # The return leg ends with the ordinary sign scan, by the sender, after the return scans.
    assert (last["infoContent"], "寄件人" in last["processInfo"]) == ("SIGNED", True)
    assert codes.count("SIGNED") == 1 and "TMS_RETURN" in codes[:-1]
    assert yto.intercept()["code"] == "2001"


def test_intercept_while_out_for_delivery_answers_2002(yto: YtoCaller, parcel: Any) -> None:
    parcel("out_for_delivery")
    assert (yto.intercept()["code"], yto.intercept()["statusCode"]) == ("2002", 2002)


def test_second_intercept_while_one_is_pending_answers_the_public_statuscode_envelope(
    mock_client: Any, yto: YtoCaller, parcel: Any
) -> None:
    parcel("picked_up")
    assert yto.intercept()["success"] is True
    assert yto.intercept() == _reality("answer_intercept_duplicate_statuscode.json")["body"]
    assert len(_intercepts(mock_client)) == 1


def test_intercept_of_a_waybill_never_created_answers_2004(mock_client: Any, yto: YtoCaller) -> None:
    mock_client.post(
        "/__admin/accounts",
        json={"carrier": "yto", "app_key": "strict", "app_secret": "strict-secret", "auto_parcels": False},
    )
    answer = yto.intercept(app_key="strict", secret="strict-secret")
    assert answer == {"success": False, "statusCode": 2004, "code": "2004", "message": "运单不存在"}
    assert yto.track(app_key="strict", secret="strict-secret")["code"] == "1001"


def test_intercept_after_a_successful_one_is_not_supported(
    yto: YtoCaller, parcel: Any, mock_clock: Any
) -> None:
    parcel("picked_up")
    yto.intercept()
    mock_clock.advance(1800)
    assert yto.intercept()["code"] == "2005"


def test_change_of_address_reroutes_the_parcel(yto: YtoCaller, parcel: Any, mock_clock: Any) -> None:
    parcel("in_transit", destination={"province": "上海市", "city": "上海市"})
    answer = yto.call(CHANGE, _fixture("mock_intercept.json")["change_param"])
    assert answer["success"] is True
    mock_clock.advance(7 * 24 * 3600)
    last = yto.track()[-1]
    assert (last["infoContent"], last["city"], last["district"]) == ("SIGNED", "成都市", "武侯区")


def test_cancel_stops_a_pending_intercept_then_has_nothing_to_cancel(
    mock_client: Any, yto: YtoCaller, parcel: Any, mock_clock: Any
) -> None:
    parcel("in_transit")
    wanted_id = yto.intercept()["data"]["wantedId"]
    cancelled = yto.call(CANCEL, _fixture("mock_intercept.json")["cancel_param"])
    assert cancelled == {
        "success": True,
        "statusCode": 0,
        "code": "0",
        "message": "成功",
        "data": {"waybillNo": WAYBILL, "wantedId": wanted_id},
    }
    mock_clock.advance(3600)
    assert _intercepts(mock_client)[0]["status"] == "CANCELLED"
    assert "TMS_RETURN" not in [s["infoContent"] for s in yto.track()]
    assert yto.cancel() == _fixture("sdk_cancel_nothing.json")["response"]


def test_accounts_do_not_see_each_others_intercepts(mock_client: Any, yto: YtoCaller, parcel: Any) -> None:
    mock_client.post(
        "/__admin/accounts", json={"carrier": "yto", "app_key": "job-2", "app_secret": "job-2-secret"}
    )
    parcel("picked_up")
    yto.intercept()
    assert yto.cancel(app_key="job-2", secret="job-2-secret")["code"] == "2006"


# -- Decider, unexpected errors, journal -------------------------------------------------------


def _decide(mock_app: Any, **fields: Any) -> FixedDecider:
    decider = FixedDecider(Decision(name=fields.pop("name", "test"), **fields))
    mock_app.extensions["mockserver"].decider = decider
    return decider


def test_decider_is_asked_and_can_answer_a_raw_response(
    mock_client: Any, yto: YtoCaller, mock_app: Any
) -> None:
    decider = _decide(mock_app, name="outage", response=RawResponse(status=503, body="down"))
    answer = yto.post(TRACK, {"NUMBER": WAYBILL})
    assert (answer.status_code, answer.get_data(as_text=True)) == (503, "down")
    seen = decider.seen[0]
    assert (seen.carrier, seen.operation.value, seen.app_key, seen.waybill) == ("yto", "track", KEY, WAYBILL)
    inner = json.dumps({"clientId": KEY, "waybillNo": WAYBILL})
    yto.post(SUBSCRIBE, {"client_id": KEY, "logistics_interface": inner})
    assert (decider.seen[1].operation.value, decider.seen[1].waybill) == ("subscribe", WAYBILL)
    assert _journal(mock_client)[-1]["decided_by"] == "outage"


@pytest.mark.parametrize(
    ("fault", "code", "message"),
    [
        (Fault.RATE_LIMITED, "S05", "请求过于频繁"),
        (Fault.UNAVAILABLE, "S06", "服务暂不可用"),
        (Fault.MISSING_FIELD, "S02", "NUMBER不能为空"),
    ],
)
def test_decider_faults_are_rendered_in_yto_codes(
    yto: YtoCaller, mock_app: Any, fault: Fault, code: str, message: str
) -> None:
    _decide(mock_app, fault=fault)
    assert yto.track() == {"success": False, "code": code, "message": message}


def test_decider_bad_signature_fault_is_the_public_401_answer(yto: YtoCaller, mock_app: Any) -> None:
    _decide(mock_app, fault=Fault.BAD_SIGNATURE)
    assert yto.track() == _reality("answer_code_401_reason.json")["body"]
    _decide(mock_app, fault=Fault.BAD_SIGNATURE, message="签名不对")
    assert yto.intercept() == {"success": False, "code": 401, "reason": "签名不对"}


def test_decider_not_found_fault_and_named_missing_field(yto: YtoCaller, mock_app: Any) -> None:
    _decide(mock_app, fault=Fault.NOT_FOUND)
    assert yto.intercept()["code"] == "2004"
    _decide(mock_app, fault=Fault.MISSING_FIELD, field_name="wantedDesc", message=None)
    assert yto.intercept()["message"] == "wantedDesc不能为空"


def test_decider_plan_fails_an_accepted_intercept_after_its_delay(
    mock_client: Any, yto: YtoCaller, parcel: Any, mock_app: Any, mock_clock: Any
) -> None:
    parcel("in_transit")
    plan = InterceptPlan(result=InterceptStatus.FAILED, reason=FailReason.OTHER, delay_seconds=60)
    _decide(mock_app, intercept=plan)
    assert yto.intercept()["success"] is True
    mock_clock.advance(60)
    [record] = _intercepts(mock_client)
    assert (record["status"], record["fail_reason"]) == ("FAILED", "OTHER")


def test_decider_transform_rewrites_the_normal_answer(yto: YtoCaller, parcel: Any, mock_app: Any) -> None:
    parcel("in_transit")

    def drop_district(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in scan.items() if k != "district"} for scan in payload]

    _decide(mock_app, transform=drop_district)
    scans = yto.track()
    assert scans and all("district" not in scan for scan in scans)


def test_every_request_is_journalled_with_its_account_and_waybill(mock_client: Any, yto: YtoCaller) -> None:
    yto.track()
    yto.track(envelope={"sign": "AAAAAAAAAAAAAAAAAAAAAA=="})
    yto.call("no_such_adapter", {"waybillNo": WAYBILL})
    yto.intercept(app_key="nobody")
    yto.call(TRACK, {"NUMBER": "bad", "leak": SECRET})
    entries = _journal(mock_client)
    assert [(e["carrier"], e["operation"], e["account"]) for e in entries] == [
        ("yto", "track", KEY),
        ("yto", "track", KEY),
        ("yto", "unknown", KEY),
        ("yto", "intercept", "nobody"),
        ("yto", "track", KEY),
    ]
    assert [e["waybill"] for e in entries] == [WAYBILL, WAYBILL, WAYBILL, WAYBILL, "bad"]
    assert entries[1]["error"] == "401: 请求加密校验失败"
    assert SECRET not in json.dumps(entries, ensure_ascii=False)


# -- pushes ------------------------------------------------------------------------------------


def _form(body: bytes) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(body.decode("ascii")).items()}


def test_trace_push_reproduces_the_sdk_sample_byte_for_byte() -> None:
    sample = _fixture("sdk_push_trace.json")
    account = Account(
        carrier="yto",
        app_key=sample["app_key"],
        app_secret=sample["secret"],
        epoch=datetime(2021, 6, 1, tzinfo=timezone.utc),
        extra={"client_id": sample["client_id"]},
    )
    site = Site(name="上海市徐汇区漕河泾公司", code="021TEST", province="上海市", city="上海市")
    scan = Scan(
        kind=ScanKind.SIGNED,
        time=datetime(2021, 6, 20, 6, 2, 55, tzinfo=timezone.utc),
        site=site,
        description="快件已签收 签收人: 本人",
        signer="本人",
    )
    [push] = build_trace_pushes(account, [(WAYBILL, scan)])
    assert (push.kind, push.waybills) == ("trace", (WAYBILL,))
    assert dict(push.headers) == sample["headers"]
    assert push.body.decode("ascii") == sample["body"]


def test_trace_pushes_are_one_per_scan_and_verifiable(yto: YtoCaller, parcel: Any, mock_app: Any) -> None:
    made = parcel("in_transit")
    account = mock_app.extensions["mockserver"].simulator.account("yto", KEY)
    scans = [Scan.from_dict(item) for item in made["route"] if item["visible"]]
    pushes = build_trace_pushes(account, [(WAYBILL, scan) for scan in scans])
    assert len(pushes) == len(scans)
    forms = [_form(push.body) for push in pushes]
    for form in forms:
        assert list(form) == ["logistics_interface", "data_digest", "type", "clientId"]
        assert form["data_digest"] == digest(form["logistics_interface"], SECRET)
        assert (form["type"], form["clientId"]) == ("TRACE", KEY)
    assert [json.loads(f["logistics_interface"]) for f in forms] == yto.track()


def test_intercept_pushes_carry_the_result_and_verify(
    yto: YtoCaller, parcel: Any, mock_app: Any, mock_clock: Any
) -> None:
    sample = _fixture("sdk_push_intercept.json")
    sample_data = json.loads(_form(sample["body"].encode("ascii"))["logistics_interface"])
    parcel("in_transit")
    wanted_id = yto.intercept()["data"]["wantedId"]
    mock_clock.advance(1800)
    hub = mock_app.extensions["mockserver"]
    account = hub.simulator.account("yto", KEY)
    [record] = hub.simulator.intercepts(account)
    push = build_intercept_push(account, record)
    form = _form(push.body)
    assert (push.kind, form["type"], form["clientId"]) == ("intercept", "INTERCEPT", KEY)
    assert form["data_digest"] == digest(form["logistics_interface"], SECRET)
    data = json.loads(form["logistics_interface"])
    assert list(data) == list(sample_data)
    assert (data["wantedId"], data["status"], data["failCode"]) == (wanted_id, "SUCCESS", None)
    assert data["updateTime"] == "2025-01-06 10:30:00"


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (InterceptStatus.FAILED, FailReason.ALREADY_SIGNED, ("FAILED", "2001")),
        (InterceptStatus.FAILED, None, ("FAILED", "2099")),
        (InterceptStatus.CANCELLED, None, ("CANCELLED", None)),
    ],
)
def test_intercept_push_statuses_and_fail_codes(
    status: InterceptStatus, reason: Optional[FailReason], expected: tuple[str, Optional[str]]
) -> None:
    sample = _fixture("sdk_push_intercept.json")
    account = Account(
        carrier="yto",
        app_key=sample["app_key"],
        app_secret=sample["secret"],
        epoch=datetime(2021, 6, 1, tzinfo=timezone.utc),
        extra={"client_id": sample["client_id"]},
    )
    moment = datetime(2021, 6, 20, 7, tzinfo=timezone.utc)
    record = InterceptRecord(
        id="IC1",
        carrier="yto",
        app_key="K100",
        waybill=WAYBILL,
        kind=InterceptKind.RETURN,
        request_id="W202106200001",
        external_ref="W202106200001",
        status=status,
        created_at=moment,
        resolve_at=moment,
        updated_at=moment,
        fail_reason=reason,
    )
    form = _form(build_intercept_push(account, record).body)
    data = json.loads(form["logistics_interface"])
    assert (data["status"], data["failCode"]) == expected
    assert form["clientId"] == "TESTCLIENT"
    assert form["data_digest"] == digest(form["logistics_interface"], "test-secret")
    if expected[1] == "2001":
        sample_form = _form(sample["body"].encode("ascii"))
        assert (form["type"], data["waybillNo"], data["updateTime"]) == (
            sample_form["type"],
            *[json.loads(sample_form["logistics_interface"])[k] for k in ("waybillNo", "updateTime")],
        )


def test_push_ack_needs_http_200_success_true_and_code_zero() -> None:
    assert is_push_ack(200, '{"success":true,"code":"0","message":"成功"}'.encode())
    assert is_push_ack(200, b'{"success":true}')
    assert not is_push_ack(200, '{"success":false,"code":"S06","message":"处理失败，请重试"}'.encode())
    assert not is_push_ack(200, b'{"success":true,"code":"S06"}')
    assert not is_push_ack(200, b'{"success":"true"}')
    assert not is_push_ack(500, b'{"success":true,"code":"0"}')
    assert not is_push_ack(200, b"ok")


# -- agreement with the SDK engineer's samples -------------------------------------------------


def test_the_sdk_track_request_sample_is_accepted(mock_client: Any) -> None:
    sample = _fixture("sdk_track_request.json")
    assert yto_sign(sample["param"], TRACK, sample["secret"]) == sample["sign"]
    mock_client.post(
        "/__admin/accounts",
        json={
            "carrier": "yto",
            "app_key": sample["app_key"],
            "app_secret": sample["secret"],
            "extra": {"client_id": sample["client_id"]},
        },
    )
    path = sample["url"][len(sample["base_url"]) :]
    answer = mock_client.post(f"/yto{path}", data=sample["body"], headers=sample["headers"])
    body = answer.get_json()
    assert answer.status_code == 200
    assert isinstance(body, list) or body["code"] == "1001", body


def test_track_answers_have_the_sdk_samples_shape(yto: YtoCaller, parcel: Any) -> None:
    parcel("signed")
    scans = yto.track()
    sample = _fixture("sdk_track_answer.json")["response"]
    assert all(_shape(scan) == _shape(sample[0]) for scan in scans)
    parcel("created", waybill="YT2600227881409")
    assert _shape(yto.track("YT2600227881409")) == _shape(_fixture("sdk_track_no_data.json")["response"])


def test_intercept_and_error_answers_have_the_sdk_samples_shape(yto: YtoCaller, parcel: Any) -> None:
    parcel("in_transit")
    accepted = yto.intercept()
    assert _shape(accepted) == _shape(_fixture("sdk_intercept_accepted.json")["response"])
    parcel("signed", waybill="YT2600227881409")
    assert yto.intercept("YT2600227881409") == _fixture("sdk_intercept_refused.json")["response"]
    bad = yto.track(envelope={"sign": "AAAAAAAAAAAAAAAAAAAAAA=="})
    assert bad == _reality("answer_code_401_reason.json")["body"]
    # The SDK engineer's sample is the modelled S01 shape, which the modelled style still answers.
    _style(yto.client, "modelled")
    bad = yto.track(envelope={"sign": "AAAAAAAAAAAAAAAAAAAAAA=="})
    assert bad == _fixture("sdk_error_bad_sign.json")["response"]


def test_param_with_lone_surrogate_is_a_format_error_not_a_system_error(mock_client: Any) -> None:
    # Found by fuzzing: a JSON body's "\ud800" reached the UTF-8 signing and answered S06.
    body = (
        b'{"timestamp":"1624090782000","param":"\\ud800","sign":"AAAAAAAAAAAAAAAAAAAAAA==","format":"JSON"}'
    )
    answer = mock_client.post(
        f"/yto/open/{TRACK}/v1/{KEY}/{KEY}", data=body, headers={"Content-Type": "application/json"}
    )
    assert answer.get_json() == {"success": False, "code": "S02", "message": "param格式错误"}


def test_param_nested_too_deeply_is_a_format_error(mock_client: Any) -> None:
    # Found by fuzzing: json.loads raised RecursionError and the answer was S06 系统繁忙.
    param = "[" * 100_000 + "]" * 100_000
    body = urlencode(
        {
            "timestamp": "1624090782000",
            "param": param,
            "sign": yto_sign(param, TRACK, SECRET),
            "format": "JSON",
        }
    )
    answer = mock_client.post(f"/yto/open/{TRACK}/v1/{KEY}/{KEY}", data=body, headers={"Content-Type": FORM})
    assert answer.get_json()["code"] == "S02"


def test_track_answers_the_new_scans_once_a_parcel_without_any_gets_some(yto: YtoCaller, parcel: Any) -> None:
    parcel("created")
    assert yto.track() == _fixture("mock_track.json")["no_data_answer"]  # the same answer, kept
    assert yto.track() == _fixture("mock_track.json")["no_data_answer"]
    parcel("picked_up")
    assert [scan["infoContent"] for scan in yto.track()] == ["GOT"]
