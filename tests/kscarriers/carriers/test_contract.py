"""What every registered carrier adapter must do, run once per slug of ``default_registry``.

The inputs are data: ``tests/fixtures/<slug>/contract.json`` names the sample account, waybill
and operations, and the fixture files (beside it) that hold a recorded track request, track
answers, an error answer, intercept answers, pushes and the exact acknowledgements. A carrier
added to the registry adds that file; one without it fails here. Each carrier's own quirks stay
in ``test_<slug>.py``.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Tuple

import pytest
from ksfakes import ScriptedTransport, SleepRecorder

import kscarriers
from kscarriers import (
    Address,
    CarrierConfig,
    CarrierError,
    Client,
    ClientConfig,
    Credentials,
    HttpRequest,
    HttpResponse,
    InterceptFailure,
    InterceptKind,
    InterceptRequest,
    InterceptStatus,
    Operation,
    OutcomeUnknownError,
    PushKind,
    RateLimitError,
    ResponseFormatError,
    RetryPolicy,
    SignatureError,
    TimeoutError,
    TrackingStatus,
    TrackingSubStatus,
    UnsupportedOperationError,
    default_registry,
)
from kscarriers.carriers import CarrierAdapter, CodeBook

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SLUGS = default_registry.slugs()
REQUIRED = (
    "entry_point",
    "account",
    "base_url",
    "now_ms",
    "waybill",
    "operations",
    "intercept_takes_request_id",
    "track_request",
    "track_answer",
    "empty_track_answer",
    "error_answer",
    "subscribe_answer",
    "intercept_accepted",
    "intercept_refused",
    "trace_push",
    "intercept_push",
    "ack",
)
OTHER_SECRET = "not-the-account-secret"
ADDRESS = Address(
    name="王五",
    phone="13900000000",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    detail="文三路 100 号",
)


# -- the contract data ---------------------------------------------------------------------------


def contract_of(slug: str) -> Dict[str, Any]:
    path = FIXTURES / slug / "contract.json"
    if not path.is_file():
        pytest.fail(f"carrier {slug!r} is registered but has no {path.relative_to(FIXTURES.parent.parent)}")
    data: Dict[str, Any] = json.loads(path.read_text("utf-8"))
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        pytest.fail(f"{path.name} of {slug} lacks {', '.join(missing)}")
    return data


def sample(slug: str, name: str) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads((FIXTURES / slug / name).read_text("utf-8"))
    return data


def answer(slug: str, spec: Mapping[str, Any]) -> HttpResponse:
    """An HTTP answer from a contract entry: ``{"file": …}`` or an inline ``{"response": …}``."""
    data = sample(slug, spec["file"]) if "file" in spec else spec
    if "response" in data:
        body = json.dumps(data["response"], ensure_ascii=False).encode("utf-8")
        content_type = "application/json;charset=UTF-8"
    else:
        body, content_type = data["body"].encode("utf-8"), data["content_type"]
    return HttpResponse(status=data.get("status", 200), headers={"Content-Type": content_type}, body=body)


def push(slug: str, name: str) -> Tuple[Dict[str, str], bytes]:
    data = sample(slug, name)
    return dict(data["headers"]), data["body"].encode("ascii")


@pytest.fixture(params=SLUGS)
def slug(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def contract(slug: str) -> Dict[str, Any]:
    return contract_of(slug)


def carrier_config(contract: Mapping[str, Any], *, secret: str = "", base_url: str = "") -> CarrierConfig:
    account = contract["account"]
    return CarrierConfig(
        credentials=Credentials(
            app_key=account["app_key"], app_secret=secret or account["app_secret"], extra=account["extra"]
        ),
        base_url=base_url or contract["base_url"],
    )


def make(slug: str, contract: Mapping[str, Any], **config: str) -> CarrierAdapter:
    """The adapter on the contract's account, with its clock fixed where the adapter takes one."""
    cls = default_registry.get(slug)
    if "now_ms" in inspect.signature(cls).parameters:
        return cls(carrier_config(contract, **config), now_ms=lambda: contract["now_ms"])  # type: ignore[call-arg]
    return cls(carrier_config(contract, **config))


