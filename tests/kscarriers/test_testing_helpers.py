"""kscarriers.testing: pushes built by build_push verify, and answers give the documented outcomes."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List
from urllib.parse import parse_qs

import pytest
import responses
from ksmock import WAYBILLS

from kscarriers import (
    Address,
    AuthenticationError,
    CarrierConfig,
    CarrierServerError,
    Client,
    ClientConfig,
    ConnectError,
    Credentials,
    InterceptFailure,
    InterceptKind,
    InterceptStatus,
    NotFoundError,
    Operation,
    OutcomeUnknownError,
    PhoneVerificationRequired,
    PushKind,
    RateLimitError,
    ResponseFormatError,
    RetryPolicy,
    SignatureError,
    TimeoutError,
    TrackingStatus,
)
from kscarriers.testing import (
    FAULTS,
    ScriptedTransport,
    answer,
    build_push,
    outcomes,
    register_answers,
    sample_events,
)
from kscarriers.testing.answers import refusal_codes

ROOT = Path(__file__).resolve().parents[2]
CARRIERS = sorted(WAYBILLS)
SECRET = "s3cret-秘"
ADDRESS = Address(name="张三", phone="13800000000", province="浙江省", city="杭州市", district="西湖区")


def config(slug: str, *, attempts: int = 1) -> ClientConfig:
    return ClientConfig(
        carriers={
            slug: CarrierConfig(
                credentials=Credentials(app_key=f"{slug}-key", app_secret=SECRET),
                base_url=f"http://carrier.test/{slug}",
            )
        },
        retry=RetryPolicy(max_attempts=attempts),
    )


def scripted(slug: str, *steps: Any) -> Client:
    return Client(config(slug), transport=ScriptedTransport(*steps), sleep=lambda s: None)


def call(client: Client, slug: str, operation: Operation) -> Any:
    number = WAYBILLS[slug]
    if operation is Operation.TRACK:
        return client.track(number)
    if operation is Operation.SUBSCRIBE:
        return client.subscribe(number)
    if operation is Operation.INTERCEPT:
        return client.intercept(number, reason="refund", idempotency_key="r-1")
    if operation is Operation.CHANGE_ADDRESS:
        return client.intercept(
            number,
            reason="moved",
            kind=InterceptKind.CHANGE_ADDRESS,
            new_address=ADDRESS,
            idempotency_key="r-1",
        )
    if operation is Operation.CANCEL_INTERCEPT:
        return client.cancel_intercept(number, intercept_request_id="r-1")
    return client.intercept_status(number)


# -- build_push ---------------------------------------------------------------------------


@pytest.mark.parametrize("slug", CARRIERS)
def test_a_built_trace_push_verifies_and_parses_as_a_delivery(slug: str) -> None:
    headers, body = build_push(
        slug, sample_events(slug, WAYBILLS[slug]), app_key=f"{slug}-key", app_secret=SECRET
    )
    message = Client(config(slug)).parse_push(slug, headers, body)
    (event,) = message.events
    assert event.kind is PushKind.TRACKING and event.waybill == WAYBILLS[slug]
    assert event.tracking is not None and event.tracking.status is TrackingStatus.DELIVERED
    assert message.ack.status == 200


@pytest.mark.parametrize("slug", CARRIERS)
def test_a_built_intercept_push_verifies_and_parses_as_a_success(slug: str) -> None:
    headers, body = build_push(
        slug,
        sample_events(slug, WAYBILLS[slug], kind="intercept"),
        app_key=f"{slug}-key",
        app_secret=SECRET,
        kind="intercept",
    )
    (event,) = Client(config(slug)).parse_push(slug, headers, body).events
    assert event.kind is PushKind.INTERCEPT_RESULT and event.waybill == WAYBILLS[slug]
    assert event.intercept is not None and event.intercept.status is InterceptStatus.SUCCEEDED


@pytest.mark.parametrize("slug", CARRIERS)
def test_a_push_signed_with_another_secret_is_a_mismatch(slug: str) -> None:
    headers, body = build_push(
        slug,
        sample_events(slug, WAYBILLS[slug]),
        app_key=f"{slug}-key",
        app_secret=SECRET,
        signed_with="other",
    )
    with pytest.raises(SignatureError) as caught:
        Client(config(slug)).parse_push(slug, headers, body)
    assert caught.value.reason == "mismatch"


@pytest.mark.parametrize("slug", CARRIERS)
def test_a_push_addressed_to_another_account_is_refused(slug: str) -> None:
    headers, body = build_push(
        slug, sample_events(slug, WAYBILLS[slug]), app_key="someone-else", app_secret=SECRET
    )
    with pytest.raises(SignatureError) as caught:
        Client(config(slug)).parse_push(slug, headers, body)
    assert caught.value.reason == "unknown_account"


def test_the_digest_is_base64_md5_of_the_pushed_text_and_the_secret() -> None:
    headers, body = build_push("zto", sample_events("zto", WAYBILLS["zto"]), app_key="k", app_secret=SECRET)
    form = {k: v[0] for k, v in parse_qs(body.decode("ascii")).items()}
    expected = base64.b64encode(hashlib.md5((form["data"] + SECRET).encode("utf-8")).digest()).decode()
    assert form["data_digest"] == expected and form["company_id"] == "k" and form["msg_type"] == "Traces"
    assert headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_jt_batches_several_waybills_in_one_trace_push() -> None:
    events = sample_events("jt", "JT2099306666983") + sample_events("jt", "JT2099306666984")
    headers, body = build_push("jt", events, app_key="jt-key", app_secret=SECRET, timestamp_ms=1772417700000)
    assert headers["timestamp"] == "1772417700000" and headers["apiAccount"] == "jt-key"
    message = Client(config("jt")).parse_push("jt", headers, body)
    assert [e.waybill for e in message.events] == ["JT2099306666983", "JT2099306666984"]


def test_build_push_refuses_two_events_where_the_carrier_pushes_one() -> None:
    events = sample_events("zto", "73100130019486") * 2
    with pytest.raises(ValueError, match="exactly one event"):
        build_push("zto", events, app_key="k", app_secret="s")


def test_build_push_names_an_unknown_carrier_and_kind() -> None:
    with pytest.raises(ValueError, match="not 'dhl'"):
        build_push("dhl", [{}], app_key="k", app_secret="s")
    with pytest.raises(ValueError, match="kind must be one of"):
        build_push("zto", [{}], app_key="k", app_secret="s", kind="weird")


# -- answers through a ScriptedTransport ----------------------------------------------------

REFUSALS = [
    (slug, op, reason)
    for slug in CARRIERS
    for op in (Operation.INTERCEPT, Operation.CHANGE_ADDRESS, Operation.CANCEL_INTERCEPT)
    if op in Client(config(slug)).operations(slug)
    for reason in refusal_codes(slug)
]


@pytest.mark.parametrize(("slug", "operation", "reason"), REFUSALS)
def test_every_refusal_reason_is_a_failed_result_with_that_failure(
    slug: str, operation: Operation, reason: str
) -> None:
    result = call(scripted(slug, answer(slug, operation, reason)), slug, operation)
    assert result.status is InterceptStatus.FAILED
    assert result.failure is InterceptFailure(reason)
    assert result.raw_code == refusal_codes(slug)[reason]


def test_every_carrier_can_refuse_each_common_reason() -> None:
    common = {"already_signed", "out_for_delivery", "duplicate_request", "not_supported"}
    for slug in CARRIERS:
        assert common <= set(outcomes(slug, "intercept")), slug


ENVELOPE_ERRORS: Dict[str, type] = {
    "auth": AuthenticationError,
    "rate_limited": RateLimitError,
    "server_busy": CarrierServerError,
    "not_found": NotFoundError,
    "phone_required": PhoneVerificationRequired,
}


ENVELOPE_CASES = [
    (slug, outcome)
    for slug in CARRIERS
    for outcome in sorted(ENVELOPE_ERRORS)
    if outcome in outcomes(slug, "subscribe")
]


def test_every_carrier_has_every_envelope_error_but_phone_which_is_zto_s() -> None:
    missing = {(s, o) for s in CARRIERS for o in ENVELOPE_ERRORS} - set(ENVELOPE_CASES)
    assert missing == {("yto", "phone_required"), ("sto", "phone_required"), ("jt", "phone_required")}


@pytest.mark.parametrize(("slug", "outcome"), ENVELOPE_CASES)
def test_envelope_errors_raise_their_typed_error(slug: str, outcome: str) -> None:
    with pytest.raises(ENVELOPE_ERRORS[outcome]):
        call(scripted(slug, answer(slug, "subscribe", outcome)), slug, Operation.SUBSCRIBE)


FAULT_ERRORS: Dict[str, type] = {
    "http_500": CarrierServerError,
    "http_502_html": CarrierServerError,
    "http_503": CarrierServerError,
    "html": ResponseFormatError,
    "truncated": ResponseFormatError,
    "timeout": TimeoutError,
    "reset": ConnectError,
}


@pytest.mark.parametrize("slug", CARRIERS)
@pytest.mark.parametrize("fault", FAULTS)
def test_faults_on_a_read_raise_and_on_an_intercept_leave_the_outcome_unknown(slug: str, fault: str) -> None:
    with pytest.raises(FAULT_ERRORS[fault]):
        call(scripted(slug, answer(slug, "track", fault)), slug, Operation.TRACK)
    steps = [answer(slug, "intercept", fault)] * 3  # the client may ask for the status to settle it
    with pytest.raises(OutcomeUnknownError):
        call(scripted(slug, *steps), slug, Operation.INTERCEPT)


@pytest.mark.parametrize("slug", CARRIERS)
def test_success_answers_parse_for_every_operation(slug: str) -> None:
    client = Client(config(slug))
    for op in sorted(client.operations(slug) - {Operation.PUSH}, key=lambda o: o.value):
        result = call(scripted(slug, answer(slug, op, "success", waybill=WAYBILLS[slug])), slug, op)
        if op is Operation.TRACK:
            assert result.status is TrackingStatus.DELIVERED
        elif op is Operation.SUBSCRIBE:
            assert result.subscribed is True
        elif op is Operation.CANCEL_INTERCEPT:
            assert result.status is InterceptStatus.CANCELLED
        else:
            assert result.status is InterceptStatus.PENDING, (op, result)


def test_answer_names_the_outcomes_it_knows() -> None:
    with pytest.raises(ValueError, match=r"has no outcome 'sunny'.*already_signed"):
        answer("zto", "intercept", "sunny")
    with pytest.raises(ValueError, match="jt has no cancel_intercept"):
        answer("jt", "cancel_intercept")
    with pytest.raises(ValueError, match="operation must be one of"):
        answer("zto", "fly")


def test_a_scripted_transport_keeps_requests_and_refuses_one_past_the_script() -> None:
    transport = ScriptedTransport(answer("zto", "track"))
    client = Client(config("zto"), transport=transport, sleep=lambda s: None)
    client.track(WAYBILLS["zto"])
    assert [r.url for r in transport.requests] == ["http://carrier.test/zto/zto.merchant.waybill.track.query"]
    with pytest.raises(AssertionError, match=r"unexpected request POST .*track.query"):
        client.track(WAYBILLS["zto"])


def test_a_scripted_step_may_be_a_function_of_the_request() -> None:
    seen: List[str] = []

    def step(request: Any) -> Any:
        seen.append(request.url)
        return answer("jt", "track")

    client = Client(config("jt"), transport=ScriptedTransport(step), sleep=lambda s: None)
    assert client.track(WAYBILLS["jt"]).status is TrackingStatus.DELIVERED
    assert seen and seen[0].endswith("/api/logistics/trace")


# -- answers registered with responses ------------------------------------------------------


def with_responses(slug: str, operation: Operation, outcome: str, check: Callable[[Any], None]) -> None:
    cfg = config(slug)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_answers(rsps, cfg, slug, operation, outcome, times=3)
        with Client(cfg, sleep=lambda s: None) as client:
            check(lambda: call(client, slug, operation))


@pytest.mark.parametrize(("slug", "operation", "reason"), REFUSALS)
def test_registered_refusals_give_their_failure_over_requests(
    slug: str, operation: Operation, reason: str
) -> None:
    def check(run: Callable[[], Any]) -> None:
        result = run()
        assert result.status is InterceptStatus.FAILED and result.failure is InterceptFailure(reason)

    with_responses(slug, operation, reason, check)


@pytest.mark.parametrize("slug", CARRIERS)
@pytest.mark.parametrize("fault", ["timeout", "reset", "http_503"])
def test_registered_faults_reach_the_client_as_transport_errors(slug: str, fault: str) -> None:
    expected = {"timeout": TimeoutError, "reset": ConnectError, "http_503": CarrierServerError}[fault]

    def check(run: Callable[[], Any]) -> None:
        with pytest.raises(expected):
            run()

    with_responses(slug, Operation.TRACK, fault, check)


def test_sto_answers_are_told_apart_by_api_name_on_one_url() -> None:
    cfg = config("sto")
    with responses.RequestsMock() as rsps:
        register_answers(rsps, cfg, "sto", "track", "success")
        register_answers(rsps, cfg, "sto", "intercept", "already_signed")
        with Client(cfg) as client:
            assert client.track(WAYBILLS["sto"]).status is TrackingStatus.DELIVERED
            refused = client.intercept(WAYBILLS["sto"], reason="refund")
    assert refused.failure is InterceptFailure.ALREADY_SIGNED


def test_kscarriers_testing_imports_neither_mockserver_nor_flask() -> None:
    code = (
        "import sys, kscarriers.testing; "
        "bad = [m for m in ('mockserver', 'flask', 'waitress', 'responses') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""}
    )
