"""Every sample of public carrier material gives the outcome its source documents.

The samples are files in ``tests/reality/<slug>/`` (format and sources: ``README.md`` there).
A sample marked ``pending_fix`` shows a disagreement the SDK does not handle yet: it is an
``xfail(strict=True)``, so it turns into a failure (to drop the marker) once the fix lands.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping

import pytest
from reality import (
    CARRIERS,
    FORM,
    Sample,
    body_bytes,
    config_for,
    format_errors,
    load,
    load_samples,
    mismatches,
    outer_fields,
    payload_of,
    push_of,
    request_view,
    response_of,
    sample_paths,
    waybill_of,
)

import kscarriers
from kscarriers import Client, errors
from kscarriers.carriers._normalise import classify
from kscarriers.models import (
    Address,
    InterceptKind,
    InterceptRequest,
    InterceptResult,
    InterceptStatus,
    TrackResult,
)
from kscarriers.registry import default_registry
from kscarriers.signing import b64_md5

SAMPLES = load_samples()
REQUEST_ID = "reality-request-0001"
REASON = "买家申请退款"
ADDRESS = Address(
    name="张三",
    phone="13800000000",
    province="上海市",
    city="上海市",
    district="青浦区",
    detail="华新镇华志路123号",
)


def cases(*kinds: str) -> List[Any]:
    chosen = [s for s in SAMPLES if s.kind in kinds]
    return [
        pytest.param(
            s,
            id=s.id,
            marks=[pytest.mark.xfail(strict=True, reason=f"pending {s.pending_fix}")]
            if s.pending_fix
            else [],
        )
        for s in chosen
    ]


def client_for(sample: Sample) -> Client:
    return Client(config_for(sample), transport=_NoNetwork(), sleep=lambda seconds: None)


class _NoNetwork:
    def send(self, request: Any, *, timeouts: Any) -> Any:
        raise AssertionError(f"the corpus test must not send {request.url}")


def intercept_request(sample: Sample, operation: str) -> InterceptRequest:
    change = operation == "change_address"
    return InterceptRequest(
        waybill=waybill_of(sample),
        kind=InterceptKind.CHANGE_ADDRESS if change else InterceptKind.RETURN_TO_SENDER,
        reason=REASON,
        request_id=REQUEST_ID,
        new_address=ADDRESS if change else None,
    )


# -- the corpus itself ----------------------------------------------------------------------


def test_the_corpus_holds_samples_of_every_carrier() -> None:
    carriers = {s.carrier for s in SAMPLES}
    assert carriers == set(CARRIERS)
    assert len(SAMPLES) >= 40


@pytest.mark.parametrize("path", sample_paths(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_file_names_its_source_and_a_known_kind(path: Any) -> None:
    assert format_errors(load(path)) == []


def test_a_file_without_a_source_or_with_an_unknown_kind_is_reported() -> None:
    bad = Sample(
        path=sample_paths()[0].parent / "r_answer_bad.json",
        data={
            "kind": "guess",
            "carrier": sample_paths()[0].parent.name,
            "body": "",
            "expect": {"parse": "track"},
        },
    )
    found = format_errors(bad)
    assert "no source" in found
    assert any(e.startswith("kind 'guess'") for e in found)


def test_field_matching_reports_a_wrong_type_a_wrong_value_and_a_missing_field() -> None:
    sent = {"id": 178337126125932605, "list": [{"waybillCode": "JT2099306666983"}]}
    assert mismatches({"id": "<id>", "list": [{"waybillCode": "<str>"}]}, sent) == []
    assert mismatches({"id": "<str>"}, sent) == [".id: expected <str>, got 178337126125932605"]
    assert mismatches({"list": [{"waybillCode": "JT1"}]}, sent) == [
        ".list[0].waybillCode: expected 'JT1', got 'JT2099306666983'"
    ]
    assert mismatches({"Id": "<id>"}, sent) == [".Id: missing (sent: ['id', 'list'])"]


# -- answers --------------------------------------------------------------------------------


def _parse_answer(sample: Sample) -> Any:
    client = client_for(sample)
    adapter = client.adapter(sample.carrier)
    operation = str(sample.data["operation"])
    response = response_of(sample)
    waybill = waybill_of(sample)
    if operation == "track":
        return adapter.parse_track(waybill, response)
    if operation == "subscribe":
        return adapter.parse_subscribe(waybill, response)
    if operation in ("intercept", "change_address"):
        return adapter.parse_intercept(intercept_request(sample, operation), response)
    if operation == "cancel_intercept":
        return adapter.parse_cancel_intercept(waybill, response)
    if operation == "intercept_status":
        return adapter.parse_intercept_status(waybill, response)
    raise AssertionError(f"{sample.id}: no parser for operation {operation!r}")


def _check_raises(sample: Sample, expect: Mapping[str, Any]) -> None:
    error_class = getattr(errors, str(expect["raises"]))
    with pytest.raises(error_class) as caught:
        _parse_answer(sample)
    if "retryable" in expect:
        assert caught.value.retryable is expect["retryable"]
    if "message_contains" in expect:
        assert str(expect["message_contains"]) in str(caught.value)


def _check_track(result: TrackResult, expect: Mapping[str, Any]) -> None:
    assert isinstance(result, TrackResult)
    if "events" in expect:
        assert len(result.events) == expect["events"]
    if "status" in expect:
        assert result.status.value == expect["status"]
    if "sub_status" in expect:
        assert result.sub_status.value == expect["sub_status"]
    if "is_signed" in expect:
        assert result.is_signed is expect["is_signed"]
    if "raw_codes" in expect:
        assert [e.raw_code for e in result.events] == list(expect["raw_codes"])


def _check_intercept(result: InterceptResult, expect: Mapping[str, Any]) -> None:
    assert isinstance(result, InterceptResult)
    status = expect.get("status")
    if status == "accepted":  # the carrier took the request: in progress or already done
        assert result.status in (InterceptStatus.PENDING, InterceptStatus.SUCCEEDED)
    elif status is not None:
        assert result.status.value == status
    if "failure" in expect:
        assert result.failure is not None and result.failure.value == expect["failure"]
    if "raw_code" in expect:
        assert result.raw_code == expect["raw_code"]


@pytest.mark.parametrize("sample", cases("answer"))
def test_answer_gives_its_documented_outcome(sample: Sample) -> None:
    expect = sample.expect
    if "raises" in expect:
        _check_raises(sample, expect)
        return
    result = _parse_answer(sample)
    if "intercept" in expect:
        _check_intercept(result, expect["intercept"])
        return
    kind = expect.get("parse")
    if kind == "track":
        _check_track(result, expect)
    elif kind in ("intercept", "change_address", "cancel_intercept", "intercept_status"):
        _check_intercept(result, expect)
    elif kind == "subscribe":
        assert result.subscribed is expect.get("subscribed", True)
    else:
        raise AssertionError(f"{sample.id}: unknown expect {dict(expect)!r}")


# -- pushes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", cases("push"))
def test_push_verifies_and_parses_as_documented(sample: Sample) -> None:
    expect = sample.expect["push"]
    client = client_for(sample)
    creds = client.config.carrier(sample.carrier).credentials
    headers, body = push_of(sample, creds.app_key, creds.app_secret)
    if not expect.get("verifies", True):
        with pytest.raises(errors.SignatureError):
            client.parse_push(sample.carrier, headers, body)
        return
    digest = sample.data.get("digest")
    signed = sample.data.get("signed_field")
    if digest and signed:  # our signer reproduces the published digest byte for byte
        fields = sample.data["body"]
        assert b64_md5(str(fields[signed]), str(sample.data["secret"])) == digest
    message = client.parse_push(sample.carrier, headers, body)
    if "events" in expect:
        assert len(message.events) == expect["events"]
    if "waybill" in expect:
        assert {e.waybill for e in message.events} == {expect["waybill"]}
    if "kind" in expect:
        assert [e.kind.value for e in message.events] == [expect["kind"]] * len(message.events)
    tracking = [e.tracking for e in message.events if e.tracking is not None]
    if "status" in expect:
        assert [t.status.value for t in tracking][-1:] == [expect["status"]]
    if "sub_status" in expect:
        assert [t.sub_status.value for t in tracking][-1:] == [expect["sub_status"]]
    if "raw_code" in expect:
        assert [t.raw_code for t in tracking][-1:] == [expect["raw_code"]]
    if "ack" in expect:
        assert mismatches(expect["ack"], _json(message.ack.body)) == []


def _json(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))


# -- requests -------------------------------------------------------------------------------


def _build(sample: Sample, call: Mapping[str, Any]) -> Any:
    adapter = client_for(sample).adapter(sample.carrier)
    operation = str(sample.data["operation"])
    waybill = waybill_of(sample)
    if operation == "track":
        return adapter.build_track(waybill, **call)
    if operation == "subscribe":
        return adapter.build_subscribe(waybill, callback_url=None, **call)
    if operation in ("intercept", "change_address"):
        return adapter.build_intercept(intercept_request(sample, operation), **call)
    if operation == "cancel_intercept":
        return adapter.build_cancel_intercept(waybill, request_id=REQUEST_ID, reason=REASON, **call)
    if operation == "intercept_status":
        return adapter.build_intercept_status(waybill, **call)
    raise AssertionError(f"{sample.id}: no builder for operation {operation!r}")


@pytest.mark.parametrize("sample", cases("request"))
def test_request_is_built_as_the_public_source_sends_it(sample: Sample) -> None:
    expect: Dict[str, Any] = dict(sample.expect["request_matches"])
    if sample.data["operation"] == "sign":  # a published signing vector
        assert b64_md5(str(sample.data["body"]), str(sample.data["secret"])) == expect["digest"]
        return
    request = _build(sample, expect.get("call") or {})
    problems: List[str] = []
    if "fields" in expect:
        problems += mismatches(expect["fields"], request_view(sample.carrier, request), "payload")
    if "absent" in expect:
        sent = payload_of(sample.carrier, request)
        problems += [f"payload.{name}: should not be sent" for name in expect["absent"] if name in sent]
    if "form" in expect:
        problems += mismatches(expect["form"], outer_fields(request), "form")
    if "headers" in expect:
        lowered = {k.lower(): v for k, v in request.headers.items()}
        problems += [f"header {name}: missing" for name in expect["headers"] if name.lower() not in lowered]
    if "content_type" in expect:
        sent_type = next(v for k, v in request.headers.items() if k.lower() == "content-type")
        problems += [] if sent_type.startswith(expect["content_type"]) else [f"content type {sent_type}"]
    if "path_endswith" in expect:
        path = request.url.split("?", 1)[0]
        problems += [] if path.endswith(expect["path_endswith"]) else [f"url {request.url}"]
    assert problems == []
    if "digest" in expect:  # a published signature over the published payload
        assert b64_md5(str(sample.data["signed_text"]), str(sample.data["secret"])) == expect["digest"]


# -- status rows and waybill numbers (added by the status and waybill work) -------------------


@pytest.mark.parametrize("sample", cases("status"))
def test_status_row_maps_as_documented(sample: Sample) -> None:
    expect = sample.expect
    code = expect.get("code")
    if code is None:
        scan = expect.get("scan") or {}
        assert len(scan) == 1, f"{sample.id}: expect.scan names one field and its code"
        code = next(iter(scan.values()))
    book = default_registry.get(sample.carrier).code_book
    status, sub = classify(book.scan_tables[str(expect.get("table", ""))], str(code))
    assert status.value == expect["status"]
    if "sub_status" in expect:
        assert sub.value == expect["sub_status"]


@pytest.mark.parametrize("sample", cases("waybill"))
def test_waybill_belongs_to_the_documented_carriers(sample: Sample) -> None:
    expect = sample.expect
    number = str(expect["waybill"])
    candidates = getattr(kscarriers, "candidates", None)
    if candidates is not None:
        found = set(candidates(number))
    else:
        found = {
            slug
            for slug in CARRIERS
            if any(p.fullmatch(number) for p in default_registry.get(slug).waybill_patterns)
        }
    assert found == set(expect["carriers"])


def test_a_form_body_is_sent_in_the_samples_key_order() -> None:
    sample = Sample(
        path=sample_paths()[0],
        data={"carrier": "zto", "kind": "push", "content_type": FORM, "body": {"b": "1", "a": "é"}},
    )
    assert body_bytes(sample) == b"b=1&a=%C3%A9"