@pytest.fixture
def adapter(slug: str, contract: Dict[str, Any]) -> CarrierAdapter:
    return make(slug, contract)


def intercept_request(
    contract: Mapping[str, Any], kind: InterceptKind = InterceptKind.RETURN_TO_SENDER
) -> InterceptRequest:
    address = ADDRESS if kind is InterceptKind.CHANGE_ADDRESS else None
    return InterceptRequest(
        waybill=contract["waybill"],
        kind=kind,
        reason="买家退款",
        request_id="contract-1",
        new_address=address,
    )


def client_for(slug: str, contract: Mapping[str, Any], transport: ScriptedTransport, **kwargs: Any) -> Client:
    config = ClientConfig(carriers={slug: carrier_config(contract)}, retry=RetryPolicy(max_attempts=3))
    return Client(config, transport=transport, sleep=SleepRecorder(), **kwargs)


#: How the client's callers reach each operation's request builder.
BUILDS: Dict[Operation, Callable[[CarrierAdapter, Mapping[str, Any]], HttpRequest]] = {
    Operation.TRACK: lambda a, c: a.build_track(c["waybill"]),
    Operation.SUBSCRIBE: lambda a, c: a.build_subscribe(c["waybill"], callback_url=None),
    Operation.INTERCEPT: lambda a, c: a.build_intercept(intercept_request(c)),
    Operation.CHANGE_ADDRESS: lambda a, c: a.build_intercept(
        intercept_request(c, InterceptKind.CHANGE_ADDRESS)
    ),
    Operation.CANCEL_INTERCEPT: lambda a, c: a.build_cancel_intercept(
        c["waybill"], request_id="r-1", reason="撤销"
    ),
    Operation.INTERCEPT_STATUS: lambda a, c: a.build_intercept_status(c["waybill"]),
}
#: Every adapter method of each operation (a change of address is an intercept of another kind).
CALLS: Dict[Operation, List[Callable[[CarrierAdapter, Mapping[str, Any]], Any]]] = {
    Operation.SUBSCRIBE: [
        BUILDS[Operation.SUBSCRIBE],
        lambda a, c: a.parse_subscribe(c["waybill"], HttpResponse(status=200)),
    ],
    Operation.INTERCEPT: [
        BUILDS[Operation.INTERCEPT],
        lambda a, c: a.parse_intercept(intercept_request(c), HttpResponse(status=200)),
    ],
    Operation.CANCEL_INTERCEPT: [
        BUILDS[Operation.CANCEL_INTERCEPT],
        lambda a, c: a.parse_cancel_intercept(c["waybill"], HttpResponse(status=200)),
    ],
    Operation.INTERCEPT_STATUS: [
        BUILDS[Operation.INTERCEPT_STATUS],
        lambda a, c: a.parse_intercept_status(c["waybill"], HttpResponse(status=200)),
    ],
    Operation.PUSH: [lambda a, c: a.push_ack(ok=True), lambda a, c: a.parse_push({}, b"")],
}


def offered(contract: Mapping[str, Any]) -> List[Operation]:
    return [op for op in BUILDS if op.value in contract["operations"]]


# -- the registry and the contract data ------------------------------------------------------------


def test_the_registry_has_carriers_and_every_contract_file_has_its_carrier() -> None:
    assert SLUGS, "no carrier is registered: the entry points of kscarriers.carriers did not load"
    with_data = sorted(path.parent.name for path in FIXTURES.glob("*/contract.json"))
    assert with_data == SLUGS


def test_the_carrier_is_registered_under_its_slug_at_its_entry_point(
    slug: str, contract: Dict[str, Any]
) -> None:
    cls = default_registry.get(slug)
    module, _, name = contract["entry_point"].partition(":")
    assert getattr(importlib.import_module(module), name) is cls
    assert cls.name == slug
    assert isinstance(cls.display_name, str) and cls.display_name.strip()


