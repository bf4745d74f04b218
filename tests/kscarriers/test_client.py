"""Client behaviour: detection, validation, retries, idempotent intercepts, settling, pushes."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
import threading
from collections.abc import Mapping
from urllib.parse import urlencode

import pytest
from attrs import evolve
from ksconfig import ZTO_SECRET, zto_config
from ksfakes import ScriptedTransport, SleepRecorder, json_response

from kscarriers import (
    Address,
    AuthenticationError,
    CarrierConfig,
    CarrierServerError,
    Client,
    ClientConfig,
    ConfigurationError,
    ConnectError,
    Credentials,
    IdempotencyError,
    IdempotencyPolicy,
    InterceptFailure,
    InterceptKind,
    InterceptStatus,
    Operation,
    OutcomeUnknownError,
    RateLimitError,
    ResponseFormatError,
    RetryPolicy,
    SignatureError,
    TimeoutError,
    UnsupportedOperationError,
    ValidationError,
)
from kscarriers.registry import CarrierRegistry

WAYBILL = "73100130019486"

OK_INTERCEPT = json_response(
    '{"status":true,"statusCode":"SYS000","message":"成功","result":{"billCode":"73100130019486","thirdBizNo":"k1","status":"1","statusName":"拦截中"}}'
)
BUSY = json_response('{"status":false,"statusCode":"S203","message":"服务暂不可用","result":null}')


def client_with(*steps, retry=None, **kwargs):
    transport = ScriptedTransport(*steps)
    sleep = SleepRecorder()
    client = Client(zto_config(retry=retry), transport=transport, sleep=sleep, rng=random.Random(0), **kwargs)
    return client, transport, sleep


def body_of(request):
    return json.loads(request.body)


def test_carrier_is_detected_from_the_waybill_number():
    client, transport, _ = client_with(json_response('{"status":true,"statusCode":"SYS000","result":[]}'))
    result = client.track(f" {WAYBILL} ")
    assert result.carrier == "zto" and result.waybill == WAYBILL
    assert transport.requests[0].url.endswith("/zto.merchant.waybill.track.query")


@pytest.mark.parametrize("number", ["", "   ", "ABC123", "7310013001948"])
def test_unknown_or_empty_waybill_is_a_validation_error_naming_the_field(number):
    client, transport, _ = client_with()
    with pytest.raises(ValidationError) as info:
        client.track(number)
    assert info.value.field == "waybill" and transport.requests == []


def test_ambiguous_waybill_is_reported_not_guessed():
    from kscarriers.carriers.zto import ZtoAdapter

    class Copycat(ZtoAdapter):
        name = "copycat"

    registry = CarrierRegistry(load_entry_points=False)
    registry.register(ZtoAdapter)
    registry.register(Copycat)
    with pytest.raises(ValidationError, match="ambiguous between copycat, zto"):
        registry.detect(WAYBILL)


def test_explicit_carrier_with_a_foreign_number_is_rejected():
    client, _, _ = client_with()
    with pytest.raises(ValidationError, match="not a valid zto waybill"):
        client.track("YT2600227881409", carrier="zto")


def test_non_string_waybill_is_a_validation_error():
    client, _, _ = client_with()
    with pytest.raises(ValidationError, match="must be a str"):
        client.track(73100130019486)  # type: ignore[arg-type]


# -- waybill numbers as merchants type them (docs/waybills.md) --------------------------------

EMPTY_TRACK = '{"status":true,"statusCode":"SYS000","result":[]}'


def test_full_width_digits_are_normalised_before_sending():
    client, transport, _ = client_with(json_response(EMPTY_TRACK), json_response(EMPTY_TRACK))
    assert client.track("７３１００１３００１９４８６").waybill == WAYBILL
    assert client.track("７３１００１３００１９４８６", carrier="zto").waybill == WAYBILL
    assert [body_of(request)["billCode"] for request in transport.requests] == [WAYBILL, WAYBILL]


@pytest.mark.parametrize("digits", ["٧٣١٠٠١٣٠٠١٩٤٨٦", "۷۳۱۰۰۱۳۰۰۱۹۴۸۶"])
def test_arabic_indic_digits_are_refused_or_normalised(digits):
    # NFKC leaves Arabic-Indic (and Persian) digits as they are, so they are refused, by name.
    client, transport, _ = client_with()
    for call in (client.track, client.subscribe, client.detect_carrier, client.candidates):
        with pytest.raises(ValidationError, match="ARABIC-INDIC DIGIT SEVEN") as info:
            call(digits)
        assert info.value.field == "waybill"
    with pytest.raises(ValidationError, match="ARABIC-INDIC DIGIT SEVEN"):
        client.intercept(digits, carrier="zto", reason="退款")
    assert transport.requests == []


def test_number_with_label_spaces_is_accepted():
    client, transport, _ = client_with(*[json_response(EMPTY_TRACK)] * 3)
    for typed in ("7310 0130 0194 86", "7310\u30000130\u00a00194 86", "7310-0130-0194-86"):
        assert client.track(typed).waybill == WAYBILL
    assert {body_of(request)["billCode"] for request in transport.requests} == {WAYBILL}


def test_bare_twelve_digit_number_is_ambiguous_without_carrier(ks_client):
    legacy = "728350000001"  # a ZTO legacy number; STO's older series also have 12 digits
    assert ks_client.candidates(legacy) == ("sto", "zto")
    with pytest.raises(ValidationError, match=r"ambiguous between sto, zto.*pass carrier="):
        ks_client.track(legacy)
    assert ks_client.track(legacy, carrier="zto").carrier == "zto"
    assert ks_client.track("7283 5000 0001", carrier="sto").carrier == "sto"


def test_bare_twelve_digit_number_is_ambiguous_even_for_a_client_of_one_carrier():
    client, transport, _ = client_with()
    assert client.candidates("728350000001") == ("zto",)  # only configured carriers are listed
    with pytest.raises(ValidationError, match="ambiguous between sto, zto"):
        client.track("728350000001")
    assert transport.requests == []


def test_fifteen_digit_43_number_names_yunda(ks_client):
    number = "433277027280336"
    assert ks_client.candidates(number) == ("sto",)
    with pytest.raises(ValidationError, match=r"Yunda \(韵达\).*pass carrier='sto'"):
        ks_client.track(number)
    assert ks_client.track(number, carrier="sto").waybill == number


def test_a_number_of_an_unconfigured_carrier_is_a_configuration_error():
    client, _, _ = client_with()
    with pytest.raises(ConfigurationError, match="YT2600227881409 is a yto waybill"):
        client.track("yt 2600 2278 8140 9")


@pytest.mark.parametrize(
    ("slug", "number"),
    [
        ("zto", "73610555582883"),
        ("yto", "YT260022788140912"),
        ("sto", "77316523125896"),
        ("jt", "JT500000000001"),
    ],
)
def test_the_mock_accepts_every_format_the_sdk_sends(ks_client, slug, number):
    assert ks_client.detect_carrier(number) == slug
    assert ks_client.track(number).waybill == number


def test_reads_are_retried_on_envelope_busy_codes():
    client, transport, sleep = client_with(
        BUSY, BUSY, json_response('{"status":true,"statusCode":"SYS000","result":[]}')
    )
    client.track(WAYBILL)
    assert len(transport.requests) == 3 and len(sleep.calls) == 2


def test_retry_after_from_http_429_is_honoured():
    client, _, sleep = client_with(
        json_response("{}", status=429, **{"Retry-After": "3"}),
        json_response('{"status":true,"statusCode":"SYS000","result":[]}'),
    )
    client.track(WAYBILL)
    assert sleep.calls == [3.0]


def test_rate_limit_that_persists_raises_typed_error_with_retry_after():
    client, _, _ = client_with(*[json_response("{}", status=429, **{"Retry-After": "1"})] * 3)
    with pytest.raises(RateLimitError) as info:
        client.track(WAYBILL)
    assert info.value.retry_after == 1.0 and info.value.http_status == 429


def test_the_request_id_stays_the_same_on_every_retry_of_one_intercept():
    client, transport, _ = client_with(
        BUSY, TimeoutError("read timeout"), OK_INTERCEPT, id_factory=lambda: "minted-1"
    )
    result = client.intercept(WAYBILL, reason="buyer refund")
    assert result.status is InterceptStatus.PENDING
    ids = {body_of(r)["requestId"] for r in transport.requests}
    assert ids == {"minted-1"} and len(transport.requests) == 3


def test_callers_idempotency_key_is_used_as_the_request_id():
    client, transport, _ = client_with(OK_INTERCEPT)
    client.intercept(WAYBILL, reason="buyer refund", idempotency_key="refund-42")
    assert body_of(transport.requests[0])["requestId"] == "refund-42"
    assert body_of(transport.requests[0])["thirdBizNo"] == "refund-42"


def test_intercept_refusal_is_a_failed_result_with_raw_code():
    client, _, _ = client_with(
        json_response('{"status":false,"statusCode":"E23101","message":"快件已签收","result":null}')
    )
    result = client.intercept(WAYBILL, reason="buyer refund")
    assert (result.status, result.failure, result.raw_code) == (
        InterceptStatus.FAILED,
        InterceptFailure.ALREADY_SIGNED,
        "E23101",
    )
    assert result.refund_auto_approvable is False


def test_change_address_needs_an_address():
    client, _, _ = client_with()
    with pytest.raises(ValidationError, match="new_address"):
        client.intercept(WAYBILL, kind=InterceptKind.CHANGE_ADDRESS, reason="r")


def test_change_address_sends_destination_type_3_with_the_address():
    client, transport, _ = client_with(OK_INTERCEPT)
    address = Address(
        name="张三",
        phone="13800000000",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        detail="文三路1号",
    )
    client.intercept(WAYBILL, kind=InterceptKind.CHANGE_ADDRESS, new_address=address, reason="r")
    body = body_of(transport.requests[0])
    assert body["destinationType"] == 3 and body["receiveCity"] == "杭州市"
    assert "13800000000" not in repr(address)


def test_intercept_reason_is_required():
    client, _, _ = client_with()
    with pytest.raises(ValidationError, match="reason"):
        client.intercept(WAYBILL, reason="  ")


def test_over_long_idempotency_key_is_rejected():
    client, _, _ = client_with()
    with pytest.raises(ValidationError, match="idempotency_key"):
        client.intercept(WAYBILL, reason="r", idempotency_key="x" * 65)


def test_cancel_looks_up_the_intercept_reference_when_not_given():
    status = json_response(
        '{"status":true,"statusCode":"SYS000","result":{"billCode":"73100130019486","serviceCode":"k1","status":"1","statusName":"拦截中"}}'
    )
    client, transport, _ = client_with(
        status, json_response('{"status":true,"statusCode":"SYS000","result":null}')
    )
    result = client.cancel_intercept(WAYBILL)
    assert result.status is InterceptStatus.CANCELLED
    assert body_of(transport.requests[1])["thirdBizNo"] == "k1"


def test_client_reports_operations_per_carrier():
    client, _, _ = client_with()
    assert client.supports("zto", Operation.CANCEL_INTERCEPT)
    assert Operation.INTERCEPT_STATUS in client.operations("zto")


def _no_id_registry(with_status: bool):
    from kscarriers.carriers.zto import ZtoAdapter

    ops = frozenset(Operation) if with_status else frozenset(Operation) - {Operation.INTERCEPT_STATUS}

    class Plain(ZtoAdapter):
        intercept_takes_request_id = False
        operations = ops

    registry = CarrierRegistry(load_entry_points=False)
    registry.register(Plain)
    return registry


def test_a_timed_out_intercept_is_never_resent_blindly():
    client, transport, _ = client_with(
        TimeoutError("read timeout"), registry=_no_id_registry(with_status=False)
    )
    with pytest.raises(OutcomeUnknownError) as info:
        client.intercept(WAYBILL, reason="r", idempotency_key="k-9")
    assert len(transport.requests) == 1 and info.value.request_id == "k-9"


def test_an_ambiguous_intercept_is_settled_by_the_status_query_when_it_landed():
    landed = json_response(
        '{"status":true,"statusCode":"SYS000","result":{"billCode":"73100130019486","serviceCode":"k-9","status":"1","statusName":"拦截中"}}'
    )
    client, transport, _ = client_with(
        TimeoutError("read timeout"), landed, registry=_no_id_registry(with_status=True)
    )
    result = client.intercept(WAYBILL, reason="r", idempotency_key="k-9")
    assert result.status is InterceptStatus.PENDING
    assert [r.url.rsplit("/", 1)[1] for r in transport.requests] == [
        "thirdcenter.createIntercept",
        "thirdcenter.queryInterceptAndReturnStatus",
    ]


def test_an_ambiguous_intercept_that_did_not_land_is_resent_once_settled():
    none = json_response('{"status":false,"statusCode":"E23102","message":"订单信息不存在","result":null}')
    client, transport, _ = client_with(
        TimeoutError("t"), none, OK_INTERCEPT, registry=_no_id_registry(with_status=True)
    )
    assert client.intercept(WAYBILL, reason="r").status is InterceptStatus.PENDING
    assert len(transport.requests) == 3


def test_a_refused_connection_is_resent_because_nothing_left():
    client, transport, _ = client_with(
        ConnectError("refused", maybe_sent=False), OK_INTERCEPT, registry=_no_id_registry(with_status=False)
    )
    assert client.intercept(WAYBILL, reason="r").status is InterceptStatus.PENDING
    assert len(transport.requests) == 2


def test_unsupported_operation_is_a_typed_error():
    from kscarriers.carriers.zto import ZtoAdapter

    class NoCancel(ZtoAdapter):
        operations = frozenset(Operation) - {Operation.CANCEL_INTERCEPT}

    registry = CarrierRegistry(load_entry_points=False)
    registry.register(NoCancel)
    client, _, _ = client_with(registry=registry)
    with pytest.raises(UnsupportedOperationError) as info:
        client.cancel_intercept(WAYBILL)
    assert info.value.operation == "cancel_intercept"


def test_track_many_returns_results_and_errors_per_waybill():
    client, _, _ = client_with(
        json_response('{"status":true,"statusCode":"SYS000","result":[]}'), retry=RetryPolicy(max_attempts=1)
    )
    out = client.track_many([WAYBILL, "nope"])
    assert out[0].waybill == WAYBILL and isinstance(out[1], ValidationError)


def test_secret_is_used_for_signing_but_never_sent():
    client, transport, _ = client_with(json_response('{"status":true,"statusCode":"SYS000","result":[]}'))
    client.track(WAYBILL)
    request = transport.requests[0]
    assert ZTO_SECRET.encode() not in request.body
    assert all(ZTO_SECRET not in v for v in request.headers.values())


def test_a_delivery_after_a_return_scan_is_read_as_returned_to_sender():
    scans = [
        {"scanType": "收件", "scanDate": 1700000000000},
        {"scanType": "退件", "scanDate": 1700000100000},
        {"scanType": "签收", "scanDate": 1700000200000, "signMan": "寄件人"},
    ]
    client, _, _ = client_with(
        json_response(
            json.dumps({"status": True, "statusCode": "SYS000", "result": scans}, ensure_ascii=False)
        )
    )
    result = client.track(WAYBILL)
    assert result.status.value == "returned" and result.events[-1].raw_code == "签收"
    assert result.sub_status.value == "returned_to_sender"


def test_a_delivery_without_a_return_scan_stays_delivered():
    scans = [{"scanType": "收件", "scanDate": 1700000000000}, {"scanType": "签收", "scanDate": 1700000200000}]
    client, _, _ = client_with(
        json_response(
            json.dumps({"status": True, "statusCode": "SYS000", "result": scans}, ensure_ascii=False)
        )
    )
    assert client.track(WAYBILL).status.value == "delivered"


def test_waybill_of_an_unconfigured_carrier_says_which_carrier_is_missing():
    from kscarriers import ConfigurationError

    client, transport, _ = client_with()
    with pytest.raises(
        ConfigurationError, match="YT2600227881409 is a yto waybill, but this client has no yto configuration"
    ):
        client.track("YT2600227881409")
    assert transport.requests == []


def test_reason_with_lone_surrogate_is_a_validation_error_not_unicode_error():
    # Found while fuzzing: building the signed body raised a bare UnicodeEncodeError.
    client, transport, _ = client_with()
    with pytest.raises(ValidationError) as info:
        client.intercept("73100130019486", reason="退款\ud800")
    assert info.value.field == "reason" and not transport.requests


def test_new_address_with_lone_surrogate_names_the_field():
    client, transport, _ = client_with()
    address = Address(
        name="王五", phone="13800138000", province="四川省", city="成都市", detail="春熙路\udc801号"
    )
    with pytest.raises(ValidationError) as info:
        client.intercept(
            "73100130019486", reason="改址", kind=InterceptKind.CHANGE_ADDRESS, new_address=address
        )
    assert info.value.field == "new_address.detail" and not transport.requests


def test_a_timed_out_zto_cancel_is_settled_by_the_status_query_not_resent():
    # ZTO dedupes createIntercept by requestId, but cancelIntercept carries no request id:
    # a blind resend of a cancel that landed answers E23130 ("no intercept in progress").
    cancelled = json_response(
        '{"status":true,"statusCode":"SYS000","result":{"billCode":"73100130019486","serviceCode":"k1","status":"4","statusName":"已取消"}}'
    )
    client, transport, _ = client_with(TimeoutError("read timeout"), cancelled)
    result = client.cancel_intercept(WAYBILL, intercept_request_id="k1")
    assert result.status is InterceptStatus.CANCELLED
    assert [r.url.rsplit("/", 1)[1] for r in transport.requests] == [
        "thirdcenter.cancelIntercept",
        "thirdcenter.queryInterceptAndReturnStatus",
    ]


def test_new_address_that_is_not_an_address_is_a_validation_error_naming_the_field():
    client, transport, _ = client_with()
    with pytest.raises(ValidationError) as info:
        client.intercept(WAYBILL, kind=InterceptKind.CHANGE_ADDRESS, new_address={"name": "张三"}, reason="r")
    assert info.value.field == "new_address" and transport.requests == []


@pytest.mark.parametrize("carrier", [["zto"], None, 7])
def test_non_string_carrier_in_supports_is_a_validation_error(carrier):
    client, _, _ = client_with()
    with pytest.raises(ValidationError) as info:
        client.supports(carrier, Operation.TRACK)
    assert info.value.field == "carrier"


# -- pushes: headers of every framework, typed errors, the HTTP answer -----------------------

JT_ACCOUNT = "178337126125932605"
JT_SECRET = "jt-client-secret"
JT_BIZ = (
    '[{"billCode":"JT2099306666983","details":[{"scanTime":"2024-05-01 09:12:00","scanType":"快件揽收"}]}]'
)


def jt_client(**extra):
    config = ClientConfig(
        carriers={
            "jt": CarrierConfig(
                credentials=Credentials(app_key=JT_ACCOUNT, app_secret=JT_SECRET),
                base_url="https://jt.test",
                **extra,
            )
        }
    )
    return Client(config, transport=ScriptedTransport())


def jt_push(biz=JT_BIZ, *, secret=JT_SECRET):
    digest = base64.b64encode(hashlib.md5((biz + secret).encode("utf-8")).digest()).decode("ascii")
    headers = {"apiAccount": JT_ACCOUNT, "digest": digest, "timestamp": "1714720800000"}
    return headers, urlencode({"bizContent": biz}).encode("ascii")


@pytest.mark.parametrize(
    "headers",
    [None, 7, "digest: x", b"digest: x", object(), [("digest",)], [("a", "b", "c")], ["ab"], [None]],
)
def test_push_headers_that_are_no_container_of_pairs_are_a_validation_error(headers):
    with pytest.raises(ValidationError) as info:
        jt_client().parse_push("jt", headers, jt_push()[1])
    assert info.value.field == "headers"


def test_flask_environ_headers_are_accepted():
    import flask

    headers, body = jt_push()
    app = flask.Flask("receiver")
    with app.test_request_context("/push", method="POST", headers=headers, data=body):
        assert not isinstance(flask.request.headers, Mapping)  # Werkzeug's EnvironHeaders
        message = jt_client().parse_push("jt", flask.request.headers, flask.request.get_data())
    assert [event.waybill for event in message.events] == ["JT2099306666983"]


def test_werkzeug_headers_are_accepted():
    from werkzeug.datastructures import Headers

    headers, body = jt_push()
    assert len(jt_client().parse_push("jt", Headers(headers), body).events) == 1


def test_django_request_headers_are_accepted():
    from django.http.request import HttpHeaders

    headers, body = jt_push()
    meta = {f"HTTP_{name.upper()}": value for name, value in headers.items()}
    assert len(jt_client().parse_push("jt", HttpHeaders(meta), body).events) == 1


def test_starlette_headers_are_accepted():
    from starlette.datastructures import Headers

    headers, body = jt_push()
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    assert len(jt_client().parse_push("jt", Headers(raw=raw), body).events) == 1


def test_email_message_headers_are_accepted():
    from email.message import Message

    headers, body = jt_push()
    message = Message()
    for name, value in headers.items():
        message[name] = value
    assert len(jt_client().parse_push("jt", message, body).events) == 1


def test_a_list_of_byte_pairs_as_in_an_asgi_scope_is_accepted():
    headers, body = jt_push()
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    assert len(jt_client().parse_push("jt", raw, body).events) == 1
    assert len(jt_client().parse_push("jt", tuple(headers.items()), body).events) == 1


def test_header_names_are_matched_without_regard_to_case():
    headers, body = jt_push()
    shouted = {name.upper(): value for name, value in headers.items()}
    assert len(jt_client().parse_push("jt", shouted, body).events) == 1


@pytest.mark.parametrize("value", [7, None, 1.5, ["x"]])
def test_non_str_header_value_is_a_validation_error(value):
    headers, body = jt_push()
    with pytest.raises(ValidationError) as info:
        jt_client().parse_push("jt", {**headers, "digest": value}, body)
    assert info.value.field == "headers['digest']"


def test_non_str_header_name_is_a_validation_error():
    headers, body = jt_push()
    with pytest.raises(ValidationError) as info:
        jt_client().parse_push("jt", {**headers, 7: "x"}, body)
    assert info.value.field == "headers"


def test_a_repeated_signature_header_is_refused():
    headers, body = jt_push()
    twice = [*headers.items(), ("Digest", headers["digest"])]
    with pytest.raises(SignatureError) as info:
        jt_client().parse_push("jt", twice, body)
    assert info.value.reason == "bad_encoding"


def test_a_repeated_header_the_carrier_does_not_sign_does_not_stop_a_push():
    headers, body = jt_push()
    proxied = [*headers.items(), ("X-Forwarded-For", "10.0.0.1"), ("x-forwarded-for", "10.0.0.2")]
    assert len(jt_client().parse_push("jt", proxied, body).events) == 1


@pytest.mark.parametrize("stamp", ["²", "9" * 5000, "１７００"])
def test_jt_timestamp_of_superscript_digit_is_a_signature_error(stamp):
    headers, body = jt_push()
    with pytest.raises(SignatureError) as info:
        jt_client(push_tolerance=300.0).parse_push("jt", {**headers, "timestamp": stamp}, body)
    assert info.value.reason == "bad_encoding"


def test_parse_push_requires_bytes():
    client, _, _ = client_with()
    with pytest.raises(ValidationError, match="body"):
        client.parse_push("zto", {}, "data=x")  # type: ignore[arg-type]


def test_unknown_carrier_push_is_a_validation_error_naming_the_carrier():
    with pytest.raises(ValidationError) as info:
        jt_client().parse_push("dhl", {}, b"")
    assert info.value.field == "carrier"


def test_unknown_carrier_push_is_answered_404():
    reply = jt_client().handle_push("dhl", {}, b"")
    assert reply.status == 404 and isinstance(reply.error, ValidationError) and reply.message is None
    assert json.loads(reply.body)["error"] == "unknown_carrier"


def test_a_push_for_a_carrier_this_client_is_not_configured_for_is_answered_404():
    reply = jt_client().handle_push("zto", {}, b"data=x")
    assert reply.status == 404 and isinstance(reply.error, ConfigurationError)


def test_handle_push_acknowledges_a_verified_push_after_handling_every_event():
    handled = []
    headers, body = jt_push()
    reply = jt_client().handle_push("jt", headers, body, on_event=handled.append)
    assert (reply.status, reply.headers["Content-Type"]) == (200, "application/json; charset=utf-8")
    assert json.loads(reply.body)["code"] == "1" and reply.acknowledged and reply.error is None
    assert handled == list(reply.message.events) and len(handled) == 1


def test_handle_push_refuses_a_forged_push_with_400_and_the_carriers_failure_body():
    headers, body = jt_push(secret="not-our-secret")
    handled = []
    reply = jt_client().handle_push("jt", headers, body, on_event=handled.append)
    assert reply.status == 400 and json.loads(reply.body)["code"] == "0"
    assert isinstance(reply.error, SignatureError) and reply.error.reason == "mismatch"
    assert handled == [] and not reply.acknowledged


@pytest.mark.parametrize(("headers", "body"), [(None, b""), ({"digest": 7}, b""), ({}, "text")])
def test_handle_push_answers_bad_input_with_400(headers, body):
    reply = jt_client().handle_push("jt", headers, body)
    assert reply.status == 400 and isinstance(reply.error, ValidationError)


def test_a_signed_push_the_sdk_cannot_read_is_refused_with_400_and_logged_as_an_error(caplog):
    headers, body = jt_push('[{"billCode":"JT2099306666983","details":[{"scanType":"快件揽收"}]}]')
    with caplog.at_level("WARNING", logger="kscarriers.client"):
        reply = jt_client().handle_push("jt", headers, body)
    assert reply.status == 400 and isinstance(reply.error, ResponseFormatError)
    assert [r.levelname for r in caplog.records] == ["ERROR"] and "scanTime" in caplog.text


def test_a_handler_that_raises_gets_the_carriers_nack_and_is_logged(caplog):
    def broken(event):
        raise RuntimeError("database is down")

    headers, body = jt_push()
    with caplog.at_level("ERROR", logger="kscarriers.client"):
        reply = jt_client().handle_push("jt", headers, body, on_event=broken)
    nack = jt_client().push_nack("jt")
    assert (reply.status, reply.body) == (nack.status, nack.body) and reply.status != 500
    assert isinstance(reply.error, RuntimeError) and reply.message is not None
    (record,) = caplog.records
    assert "asked the carrier to deliver it again" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[1] is reply.error
    assert JT_SECRET not in caplog.text


def test_a_fault_while_reading_a_push_is_answered_with_the_nack_not_raised(monkeypatch, caplog):
    client = jt_client()
    adapter = client.adapter("jt")

    def crash(headers, body):
        raise KeyError("bug")

    monkeypatch.setattr(adapter, "parse_push", crash)
    with caplog.at_level("ERROR", logger="kscarriers.client"):
        reply = client.handle_push("jt", *jt_push())
    assert reply.status == client.push_nack("jt").status and isinstance(reply.error, KeyError)
    assert caplog.records and caplog.records[0].exc_info is not None


def test_every_carriers_nack_asks_for_redelivery_without_a_500():
    from ksmock import sdk_config

    client = Client(sdk_config(), transport=ScriptedTransport())
    for slug in client.config.carriers:
        nack = client.push_nack(slug)
        assert nack.status != 500 and nack.body != client.adapter(slug).push_ack(ok=True).body


def test_an_intercept_whose_retries_run_out_after_it_may_have_landed_hands_back_its_request_id():
    client, transport, _ = client_with(BUSY, BUSY, BUSY, id_factory=lambda: "minted-7")
    with pytest.raises(OutcomeUnknownError) as info:
        client.intercept(WAYBILL, reason="refund")
    assert info.value.request_id == "minted-7" and "idempotency_key='minted-7'" in str(info.value)
    assert len(transport.requests) == 3
    assert isinstance(info.value.__cause__, CarrierServerError)


def test_an_intercept_refused_by_rate_limits_is_raised_as_such_because_nothing_landed():
    limited = json_response('{"status":false,"statusCode":"S206","message":"api qos limit","result":null}')
    client, _, _ = client_with(limited, limited, limited)
    with pytest.raises(RateLimitError):
        client.intercept(WAYBILL, reason="refund")


def test_track_many_refuses_a_single_string():
    client, _, _ = client_with()
    with pytest.raises(ValidationError, match="waybills"):
        client.track_many(WAYBILL)  # type: ignore[arg-type]


@pytest.mark.parametrize("url", ["not a url", "ftp://x/y", 42])
def test_subscribe_with_a_bad_callback_url_is_a_validation_error(url):
    client, transport, _ = client_with()
    with pytest.raises(ValidationError, match="callback_url"):
        client.subscribe(WAYBILL, callback_url=url)  # type: ignore[arg-type]
    assert transport.requests == []


def test_cancel_with_a_non_string_intercept_request_id_is_a_validation_error():
    client, transport, _ = client_with()
    with pytest.raises(ValidationError, match="intercept_request_id"):
        client.cancel_intercept(WAYBILL, intercept_request_id=7)  # type: ignore[arg-type]
    assert transport.requests == []


def test_every_request_carries_the_configured_user_agent_retries_included():
    import kscarriers

    client, transport, _ = client_with(
        BUSY, json_response('{"status":true,"statusCode":"SYS000","result":[]}')
    )
    client.track(WAYBILL)
    agents = [r.headers.get("User-Agent") for r in transport.requests]
    assert agents == [f"kscarriers/{kscarriers.__version__}"] * 2 == ["kscarriers/0.1.0"] * 2


def test_a_user_agent_of_ones_own_is_sent_on_writes_too():
    import attrs

    transport = ScriptedTransport(OK_INTERCEPT)
    config = attrs.evolve(zto_config(), user_agent="acme-refunds/2.3 (+ops@acme.test)")
    Client(config, transport=transport, sleep=SleepRecorder()).intercept(WAYBILL, reason="r")
    assert transport.requests[0].headers["User-Agent"] == "acme-refunds/2.3 (+ops@acme.test)"


def test_an_adapter_that_sets_its_own_user_agent_keeps_it():
    import attrs

    from kscarriers.carriers.zto import ZtoAdapter

    class OwnAgent(ZtoAdapter):
        def build_track(self, waybill):
            request = super().build_track(waybill)
            return attrs.evolve(request, headers={**request.headers, "user-agent": "zop-sdk/1"})

    registry = CarrierRegistry(load_entry_points=False)
    registry.register(OwnAgent)
    client, transport, _ = client_with(
        json_response('{"status":true,"statusCode":"SYS000","result":[]}'), registry=registry
    )
    client.track(WAYBILL)
    sent = transport.requests[0].headers
    assert [k for k in sent if k.lower() == "user-agent"] == ["user-agent"] and sent[
        "user-agent"
    ] == "zop-sdk/1"


def test_a_request_of_an_adapters_own_class_keeps_its_class_when_the_user_agent_is_added():
    from kscarriers.carriers.zto import ZtoAdapter
    from kscarriers.transport import HttpRequest

    class TaggedRequest(HttpRequest):
        pass

    class OwnRequests(ZtoAdapter):
        def build_track(self, waybill):
            request = super().build_track(waybill)
            return TaggedRequest(
                method=request.method, url=request.url, headers=request.headers, body=request.body
            )

    registry = CarrierRegistry(load_entry_points=False)
    registry.register(OwnRequests)
    client, transport, _ = client_with(
        json_response('{"status":true,"statusCode":"SYS000","result":[]}'), registry=registry
    )
    client.track(WAYBILL)
    sent = transport.requests[0]
    assert type(sent) is TaggedRequest and sent.headers["User-Agent"] == client.config.user_agent


# -- idempotency keys ------------------------------------------------------------------------

OTHER_WAYBILL = "73100130019493"
ADDRESS = Address(
    name="张三", phone="13800000000", province="浙江省", city="杭州市", district="西湖区", detail="文三路1号"
)


def zto_status(status: str, service_code: str = "k1") -> object:
    return json_response(
        '{"status":true,"statusCode":"SYS000","result":{"billCode":"73100130019486",'
        f'"serviceCode":"{service_code}","status":"{status}","statusName":"-"}}}}'
    )


def keyed_client(*steps, policy, clock):
    import attrs

    transport = ScriptedTransport(*steps)
    config = attrs.evolve(zto_config(), idempotency=policy)
    client = Client(config, transport=transport, sleep=SleepRecorder(), monotonic=lambda: clock[0])
    return client, transport


def test_a_key_reused_with_another_reason_is_refused_naming_what_differed():
    client, transport, _ = client_with(OK_INTERCEPT)
    client.intercept(WAYBILL, reason="buyer refund", idempotency_key="k1")
    with pytest.raises(IdempotencyError) as info:
        client.intercept(WAYBILL, reason="parcel damaged", idempotency_key="k1")
    assert (info.value.field, info.value.key, info.value.differs) == ("idempotency_key", "k1", ("reason",))
    assert "reason differ" in str(info.value) and "parcel damaged" not in str(info.value)
    assert len(transport.requests) == 1


def test_a_key_reused_for_a_change_of_address_is_refused_without_showing_the_address():
    client, transport, _ = client_with(OK_INTERCEPT)
    client.intercept(WAYBILL, reason="r", idempotency_key="k1")
    with pytest.raises(ValidationError) as info:  # IdempotencyError is a ValidationError
        client.intercept(
            WAYBILL, reason="r", kind=InterceptKind.CHANGE_ADDRESS, new_address=ADDRESS, idempotency_key="k1"
        )
    assert isinstance(info.value, IdempotencyError) and info.value.differs == ("kind", "new_address")
    assert "kind 'return_to_sender' -> 'change_address'" in str(info.value)
    assert "13800000000" not in str(info.value) and len(transport.requests) == 1


def test_repeating_a_call_returns_the_first_answer_without_sending_again():
    client, transport, _ = client_with(OK_INTERCEPT, registry=_no_id_registry(with_status=False))
    first = client.intercept(WAYBILL, reason="r", idempotency_key="k1")
    assert client.intercept(WAYBILL, reason="r", idempotency_key="k1") == first
    assert len(transport.requests) == 1


def test_repeating_a_pending_zto_intercept_answers_its_state_from_the_status_query():
    client, transport, _ = client_with(OK_INTERCEPT, zto_status("2"))
    assert client.intercept(WAYBILL, reason="r", idempotency_key="k1").status is InterceptStatus.PENDING
    assert client.intercept(WAYBILL, reason="r", idempotency_key="k1").status is InterceptStatus.SUCCEEDED
    # Final now: a third repeat asks nobody (the script has no step left for it).
    assert client.intercept(WAYBILL, reason="r", idempotency_key="k1").status is InterceptStatus.SUCCEEDED
    assert [r.url.rsplit("/", 1)[1] for r in transport.requests] == [
        "thirdcenter.createIntercept",
        "thirdcenter.queryInterceptAndReturnStatus",
    ]


def test_a_repeat_keeps_the_first_answer_when_the_waybills_intercept_is_another_keys():
    client, _, _ = client_with(OK_INTERCEPT, zto_status("2", service_code="someone-else"))
    first = client.intercept(WAYBILL, reason="r", idempotency_key="k1")
    assert client.intercept(WAYBILL, reason="r", idempotency_key="k1") == first


def test_a_repeat_keeps_the_first_answer_when_the_status_query_fails():
    client, _, _ = client_with(
        OK_INTERCEPT, ConnectError("refused", maybe_sent=False), retry=RetryPolicy(max_attempts=1)
    )
    first = client.intercept(WAYBILL, reason="r", idempotency_key="k1")
    assert client.intercept(WAYBILL, reason="r", idempotency_key="k1") == first


def test_repeating_a_refused_intercept_returns_the_refusal_without_asking_again():
    signed = json_response('{"status":false,"statusCode":"E23101","message":"快件已签收","result":null}')
    client, transport, _ = client_with(signed)
    first = client.intercept(WAYBILL, reason="r", idempotency_key="k1")
    assert first.failure is InterceptFailure.ALREADY_SIGNED
    assert client.intercept(WAYBILL, reason="r", idempotency_key="k1") == first
    assert len(transport.requests) == 1


def test_a_call_refused_before_anything_happened_is_sent_again_on_repeat():
    bad_sign = json_response('{"status":false,"statusCode":"S211","message":"签名错误","result":null}')
    client, transport, _ = client_with(bad_sign, OK_INTERCEPT)
    with pytest.raises(AuthenticationError):
        client.intercept(WAYBILL, reason="r", idempotency_key="k1")
    assert client.intercept(WAYBILL, reason="r", idempotency_key="k1").status is InterceptStatus.PENDING
    assert len(transport.requests) == 2


def test_resuming_after_an_unknown_outcome_reads_a_duplicate_refusal_as_pending():
    duplicate = json_response('{"status":false,"statusCode":"E23121","message":"已存在拦截","result":null}')
    client, transport, _ = client_with(
        TimeoutError("read timeout"), duplicate, registry=_no_id_registry(with_status=False)
    )
    with pytest.raises(OutcomeUnknownError) as info:
        client.intercept(WAYBILL, reason="r")
    resumed = client.intercept(WAYBILL, reason="r", idempotency_key=info.value.request_id)
    assert (resumed.status, resumed.failure, resumed.raw_code) == (InterceptStatus.PENDING, None, "E23121")
    assert "已存在拦截" in resumed.message and len(transport.requests) == 2


def test_a_duplicate_refusal_of_a_first_call_stays_a_failure():
    duplicate = json_response('{"status":false,"statusCode":"E23121","message":"已存在拦截","result":null}')
    client, _, _ = client_with(duplicate, registry=_no_id_registry(with_status=False))
    result = client.intercept(WAYBILL, reason="r", idempotency_key="k1")
    assert result.failure is InterceptFailure.DUPLICATE_REQUEST


def test_a_key_is_forgotten_after_its_ttl_on_the_clients_clock():
    clock = [100.0]
    client, transport = keyed_client(
        OK_INTERCEPT, OK_INTERCEPT, policy=IdempotencyPolicy(ttl=60), clock=clock
    )
    client.intercept(WAYBILL, reason="r", idempotency_key="k1")
    clock[0] = 159.0
    with pytest.raises(IdempotencyError):
        client.intercept(OTHER_WAYBILL, reason="r", idempotency_key="k1")
    clock[0] = 160.0
    assert client.intercept(OTHER_WAYBILL, reason="r", idempotency_key="k1").status is InterceptStatus.PENDING
    assert len(transport.requests) == 2


def test_past_its_capacity_the_client_forgets_the_least_recently_used_key():
    client, transport = keyed_client(
        OK_INTERCEPT,
        OK_INTERCEPT,
        zto_status("1"),
        OK_INTERCEPT,
        OK_INTERCEPT,
        policy=IdempotencyPolicy(capacity=2),
        clock=[0.0],
    )
    client.intercept(WAYBILL, reason="r", idempotency_key="k1")
    client.intercept(WAYBILL, reason="r", idempotency_key="k2")
    client.intercept(WAYBILL, reason="r", idempotency_key="k1")  # a repeat: k1 is the most recent
    client.intercept(WAYBILL, reason="r", idempotency_key="k3")  # k2 is forgotten
    assert client.intercept(OTHER_WAYBILL, reason="r", idempotency_key="k2").status is InterceptStatus.PENDING
    with pytest.raises(IdempotencyError):
        client.intercept(OTHER_WAYBILL, reason="r", idempotency_key="k3")
    assert len(transport.requests) == 5


# -- track_many: bounded concurrency -------------------------------------------------------------

EMPTY_TRACK = '{"status":true,"statusCode":"SYS000","result":[]}'
BAD_SIGNATURE = '{"status":false,"statusCode":"S211","message":"签名错误","result":null}'


def zto_waybills(count):
    return [f"7310013001{9400 + i:04d}" for i in range(count)]


class InFlightTransport:
    """Answers every ZTO track at once, counting how many requests are in flight together.

    ``gate`` (a Barrier or None) is waited on inside each send, so a test can require N
    requests to be in flight at the same moment; ``answers`` maps a waybill to a response body.
    """

    def __init__(self, gate=None, answers=None, hold=None):
        self.gate = gate
        self.answers = answers or {}
        self.hold = hold or {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.sent = []

    def send(self, request, *, timeouts):
        number = json.loads(request.body)["billCode"]
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.sent.append(number)
        try:
            if self.gate is not None:
                self.gate.wait(timeout=10)
            if number in self.hold:
                assert self.hold[number].wait(timeout=10), f"{number} was never released"
            return json_response(self.answers.get(number, EMPTY_TRACK))
        finally:
            with self.lock:
                self.in_flight -= 1


def test_track_many_has_its_concurrency_of_requests_in_flight_at_once():
    # The barrier only opens when 8 requests wait at it together: a serial track_many would break it.
    transport = InFlightTransport(gate=threading.Barrier(8))
    client = Client(zto_config(), transport=transport)
    numbers = zto_waybills(16)
    out = client.track_many(numbers, concurrency=8)
    assert [result.waybill for result in out] == numbers
    assert transport.most_in_flight == 8


def test_track_many_concurrency_defaults_to_the_client_config():
    transport = InFlightTransport(gate=threading.Barrier(3))
    client = Client(evolve(zto_config(), concurrency=3), transport=transport)
    out = client.track_many(zto_waybills(9))
    assert len(out) == 9 and transport.most_in_flight == 3


def test_track_many_with_concurrency_one_sends_one_request_at_a_time_in_order():
    transport = InFlightTransport()
    client = Client(zto_config(), transport=transport)
    numbers = zto_waybills(5)
    client.track_many(numbers, concurrency=1)
    assert transport.most_in_flight == 1 and transport.sent == numbers


def test_track_many_keeps_input_order_and_each_waybills_error_when_answers_arrive_out_of_order():
    numbers = zto_waybills(4)
    first_released = threading.Event()
    # The first waybill answers only after the last one has: completion order is not input order.
    transport = InFlightTransport(answers={numbers[2]: BAD_SIGNATURE}, hold={numbers[0]: first_released})
    original_send = transport.send

    def send(request, *, timeouts):
        answer = original_send(request, timeouts=timeouts)
        if json.loads(request.body)["billCode"] == numbers[3]:
            first_released.set()
        return answer

    transport.send = send
    client = Client(zto_config(retry=RetryPolicy(max_attempts=1)), transport=transport)
    out = client.track_many([numbers[0], "nope", numbers[1], numbers[2], numbers[3]], concurrency=4)
    assert out[0].waybill == numbers[0]
    assert isinstance(out[1], ValidationError) and out[1].field == "waybill"
    assert out[2].waybill == numbers[1]
    assert isinstance(out[3], AuthenticationError) and out[3].code == "S211"
    assert out[4].waybill == numbers[3]


def test_track_many_raises_an_unexpected_fault_instead_of_listing_it():
    class Broken:
        def send(self, request, *, timeouts):
            raise KeyError("a bug in a transport")

    client = Client(zto_config(), transport=Broken())
    with pytest.raises(KeyError):
        client.track_many(zto_waybills(3), concurrency=2)


@pytest.mark.parametrize("bad", [0, -1, 65, True, 2.0, "8"])
def test_track_many_refuses_a_concurrency_that_is_not_1_to_64_before_sending(bad):
    transport = InFlightTransport()
    client = Client(zto_config(), transport=transport)
    with pytest.raises(ValidationError) as info:
        client.track_many(zto_waybills(2), concurrency=bad)
    assert info.value.field == "concurrency" and transport.sent == []


@pytest.mark.parametrize("bad", [0, 65, True, "8"])
def test_client_config_refuses_a_concurrency_that_is_not_1_to_64(bad):
    with pytest.raises(ConfigurationError, match="concurrency"):
        evolve(zto_config(), concurrency=bad)


def test_track_many_over_http_reuses_pooled_connections_without_pool_is_full_warnings(caplog):
    from mockserver import create_app
    from mockserver.clock import ManualClock
    from mockserver.serving import serve_in_thread

    app = create_app({"CLOCK": "manual", "DEMO_ACCOUNTS": False}, clock=ManualClock())
    app.test_client().post(
        "/__admin/accounts", json={"carrier": "zto", "app_key": "pool-key", "app_secret": ZTO_SECRET}
    )
    gate = threading.Barrier(12)

    def all_in_flight(environ, start_response):
        gate.wait(timeout=10)  # 12 connections are open at once, more than requests' 10
        return app(environ, start_response)

    base, stop = serve_in_thread(all_in_flight, threads=12)
    config = ClientConfig(
        carriers={
            "zto": CarrierConfig(
                credentials=Credentials(app_key="pool-key", app_secret=ZTO_SECRET), base_url=f"{base}/zto"
            )
        },
        retry=RetryPolicy(max_attempts=1),
    )
    try:
        with Client(config) as client, caplog.at_level(logging.WARNING, logger="urllib3"):
            out = client.track_many(zto_waybills(24), concurrency=12)
    finally:
        stop()
    assert [type(result).__name__ for result in out] == ["TrackResult"] * 24
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
