"""Property: every SDK parser answers any carrier response with a result or one of our errors.

For each carrier adapter and each parse method, hypothesis feeds arbitrary bytes, JSON of random
shape, and the real wire samples of ``tests/fixtures/<slug>/`` with fields deleted, nulled,
retyped or nested thousands deep, under random HTTP statuses and headers. A parser may return a
well-formed result or raise a :class:`kscarriers.errors.KsCarriersError`; any other exception
(KeyError, TypeError, UnicodeError, RecursionError …) fails the property. Unknown raw scan codes
must map to UNKNOWN/UNRECOGNISED.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, Dict, List, Tuple

import pytest
from fuzzkit import (
    CARRIERS,
    dumps_with_depth,
    fixture,
    fuzz_settings,
    header_values,
    headers_strategy,
    json_values,
    mutated,
    retexted,
    statuses,
)
from hypothesis import assume, given
from hypothesis import strategies as st

from kscarriers import (
    CarrierConfig,
    Credentials,
    InterceptKind,
    InterceptRequest,
    InterceptResult,
    InterceptStatus,
    KsCarriersError,
    SubscribeResult,
    TrackingEvent,
    TrackingStatus,
    TrackingSubStatus,
    TrackResult,
    default_registry,
)
from kscarriers.transport import HttpResponse

WAYBILLS = {
    "zto": "73100130019486",
    "yto": "YT9093718083088",
    "sto": "777031922725111",
    "jt": "JT2099306666983",
}

METHODS = (
    "parse_track",
    "parse_subscribe",
    "parse_intercept",
    "parse_cancel_intercept",
    "parse_intercept_status",
)


def adapter(slug: str) -> Any:
    creds = Credentials(
        app_key=f"{slug}-key", app_secret=f"{slug}-secret", extra={"client_id": f"{slug}-client"}
    )
    return default_registry.get(slug)(CarrierConfig(credentials=creds, base_url="https://carrier.test"))


ADAPTERS = {slug: adapter(slug) for slug in CARRIERS}


def _zto_samples() -> List[Any]:
    errors = [
        {"result": None, "message": case["message"], "status": False, "statusCode": case["statusCode"]}
        for case in fixture("zto", "mock_error_cases")["cases"][:4]
    ]
    return [
        fixture("zto", "sdk_track_response")["response"],
        fixture("zto", "mock_create_intercept")["answer"],
        {
            "status": True,
            "statusCode": "SYS000",
            "message": "成功",
            "result": {
                "billCode": WAYBILLS["zto"],
                "serviceCode": "req-1",
                "status": "3",
                "statusName": "拦截失败",
                "failCode": "E23101",
                "failReason": "快件已签收",
                "updateTime": "2024-05-03 10:00:00",
            },
        },
        {"status": False, "statusCode": "E23130", "message": "非拦截中拦截件,不能取消", "result": None},
        *errors,
    ]


def _samples(slug: str) -> List[Any]:
    if slug == "zto":
        return _zto_samples()
    names = {
        "yto": [
            "sdk_track_answer",
            "sdk_track_no_data",
            "sdk_intercept_accepted",
            "sdk_intercept_refused",
            "sdk_cancel_nothing",
            "sdk_error_bad_sign",
        ],
        "sto": [
            "sdk_track_response",
            "sdk_track_empty",
            "sdk_intercept_accepted",
            "sdk_intercept_refused",
            "sdk_error_flow_limit",
        ],
        "jt": [
            "sdk_track_answer",
            "sdk_intercept_accepted",
            "sdk_intercept_refused",
            "sdk_error_bad_signature",
        ],
    }[slug]
    return [fixture(slug, name)["response"] for name in names]


SAMPLES = {slug: _samples(slug) for slug in CARRIERS}
STO_XML = fixture("sto", "sdk_error_xml")["body"]


def _call(slug: str, method: str, response: HttpResponse) -> Any:
    subject = ADAPTERS[slug]
    waybill = WAYBILLS[slug]
    if method == "parse_intercept":
        request = InterceptRequest(
            waybill=waybill, kind=InterceptKind.RETURN_TO_SENDER, reason="退款", request_id="req-1"
        )
        return subject.parse_intercept(request, response)
    return getattr(subject, method)(waybill, response)


def _check_event(event: TrackingEvent) -> None:
    assert isinstance(event.time, datetime) and event.time.utcoffset() is not None
    assert isinstance(event.status, TrackingStatus) and isinstance(event.sub_status, TrackingSubStatus)
    assert isinstance(event.raw_code, str)
    for text in (
        event.description,
        event.location,
        event.province,
        event.city,
        event.operator,
        event.signer,
        event.problem_code,
    ):
        assert isinstance(text, str)


def check_well_formed(slug: str, method: str, result: Any) -> None:
    """The result has the type the method promises, and every field its declared type."""
    expected: Dict[str, type] = {
        "parse_track": TrackResult,
        "parse_subscribe": SubscribeResult,
        "parse_intercept": InterceptResult,
        "parse_cancel_intercept": InterceptResult,
        "parse_intercept_status": InterceptResult,
    }
    assert isinstance(result, expected[method]), type(result)
    assert result.carrier == slug and isinstance(result.waybill, str)
    if isinstance(result, TrackResult):
        for event in result.events:
            _check_event(event)
    if isinstance(result, InterceptResult):
        assert isinstance(result.status, InterceptStatus)
        for text in (
            result.raw_code,
            result.raw_status,
            result.message,
            result.request_id,
            result.carrier_reference,
        ):
            assert isinstance(text, str)


def parse_or_typed_error(slug: str, method: str, response: HttpResponse) -> Any:
    """Run the parser; only a result or a KsCarriersError may come out."""
    try:
        result = _call(slug, method, response)
    except KsCarriersError as exc:
        str(exc), repr(exc)  # both must render
        return exc
    check_well_formed(slug, method, result)
    return result


cases = st.sampled_from([(slug, method) for slug in CARRIERS for method in METHODS])


@fuzz_settings(max_examples=150)
@given(case=cases, body=st.binary(max_size=300), status=statuses, headers=headers_strategy)
def test_arbitrary_bytes(case: Tuple[str, str], body: bytes, status: int, headers: Dict[str, str]) -> None:
    parse_or_typed_error(*case, HttpResponse(status=status, headers=headers, body=body))


@fuzz_settings(max_examples=150)
@given(
    case=cases,
    value=json_values,
    status=statuses,
    headers=headers_strategy,
    depth=st.sampled_from([1, 50, 5000, 100_000]),
)
def test_json_of_random_shape(
    case: Tuple[str, str], value: Any, status: int, headers: Dict[str, str], depth: int
) -> None:
    body = dumps_with_depth(value, depth).encode("utf-8")
    parse_or_typed_error(*case, HttpResponse(status=status, headers=headers, body=body))


@fuzz_settings(max_examples=150)
@given(
    case=cases,
    status=st.sampled_from([400, 401, 403, 404, 429, 500, 502, 503, 504]),
    retry_after=header_values,
    request_id=header_values,
    body=st.sampled_from([b"", b"<html>busy</html>", b"{}", b"not json", b"\xff\xfe"])
    | st.binary(max_size=40),
)
def test_http_errors_with_random_headers(
    case: Tuple[str, str], status: int, retry_after: str, request_id: str, body: bytes
) -> None:
    headers = {"Retry-After": retry_after, "X-Request-Id": request_id}
    parse_or_typed_error(*case, HttpResponse(status=status, headers=headers, body=body))


@st.composite
def mutated_sample(draw: Callable[..., Any]) -> Tuple[str, str, bytes]:
    slug = draw(st.sampled_from(CARRIERS))
    method = draw(st.sampled_from(METHODS))
    sample = draw(st.sampled_from(SAMPLES[slug]))
    depth = draw(st.sampled_from([3, 2000, 100_000]))
    return slug, method, dumps_with_depth(draw(mutated(sample)), depth).encode("utf-8")


@fuzz_settings(max_examples=300)
@given(case=mutated_sample(), status=statuses | st.just(200), headers=headers_strategy)
def test_real_samples_mutated(case: Tuple[str, str, bytes], status: int, headers: Dict[str, str]) -> None:
    slug, method, body = case
    parse_or_typed_error(slug, method, HttpResponse(status=status, headers=headers, body=body))


@fuzz_settings(max_examples=60)
@given(
    method=st.sampled_from(METHODS),
    status=statuses,
    cut=st.integers(0, 400),
    junk=st.binary(max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-16", "gbk"]),
)
def test_sto_xml_answers_damaged(method: str, status: int, cut: int, junk: bytes, encoding: str) -> None:
    body = STO_XML.encode(encoding, errors="replace")
    body = body[:cut] + junk + body[cut:]
    parse_or_typed_error("sto", method, HttpResponse(status=status, headers={}, body=body))


@fuzz_settings(max_examples=120)
@given(case=cases, index=st.integers(0, 20), data=st.data())
def test_odd_text_in_fields(case: Tuple[str, str], index: int, data: st.DataObject) -> None:
    slug, method = case
    sample = SAMPLES[slug][index % len(SAMPLES[slug])]
    body = json.dumps(data.draw(retexted(sample))).encode("utf-8")
    parse_or_typed_error(slug, method, HttpResponse(status=200, body=body))


# -- unknown raw codes -------------------------------------------------------------------------


#: The code-book tables whose codes a track answer's scan-code field may hold, per carrier (ZTO's
#: "push" actions and J&T's "problem" codes live in other fields).
_TRACK_TABLES = {"zto": ("",), "yto": ("",), "sto": ("",), "jt": ("", "node")}


def _known_codes(slug: str) -> set:
    if slug not in _TRACK_TABLES:
        raise KeyError(f"name the track-code tables of {slug!r} in _TRACK_TABLES")
    book = ADAPTERS[slug].code_book
    return set().union(*(set(book.scan_tables[label]) for label in _TRACK_TABLES[slug]))


def _with_code(slug: str, code: str) -> Any:
    track = json.loads(json.dumps(SAMPLES[slug][0]))
    if slug == "zto":
        for scan in track["result"]:
            scan["scanType"] = code
    elif slug == "yto":
        for entry in track:
            entry["infoContent"] = code
    elif slug == "sto":
        for trace in track["data"][WAYBILLS["sto"]]:
            trace["scanType"] = code
    elif slug == "jt":
        for detail in track["data"][0]["details"]:
            detail["scanType"] = code
            detail.pop("scanTypeCode", None)
            detail.pop("scanTypeName", None)
    else:
        raise KeyError(f"say where {slug!r} puts a scan's code in _with_code")
    return track


@fuzz_settings(max_examples=120)
@given(slug=st.sampled_from(CARRIERS), code=st.text(min_size=1, max_size=12).filter(str.strip))
def test_unknown_raw_codes_map_to_unknown(slug: str, code: str) -> None:
    assume(code.strip() not in _known_codes(slug))
    body = json.dumps(_with_code(slug, code), ensure_ascii=False).encode("utf-8")
    result = ADAPTERS[slug].parse_track(WAYBILLS[slug], HttpResponse(status=200, body=body))
    assert result.events, "the sample has scans"
    for event in result.events:
        assert (event.status, event.sub_status) == (TrackingStatus.UNKNOWN, TrackingSubStatus.UNRECOGNISED)


@pytest.mark.parametrize("slug", CARRIERS)
def test_samples_parse(slug: str) -> None:
    """The unmutated samples really parse (so the mutations start from meaningful answers)."""
    body = json.dumps(SAMPLES[slug][0], ensure_ascii=False).encode("utf-8")
    result = ADAPTERS[slug].parse_track(WAYBILLS[slug], HttpResponse(status=200, body=body))
    assert result.events


# -- secrets never leak ------------------------------------------------------------------------

BAD_SIGNATURE = {
    "zto": {"result": None, "message": "签名错误", "status": False, "statusCode": "S211"},
    "yto": fixture("yto", "sdk_error_bad_sign")["response"],
    "sto": None,  # XML, below
    "jt": fixture("jt", "sdk_error_bad_signature")["response"],
}


class SecretProbeTransport:
    """Answers with a bad-signature envelope, an echo of the request, or a transport failure."""

    def __init__(self, mode: str, status: int) -> None:
        self.mode, self.status = mode, status
        self.sent: List[Any] = []

    def send(self, request: Any, *, timeouts: Any) -> HttpResponse:
        import requests

        from kscarriers.transport import map_requests_errors

        self.sent.append(request)
        slug = request.url.split("/")[3]
        if self.mode == "raise":
            with map_requests_errors(request.url):
                raise requests.exceptions.ConnectionError(
                    f"reset while sending {request.body!r} {request.headers!r}"
                )
        if self.mode == "invalid":
            with map_requests_errors(request.url):
                raise requests.exceptions.InvalidHeader(f"bad header in {request.headers!r}")
        if self.mode == "echo":  # a carrier that quotes the whole request back in its error page
            return HttpResponse(
                status=self.status,
                headers=dict(request.headers),
                body=request.body + repr(dict(request.headers)).encode("utf-8"),
            )
        if slug == "sto":
            return HttpResponse(status=200, body=STO_XML.encode("utf-8"))
        return HttpResponse(
            status=200, body=json.dumps(BAD_SIGNATURE[slug], ensure_ascii=False).encode("utf-8")
        )


def _secret_client(slug: str, secret: str, transport: Any) -> Any:
    from kscarriers import Client, ClientConfig, RetryPolicy

    creds = Credentials(app_key=f"{slug}-key", app_secret=secret, extra={"client_id": f"{slug}-client"})
    config = ClientConfig(
        carriers={slug: CarrierConfig(credentials=creds, base_url=f"https://carrier.test/{slug}")},
        retry=RetryPolicy(max_attempts=2, initial=0.0, max_wait=0.0),
    )
    return Client(config, transport=transport, sleep=lambda seconds: None)


def _leaks(secret: str, text: str) -> bool:
    return secret in text or repr(secret)[1:-1] in text or json.dumps(secret)[1:-1] in text


secrets = st.text(min_size=8, max_size=24).filter(lambda s: bool(s.strip()))


@fuzz_settings(max_examples=150)
@given(
    slug=st.sampled_from(CARRIERS),
    secret=secrets,
    mode=st.sampled_from(["bad_signature", "echo", "raise", "invalid"]),
    operation=st.sampled_from(["track", "subscribe", "intercept", "cancel", "push"]),
    status=st.sampled_from([200, 400, 401, 500, 503]),
)
def test_secret_never_appears_in_errors_or_logs(
    caplog: Any, slug: str, secret: str, mode: str, operation: str, status: int
) -> None:
    import logging

    from fuzzkit import signed_push

    caplog.clear()
    caplog.set_level(logging.DEBUG)
    transport = SecretProbeTransport(mode, status)
    client = _secret_client(slug, secret, transport)
    waybill = WAYBILLS[slug]
    outcome: Any = None
    try:
        if operation == "track":
            outcome = client.track(waybill, slug)
        elif operation == "subscribe":
            outcome = client.subscribe(waybill, slug)
        elif operation == "intercept":
            outcome = client.intercept(waybill, carrier=slug, reason="退款 " + secret[:3])
        elif operation == "cancel":
            outcome = client.cancel_intercept(waybill, carrier=slug, intercept_request_id="req-1")
        else:  # a push signed with the wrong secret, then one whose signed content is not JSON
            headers, body = signed_push(slug, '{"x":1}', secret=secret[::-1] + "x", app_key=f"{slug}-key")
            try:
                client.parse_push(slug, headers, body)
            except KsCarriersError as exc:
                outcome = exc
            headers, body = signed_push(slug, "not json", secret=secret, app_key=f"{slug}-key")
            outcome = client.parse_push(slug, headers, body)
    except KsCarriersError as exc:
        outcome = exc
    for request in transport.sent:  # requests carry digests, never the secret itself
        assert not _leaks(
            secret, request.body.decode("utf-8", "replace") + repr(request.headers) + request.url
        )
    # Only the SDK's own records: caplog also catches what threads left running by earlier
    # tests log (a mock server's push workers logging waybills such as 73100000000…), which
    # a generated secret like "00000000" can match by chance.
    sdk_logs = "\n".join(
        caplog.handler.format(record) for record in caplog.records if record.name.startswith("kscarriers")
    )
    texts = [
        sdk_logs,
        repr(client),
        repr(client.config),
        str(client.config.carriers[slug].credentials),
        repr(client.config.carriers[slug].credentials),
        repr(client.adapter(slug)),
    ]
    if isinstance(outcome, KsCarriersError):
        chain: Any = outcome
        while chain is not None:
            texts += [str(chain), repr(chain), repr(getattr(chain, "raw", None))]
            chain = chain.__cause__ or chain.__context__
    leaked = [text for text in texts if _leaks(secret, text)]
    assert not leaked, (mode, operation, secret, outcome, leaked)


# -- caller input ------------------------------------------------------------------------------


class AcceptingTransport:
    """Answers every request with the carrier's accepted-intercept sample."""

    def send(self, request: Any, *, timeouts: Any) -> HttpResponse:
        slug = request.url.split("/")[3]
        sample = SAMPLES[slug][1] if slug == "zto" else SAMPLES[slug][2]
        return HttpResponse(status=200, body=json.dumps(sample, ensure_ascii=False).encode("utf-8"))


any_char = st.characters(exclude_categories=()) | st.sampled_from(["\ud800", "\udfff", "\x00", "\n"])


@fuzz_settings(max_examples=100)
@given(
    slug=st.sampled_from(CARRIERS),
    reason=st.text(any_char, max_size=12),
    key=st.none() | st.text(any_char, max_size=70),
    detail=st.text(any_char, max_size=12),
)
def test_any_caller_text_gives_a_result_or_validation_error(
    slug: str, reason: str, key: Any, detail: str
) -> None:
    from kscarriers import Address, InterceptKind

    client = _secret_client(slug, f"{slug}-secret", AcceptingTransport())
    address = Address(name="王五", phone="13800138000", province="四川省", city="成都市", detail=detail)
    for kind, new_address in (
        (InterceptKind.RETURN_TO_SENDER, None),
        (InterceptKind.CHANGE_ADDRESS, address),
    ):
        try:
            result = client.intercept(
                WAYBILLS[slug],
                carrier=slug,
                reason=reason,
                idempotency_key=key,
                kind=kind,
                new_address=new_address,
            )
        except KsCarriersError:
            continue
        assert isinstance(result, InterceptResult)