def test_the_carrier_declares_the_operations_of_its_contract(slug: str, contract: Dict[str, Any]) -> None:
    cls = default_registry.get(slug)
    assert sorted(op.value for op in cls.operations) == sorted(contract["operations"])
    assert Operation.TRACK in cls.operations
    assert cls.intercept_takes_request_id is contract["intercept_takes_request_id"]


@pytest.mark.parametrize("operation", list(Operation))
def test_client_supports_answers_from_the_declared_operations(
    slug: str, contract: Dict[str, Any], operation: Operation
) -> None:
    client = client_for(slug, contract, ScriptedTransport())
    assert client.supports(slug, operation) is (operation.value in contract["operations"])
    assert client.operations(slug) == default_registry.get(slug).operations


def test_the_sample_waybill_is_detected_as_this_carrier(slug: str, contract: Dict[str, Any]) -> None:
    assert default_registry.detect(contract["waybill"]) == slug
    assert default_registry.detect(contract["waybill"].lower()) == slug


def test_the_code_book_is_consistent(slug: str) -> None:
    book = default_registry.get(slug).code_book
    assert isinstance(book, CodeBook) and book.scan_tables and "" in book.scan_tables
    for table in book.scan_tables.values():
        assert table and all(sub.status is status for status, sub in table.values())
    assert book.intercept_failures and all(
        isinstance(f, InterceptFailure) for f in book.intercept_failures.values()
    )
    assert book.intercept_states and all(
        isinstance(s, InterceptStatus) for s in book.intercept_states.values()
    )


# -- requests --------------------------------------------------------------------------------------


def test_the_track_request_is_the_recorded_one(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    recorded = sample(slug, contract["track_request"])
    request = adapter.build_track(contract["waybill"])
    assert request.method == "POST"
    assert request.url == recorded["url"]
    assert dict(request.headers) == recorded["headers"]
    assert request.body == recorded["body"].encode("utf-8")


def test_every_request_is_signed_with_the_secret_and_never_carries_it(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    secret = contract["account"]["app_secret"]
    other = make(slug, contract, secret=OTHER_SECRET)
    built = offered(contract)
    assert Operation.TRACK in built
    for operation in built:
        request, resigned = BUILDS[operation](adapter, contract), BUILDS[operation](other, contract)
        sent = [request.url, request.body.decode("utf-8", "replace"), *request.headers.values()]
        assert not any(secret in part for part in sent), operation
        assert request.url == resigned.url, operation
        assert (request.body, dict(request.headers)) != (resigned.body, dict(resigned.headers)), operation
    assert secret not in repr(adapter) and secret not in str(adapter)


def test_a_trailing_slash_on_the_base_url_is_ignored(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    slashed = make(slug, contract, base_url=contract["base_url"] + "/")
    assert slashed.build_track(contract["waybill"]).url == adapter.build_track(contract["waybill"]).url


def test_the_adapter_builds_from_its_configuration_alone(slug: str, contract: Dict[str, Any]) -> None:
    adapter = default_registry.get(slug)(carrier_config(contract))
    assert adapter.build_track(contract["waybill"]).url.startswith(contract["base_url"])


@pytest.mark.parametrize("operation", [op for op in Operation if op in CALLS])
def test_an_operation_the_carrier_lacks_raises_unsupported(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter, operation: Operation
) -> None:
    if operation.value in contract["operations"]:
        for call in CALLS[operation][:1]:  # a builder (or the ack) works
            call(adapter, contract)
        return
    for call in CALLS[operation]:
        with pytest.raises(UnsupportedOperationError) as info:
            call(adapter, contract)
        assert (info.value.carrier, info.value.operation) == (slug, operation.value)


@pytest.mark.parametrize(
    "operation",
    [Operation.SUBSCRIBE, Operation.INTERCEPT, Operation.CHANGE_ADDRESS, Operation.CANCEL_INTERCEPT],
)
def test_the_client_refuses_what_the_carrier_lacks_without_sending(
    slug: str, contract: Dict[str, Any], operation: Operation
) -> None:
    def attempted(request: HttpRequest) -> HttpResponse:
        raise AssertionError("sent")

    transport = ScriptedTransport(attempted)
    client = client_for(slug, contract, transport)
    waybill = contract["waybill"]
    calls: Dict[Operation, Callable[[], Any]] = {
        Operation.SUBSCRIBE: lambda: client.subscribe(waybill),
        Operation.INTERCEPT: lambda: client.intercept(waybill, reason="r"),
        Operation.CHANGE_ADDRESS: lambda: client.intercept(
            waybill, kind=InterceptKind.CHANGE_ADDRESS, new_address=ADDRESS, reason="r"
        ),
        Operation.CANCEL_INTERCEPT: lambda: client.cancel_intercept(waybill, intercept_request_id="r-1"),
    }
    if operation.value in contract["operations"]:
        with pytest.raises(AssertionError, match="sent"):
            calls[operation]()
        assert len(transport.requests) == 1
    else:
        with pytest.raises(UnsupportedOperationError):
            calls[operation]()
        assert transport.requests == []


# -- track answers ---------------------------------------------------------------------------------


def test_the_sample_track_answer_is_normalised(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    spec = contract["track_answer"]
    result = adapter.parse_track(contract["waybill"], answer(slug, spec))
    assert (result.carrier, result.waybill) == (slug, contract["waybill"])
    assert [e.raw_code for e in result.events] == spec["raw_codes"]
    assert [e.time for e in result.events] == sorted(e.time for e in result.events)
    for event in result.events:
        assert event.time.utcoffset() is not None
        assert event.sub_status.status is event.status
        assert event.raw
    assert result.status.value == spec["status"]


def test_a_waybill_without_scans_is_no_information_not_an_error(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    spec = contract["empty_track_answer"]
    result = adapter.parse_track(spec["waybill"], answer(slug, spec))
    assert result.events == ()
    assert (result.status, result.sub_status) == (TrackingStatus.UNKNOWN, TrackingSubStatus.NO_INFORMATION)


def test_an_error_answer_is_its_typed_error(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    spec = contract["error_answer"]
    with pytest.raises(CarrierError) as info:
        adapter.parse_track(contract["waybill"], answer(slug, spec))
    error = info.value
    assert type(error) is getattr(kscarriers, spec["error"])
    assert (error.carrier, error.code, error.carrier_message) == (slug, spec["code"], spec["message"])
    assert (error.request_id, error.retryable) == (spec["request_id"], spec["retryable"])
    secret = contract["account"]["app_secret"]
    assert secret not in str(error) and secret not in repr(error)


@pytest.mark.parametrize(
    ("status", "error", "retryable"),
    [
        (500, "CarrierServerError", True),
        (502, "CarrierServerError", True),
        (503, "CarrierServerError", True),
        (429, "RateLimitError", True),
        (401, "AuthenticationError", False),
        (403, "AuthenticationError", False),
        (404, "NotFoundError", False),
    ],
)
def test_an_http_failure_without_an_envelope_is_typed_by_its_status(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter, status: int, error: str, retryable: bool
) -> None:
    with pytest.raises(CarrierError) as info:
        adapter.parse_track(contract["waybill"], HttpResponse(status=status, body=b"<html>busy</html>"))
    assert type(info.value) is getattr(kscarriers, error)
    assert (info.value.retryable, info.value.http_status, info.value.carrier) == (retryable, status, slug)


@pytest.mark.parametrize(("value", "seconds"), [("7", 7.0), ("²", None), ("٣", None), ("soon", None)])
def test_retry_after_of_a_429_is_read_in_ascii_seconds_only(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter, value: str, seconds: Any
) -> None:
    # Found by fuzzing: "²".isdigit() is true and float("²") raised a bare ValueError.
    with pytest.raises(RateLimitError) as info:
        adapter.parse_track(contract["waybill"], HttpResponse(status=429, headers={"Retry-After": value}))
    assert info.value.retry_after == seconds


@pytest.mark.parametrize(
    "body",
    [b"oops", b"<html>gateway</html>", ("[" * 100_000 + "]" * 100_000).encode()],
    ids=["text", "html", "deep"],
)
def test_an_answer_that_is_no_envelope_is_a_retryable_format_error(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter, body: bytes
) -> None:
    with pytest.raises(ResponseFormatError) as info:
        adapter.parse_track(contract["waybill"], HttpResponse(status=200, body=body))
    assert info.value.retryable is True and info.value.carrier == slug


def test_a_successful_subscribe_answer_is_subscribed(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    spec = contract["subscribe_answer"]
    result = adapter.parse_subscribe(contract["waybill"], answer(slug, spec))
    assert (result.carrier, result.waybill, result.subscribed) == (slug, contract["waybill"], True)
    assert (result.raw_code, result.message) == (spec["raw_code"], spec["message"])


def test_a_failed_subscribe_answer_is_raised(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    with pytest.raises(CarrierError) as info:
        adapter.parse_subscribe(contract["waybill"], answer(slug, contract["error_answer"]))
    assert type(info.value) is getattr(kscarriers, contract["error_answer"]["error"])


# -- intercepts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(InterceptKind))
def test_an_accepted_intercept_is_pending_with_the_carrier_reference(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter, kind: InterceptKind
) -> None:
    request = intercept_request(contract, kind)
    result = adapter.parse_intercept(request, answer(slug, contract["intercept_accepted"]))
    assert (result.carrier, result.waybill, result.status, result.failure) == (
        slug,
        contract["waybill"],
        InterceptStatus.PENDING,
        None,
    )
    assert result.carrier_reference == contract["intercept_accepted"]["carrier_reference"]
    assert result.request_id == "contract-1"


def test_a_refused_intercept_is_a_failed_result_not_an_error(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    spec = contract["intercept_refused"]
    result = adapter.parse_intercept(intercept_request(contract), answer(slug, spec))
    assert (result.status, result.failure, result.raw_code) == (
        InterceptStatus.FAILED,
        InterceptFailure(spec["failure"]),
        spec["raw_code"],
    )
    assert (result.message, result.request_id, result.refund_auto_approvable) == (
        spec["message"],
        "contract-1",
        False,
    )


def test_an_error_answer_to_an_intercept_is_raised_not_returned(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    with pytest.raises(CarrierError) as info:
        adapter.parse_intercept(intercept_request(contract), answer(slug, contract["error_answer"]))
    assert type(info.value) is getattr(kscarriers, contract["error_answer"]["error"])


# -- pushes ----------------------------------------------------------------------------------------


def test_a_trace_push_verifies_and_gives_stable_dedupe_keys(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    spec = contract["trace_push"]
    headers, body = push(slug, spec["file"])
    events = adapter.parse_push(headers, body)
    assert len(events) == spec["events"]
    for event in events:
        assert (event.carrier, event.kind) == (slug, PushKind.TRACKING)
        assert event.tracking is not None and event.tracking.time.utcoffset() is not None
        assert event.dedupe_key.startswith(f"{slug}|")
    assert len({e.dedupe_key for e in events}) == len(events)
    again = default_registry.get(slug)(carrier_config(contract)).parse_push(dict(headers), body)
    assert [e.dedupe_key for e in again] == [e.dedupe_key for e in events]


def test_an_intercept_result_push_is_an_intercept_event(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    spec = contract["intercept_push"]
    (event,) = adapter.parse_push(*push(slug, spec["file"]))
    assert (event.carrier, event.kind) == (slug, PushKind.INTERCEPT_RESULT)
    assert event.intercept is not None and event.intercept.status.value == spec["status"]
    assert event.dedupe_key.startswith(f"{slug}|")


def test_a_tampered_push_is_a_signature_mismatch(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter
) -> None:
    spec = contract["trace_push"]
    headers, body = push(slug, spec["file"])
    was, becomes = (part.encode("ascii") for part in spec["tamper"])
    tampered = body.replace(was, becomes, 1)
    assert tampered != body
    with pytest.raises(SignatureError) as info:
        adapter.parse_push(headers, tampered)
    assert (info.value.carrier, info.value.reason) == (slug, "mismatch")


def test_a_push_for_another_secret_is_a_signature_mismatch(slug: str, contract: Dict[str, Any]) -> None:
    with pytest.raises(SignatureError) as info:
        make(slug, contract, secret=OTHER_SECRET).parse_push(*push(slug, contract["trace_push"]["file"]))
    assert info.value.reason == "mismatch"


@pytest.mark.parametrize(("body", "reason"), [(b"\xff\xfe", "malformed")])
def test_a_push_body_that_is_not_utf8_is_malformed(
    slug: str, contract: Dict[str, Any], adapter: CarrierAdapter, body: bytes, reason: str
) -> None:
    headers, _ = push(slug, contract["trace_push"]["file"])
    with pytest.raises(SignatureError) as info:
        adapter.parse_push(headers, body)
    assert info.value.reason == reason


def test_the_acknowledgements_are_exact(slug: str, contract: Dict[str, Any], adapter: CarrierAdapter) -> None:
    for ok, spec in ((True, contract["ack"]["ok"]), (False, contract["ack"]["retry"])):
        ack = adapter.push_ack(ok=ok)
        assert (ack.status, ack.body) == (spec["status"], spec["body"].encode("utf-8"))
        assert ack.content_type.startswith("application/json")


# -- through the client ----------------------------------------------------------------------------


def test_the_client_detects_the_carrier_and_tracks_through_its_adapter(
    slug: str, contract: Dict[str, Any]
) -> None:
    transport = ScriptedTransport(answer(slug, contract["track_answer"]))
    result = client_for(slug, contract, transport).track(contract["waybill"].lower())
    assert (
        result.carrier == slug
        and [e.raw_code for e in result.events] == contract["track_answer"]["raw_codes"]
    )
    (sent,) = transport.requests
    assert sent.url == sample(slug, contract["track_request"])["url"]


def test_the_client_intercepts_with_the_callers_key(slug: str, contract: Dict[str, Any]) -> None:
    transport = ScriptedTransport(answer(slug, contract["intercept_accepted"]))
    result = client_for(slug, contract, transport).intercept(
        contract["waybill"], reason="买家退款", idempotency_key="key-1"
    )
    assert (result.status, result.request_id) == (InterceptStatus.PENDING, "key-1")


def test_the_client_returns_a_refusal(slug: str, contract: Dict[str, Any]) -> None:
    transport = ScriptedTransport(answer(slug, contract["intercept_refused"]))
    result = client_for(slug, contract, transport).intercept(contract["waybill"], reason="买家退款")
    assert result.failure is InterceptFailure(contract["intercept_refused"]["failure"])


def test_an_intercept_that_may_have_landed_is_never_resent_blindly(
    slug: str, contract: Dict[str, Any]
) -> None:
    def read_timeout(request: HttpRequest) -> HttpResponse:
        raise TimeoutError(f"read timeout from {request.url}")

    transport = ScriptedTransport(*[read_timeout] * 10)
    with pytest.raises(OutcomeUnknownError) as info:
        client_for(slug, contract, transport, id_factory=lambda: "minted-1").intercept(
            contract["waybill"], reason="r"
        )
    assert info.value.request_id == "minted-1"
    intercept_url = make(slug, contract).build_intercept(intercept_request(contract)).url
    sent = [r for r in transport.requests if r.url == intercept_url]
    # Resent only where the carrier dedupes by our id; otherwise sent once, then settled or unknown.
    assert len(sent) == (3 if contract["intercept_takes_request_id"] else 1)


def test_the_client_verifies_a_push_and_gives_the_ack(slug: str, contract: Dict[str, Any]) -> None:
    message = client_for(slug, contract, ScriptedTransport()).parse_push(
        slug, *push(slug, contract["trace_push"]["file"])
    )
    assert (message.carrier, len(message.events)) == (slug, contract["trace_push"]["events"])
    assert message.ack.body == contract["ack"]["ok"]["body"].encode("utf-8")
