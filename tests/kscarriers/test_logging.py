"""The SDK's log records: one DEBUG per attempt, one-line WARNING per retry, INFO at the end.

Every record of a call carries the same fields in ``record.kscarriers`` (docs/logging.md).
Carriers are scripted (:class:`kscarriers.testing.ScriptedTransport`); sleeping is recorded and
the clock is a counter the scripted carrier moves, so latencies are exact and nothing waits.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
import subprocess
import sys
from typing import Any, Callable, Dict, Iterator, List

import pytest
import responses
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kscarriers import (
    CarrierConfig,
    Client,
    ClientConfig,
    Credentials,
    HttpRequest,
    HttpResponse,
    OutcomeUnknownError,
    RetryPolicy,
    TimeoutError,
)
from kscarriers._logging import CallLog, one_line
from kscarriers._retry import Retrier
from kscarriers.errors import CarrierServerError, KsCarriersError
from kscarriers.testing import ScriptedTransport, answer

#: The keys of ``record.kscarriers`` as docs/logging.md lists them.
KEYS = {
    "event",
    "carrier",
    "operation",
    "waybill",
    "attempt",
    "max_attempts",
    "method",
    "path",
    "http_status",
    "carrier_code",
    "request_id",
    "idempotency_key",
    "latency_ms",
    "wait_s",
    "reason",
    "error",
    "message",
    "body",
}
SECRET = "ks-secret-值"
ZTO_WAYBILL = "73100130019486"
YTO_WAYBILL = "YT2600227881409"
YTO_PATH = "/open/wanted_report_adapter/v1/yto-key/yto-client"
ZTO_TRACK_PATH = "/zto.merchant.waybill.track.query"


class Clock:
    """A monotonic clock that moves only when a scripted answer says the carrier took time."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def taking(self, seconds: float, step: Any) -> Callable[[HttpRequest], HttpResponse]:
        """``step`` (an answer or an exception) after the carrier took ``seconds``."""

        def slow(request: HttpRequest) -> HttpResponse:
            self.now += seconds
            if isinstance(step, BaseException):
                raise step
            assert isinstance(step, HttpResponse)
            return step

        return slow


def make_client(
    slug: str, *steps: Any, clock: Clock | None = None, secret: str = SECRET, **retry: Any
) -> tuple[Client, List[float]]:
    extra = {"client_id": "yto-client"} if slug == "yto" else {}
    config = ClientConfig(
        carriers={
            slug: CarrierConfig(
                credentials=Credentials(app_key=f"{slug}-key", app_secret=secret, extra=extra),
                base_url=f"https://{slug}.carrier.test",
            )
        },
        retry=RetryPolicy(**{"max_attempts": 3, **retry}),
    )
    waits: List[float] = []
    client = Client(
        config,
        transport=ScriptedTransport(*steps),
        sleep=waits.append,
        monotonic=clock or Clock(),
        rng=random.Random(7),
    )
    return client, waits


class Keep(logging.Handler):
    """Keeps every record it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def capture(level: int = logging.DEBUG, name: str = "kscarriers") -> Iterator[List[logging.LogRecord]]:
    """The records of logger ``name`` and below, from ``level`` up, while the block runs."""
    logger, keep = logging.getLogger(name), Keep()
    before = logger.level
    logger.addHandler(keep)
    logger.setLevel(level)
    try:
        yield keep.records
    finally:
        logger.removeHandler(keep)
        logger.setLevel(before)


@pytest.fixture
def records() -> Iterator[List[logging.LogRecord]]:
    """The SDK's records at every level (read it after the call)."""
    with capture() as found:
        yield found


def shape(records: List[logging.LogRecord]) -> List[tuple[str, str, str, Any]]:
    return [(r.name, r.levelname, r.kscarriers["event"], r.kscarriers["attempt"]) for r in records]  # type: ignore[attr-defined]


def fields(record: logging.LogRecord) -> Dict[str, Any]:
    found = record.kscarriers  # type: ignore[attr-defined]
    assert isinstance(found, dict)
    return found


# -- the call the issue names ------------------------------------------------------------------


def test_a_retried_yto_intercept_that_ends_unknown_logs_every_attempt_the_retry_and_the_outcome(
    records: List[logging.LogRecord],
) -> None:
    clock = Clock()
    client, waits = make_client(
        "yto",
        clock.taking(0.25, answer("yto", "intercept", "rate_limited")),
        clock.taking(1.5, answer("yto", "intercept", "http_502_html")),
        clock=clock,
    )
    with pytest.raises(OutcomeUnknownError):
        client.intercept(YTO_WAYBILL, reason="buyer refund", idempotency_key="refund-1001")

    assert shape(records) == [
        ("kscarriers.client", "DEBUG", "attempt", 1),
        ("kscarriers.retry", "WARNING", "retry", 1),
        ("kscarriers.client", "DEBUG", "attempt", 2),
        ("kscarriers.client", "INFO", "unknown", 2),
    ]
    first, retry, second, unknown = records
    call = {
        "carrier": "yto",
        "operation": "intercept",
        "waybill": YTO_WAYBILL,
        "idempotency_key": "refund-1001",
        "max_attempts": 3,
        "method": "POST",
        "path": YTO_PATH,
    }
    for record in records:
        assert set(fields(record)) == KEYS
        assert {k: fields(record)[k] for k in call} == call
        assert "\n" not in record.getMessage() and "\r" not in record.getMessage()

    assert fields(first)["http_status"] == 200 and fields(first)["carrier_code"] == "S05"
    assert fields(first)["latency_ms"] == 250.0 and fields(first)["error"] == "RateLimitError"
    assert first.getMessage() == (
        f"yto intercept {YTO_WAYBILL} (request refund-1001) attempt 1: POST {YTO_PATH} -> HTTP 200 S05 "
        "in 250 ms: RateLimitError: [yto] S05: 请求过于频繁，请稍后再试"
    )

    assert fields(retry)["wait_s"] == round(waits[0], 3) and fields(retry)["error"] == "RateLimitError"
    assert retry.getMessage() == (
        f"retrying yto intercept {YTO_WAYBILL} (request refund-1001) in {waits[0]:.2f}s: attempt 1 of 3 "
        "failed: RateLimitError: [yto] S05: 请求过于频繁，请稍后再试"
    )

    assert fields(second)["http_status"] == 502 and fields(second)["carrier_code"] == "HTTP502"
    assert fields(second)["latency_ms"] == 1500.0
    assert fields(second)["body"].startswith("<html> <head><title>502 Bad Gateway</title></head> <body>")

    assert (
        fields(unknown)["error"] == "OutcomeUnknownError" and fields(unknown)["reason"] == "outcome_unknown"
    )
    assert fields(unknown)["http_status"] == 502 and fields(unknown)["carrier_code"] == "HTTP502"
    assert unknown.getMessage().startswith(
        f"outcome of yto intercept {YTO_WAYBILL} (request refund-1001) unknown after 2 attempts; "
        "resume with idempotency_key='refund-1001': [yto] HTTP502: <html> <head><title>502 Bad Gateway"
    )


def test_a_zto_intercept_out_of_retries_ends_in_one_unknown_record_not_a_give_up_as_well(
    records: List[logging.LogRecord],
) -> None:
    client, _ = make_client("zto", *[answer("zto", "intercept", "http_502_html")] * 3)
    with pytest.raises(OutcomeUnknownError):
        client.intercept(ZTO_WAYBILL, reason="buyer refund", idempotency_key="refund-7")
    assert [(level, event) for _, level, event, _ in shape(records)] == [
        ("DEBUG", "attempt"),
        ("WARNING", "retry"),
        ("DEBUG", "attempt"),
        ("WARNING", "retry"),
        ("DEBUG", "attempt"),
        ("INFO", "unknown"),
    ]
    unknown = records[-1]
    assert fields(unknown)["attempt"] == 3 and fields(unknown)["http_status"] == 502
    assert fields(unknown)["message"].startswith("[zto] HTTP502: <html> <head>")
    assert "unknown after 3 attempts; resume with idempotency_key='refund-7': " in unknown.getMessage()


def test_a_cancel_whose_outcome_is_unknown_is_logged_too(records: List[logging.LogRecord]) -> None:
    client, _ = make_client("yto", TimeoutError("read timeout from the carrier", url=""))
    with pytest.raises(OutcomeUnknownError):
        client.cancel_intercept(YTO_WAYBILL)
    assert shape(records) == [
        ("kscarriers.client", "DEBUG", "attempt", 1),
        ("kscarriers.client", "INFO", "unknown", 1),
    ]
    attempt, unknown = records
    assert fields(attempt)["operation"] == "cancel_intercept" and fields(attempt)["http_status"] is None
    assert "-> no answer in 0 ms: TimeoutError: read timeout from the carrier" in attempt.getMessage()
    assert fields(unknown)["error"] == "OutcomeUnknownError" and "resume with" not in unknown.getMessage()


def test_a_cancel_settled_by_the_status_query_logs_the_query_and_the_settlement(
    records: List[logging.LogRecord],
) -> None:
    cancelled = HttpResponse(
        status=200,
        body=(
            '{"status":true,"statusCode":"SYS000","result":{"billCode":"73100130019486",'
            '"serviceCode":"k1","status":"4","statusName":"已取消"}}'
        ).encode(),
    )
    client, _ = make_client("zto", TimeoutError("read timeout", url=""), cancelled)
    client.cancel_intercept(ZTO_WAYBILL, intercept_request_id="k1")
    assert [(f["operation"], r.levelname, f["event"]) for r in records for f in [fields(r)]] == [
        ("cancel_intercept", "DEBUG", "attempt"),
        ("intercept_status", "DEBUG", "attempt"),
        ("cancel_intercept", "INFO", "settled"),
    ]
    assert records[2].getMessage() == (
        f"zto cancel_intercept {ZTO_WAYBILL} (request k1) settled by status check: cancelled"
    )
    assert (
        fields(records[2])["reason"] == "settled"
        and fields(records[2])["path"] == "/thirdcenter.cancelIntercept"
    )


# -- reads ---------------------------------------------------------------------------------------


def test_a_read_that_succeeds_logs_one_debug_record_of_its_attempt(records: List[logging.LogRecord]) -> None:
    clock = Clock()
    client, _ = make_client("zto", clock.taking(0.04, answer("zto", "track", "success")), clock=clock)
    client.track(ZTO_WAYBILL)
    assert shape(records) == [("kscarriers.client", "DEBUG", "attempt", 1)]
    (record,) = records
    assert (
        record.getMessage()
        == f"zto track {ZTO_WAYBILL} attempt 1: POST {ZTO_TRACK_PATH} -> HTTP 200 in 40 ms"
    )
    assert fields(record) == dict.fromkeys(KEYS) | {
        "event": "attempt",
        "carrier": "zto",
        "operation": "track",
        "waybill": ZTO_WAYBILL,
        "attempt": 1,
        "max_attempts": 3,
        "method": "POST",
        "path": ZTO_TRACK_PATH,
        "http_status": 200,
        "latency_ms": 40.0,
    }


def test_a_carrier_request_id_is_in_the_record_of_the_attempt(records: List[logging.LogRecord]) -> None:
    client, _ = make_client("sto", answer("sto", "track", "auth"))
    with pytest.raises(KsCarriersError):
        client.track("777031922725111")
    attempt = records[0]
    assert fields(attempt)["request_id"] == "5f3c9a0e2b7d4e1f"
    assert attempt.getMessage() == (
        "sto track 777031922725111 attempt 1: POST /gateway/link.do -> HTTP 200 S01 in 0 ms "
        "(carrier request 5f3c9a0e2b7d4e1f): AuthenticationError: [sto] S01: 签名校验失败 (request 5f3c9a0e2b7d4e1f)"
    )


def test_a_retried_read_that_succeeds_warns_in_one_line_then_logs_the_next_attempt(
    records: List[logging.LogRecord],
) -> None:
    client, _ = make_client("zto", answer("zto", "track", "http_502_html"), answer("zto", "track", "success"))
    client.track(ZTO_WAYBILL)
    assert [level for _, level, _, _ in shape(records)] == ["DEBUG", "WARNING", "DEBUG"]
    warning = records[1].getMessage()
    assert "\n" not in warning and "\r" not in warning
    assert "CarrierServerError: [zto] HTTP502: <html> <head><title>502 Bad Gateway</title></head>" in warning
    assert fields(records[2])["http_status"] == 200 and fields(records[2])["attempt"] == 2


def test_a_read_out_of_attempts_gives_up_in_one_info_record_saying_why(
    records: List[logging.LogRecord],
) -> None:
    client, _ = make_client("zto", *[answer("zto", "track", "http_500")] * 3)
    with pytest.raises(CarrierServerError):
        client.track(ZTO_WAYBILL)
    assert [level for _, level, _, _ in shape(records)] == [
        "DEBUG",
        "WARNING",
        "DEBUG",
        "WARNING",
        "DEBUG",
        "INFO",
    ]
    gave_up = records[-1]
    assert gave_up.name == "kscarriers.retry"
    assert gave_up.getMessage() == (
        f"gave up on zto track {ZTO_WAYBILL} after 3 attempts (max_attempts): "
        "CarrierServerError: [zto] HTTP500: Internal Server Error"
    )
    assert fields(gave_up) | {"wait_s": None} == dict.fromkeys(KEYS) | {
        "event": "gave_up",
        "carrier": "zto",
        "operation": "track",
        "waybill": ZTO_WAYBILL,
        "attempt": 3,
        "max_attempts": 3,
        "method": "POST",
        "path": ZTO_TRACK_PATH,
        "http_status": 500,
        "carrier_code": "HTTP500",
        "reason": "max_attempts",
        "error": "CarrierServerError",
        "message": "[zto] HTTP500: Internal Server Error",
    }


def test_a_failure_no_retry_can_fix_is_logged_at_info_after_its_only_attempt(
    records: List[logging.LogRecord],
) -> None:
    client, _ = make_client("zto", answer("zto", "track", "auth"))
    with pytest.raises(KsCarriersError):
        client.track(ZTO_WAYBILL)
    assert [(level, event) for _, level, event, _ in shape(records)] == [
        ("DEBUG", "attempt"),
        ("INFO", "gave_up"),
    ]
    assert (
        records[1]
        .getMessage()
        .startswith(f"zto track {ZTO_WAYBILL} failed (not_retryable): AuthenticationError:")
    )


def test_an_empty_retry_budget_is_a_warning_and_the_give_up_names_it(
    records: List[logging.LogRecord],
) -> None:
    client, _ = make_client("zto", answer("zto", "track", "http_500"), budget=0)
    with pytest.raises(CarrierServerError):
        client.track(ZTO_WAYBILL)
    assert [(level, event) for _, level, event, _ in shape(records)] == [
        ("DEBUG", "attempt"),
        ("WARNING", "budget_exhausted"),
        ("INFO", "gave_up"),
    ]
    assert records[1].getMessage() == f"retry budget exhausted; not retrying zto track {ZTO_WAYBILL}"
    assert fields(records[2])["reason"] == "budget"


def test_the_retrier_used_on_its_own_logs_with_the_fields_it_knows() -> None:
    answers: List[Any] = [CarrierServerError(carrier="zto", code="S200", message="busy"), "ok"]

    def flaky() -> str:
        step = answers.pop(0)
        if isinstance(step, BaseException):
            raise step
        return str(step)

    with capture(logging.INFO, "kscarriers.retry") as seen:
        assert (
            Retrier(RetryPolicy(max_attempts=2), sleep=lambda s: None).call(flaky, describe="thing") == "ok"
        )
    (record,) = seen
    assert record.levelname == "WARNING" and record.getMessage().startswith("retrying thing in ")
    assert fields(record)["carrier_code"] == "S200" and fields(record)["carrier"] is None
    assert fields(record)["attempt"] == 1 and fields(record)["max_attempts"] == 2


# -- cheap when off -----------------------------------------------------------------------------


def test_with_debug_off_no_attempt_record_is_even_built(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an attempt record was built with DEBUG off")

    monkeypatch.setattr(CallLog, "attempt", refuse)
    client, _ = make_client("zto", answer("zto", "track", "http_502_html"), answer("zto", "track", "success"))
    with capture(logging.INFO) as seen:
        client.track(ZTO_WAYBILL)
    assert [r.levelname for r in seen] == ["WARNING"]


# -- one line, no secrets -----------------------------------------------------------------------


def test_a_long_html_page_is_one_line_of_at_most_200_characters_in_every_record(
    records: List[logging.LogRecord],
) -> None:
    page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\n" + "<p>\tbusy\t</p>\n" * 800
    client, _ = make_client(
        "zto", HttpResponse(status=502, body=page.encode()), answer("zto", "track", "success")
    )
    client.track(ZTO_WAYBILL)
    body = fields(records[0])["body"]
    assert len(body) == 200 and body.endswith("…")
    assert body.startswith("<html> <head><title>502 Bad Gateway</title></head> <body> <p> busy </p> <p> busy")
    for record in records:
        texts = [record.getMessage()] + [v for v in fields(record).values() if isinstance(v, str)]
        assert not [t for t in texts if "\n" in t or "\r" in t or "\t" in t]


def _leaks(secret: str, text: str) -> bool:
    forms = {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1], " ".join(secret.split())}
    return any(form in text for form in forms)


def _echo(secret: str) -> Callable[[HttpRequest], HttpResponse]:
    """A carrier that quotes the secret back in every escaping, in a 500 page."""

    def page(request: HttpRequest) -> HttpResponse:
        quoted = json.dumps({"app_secret": secret, "msg": f"bad key {secret}"}, ensure_ascii=False)
        body = f"<pre>\n{secret}\n{quoted}\n{json.dumps(secret)}\n{secret!r}\napp_secret={secret}</pre>"
        return HttpResponse(status=500, headers={"X-Request-Id": "r-9"}, body=body.encode("utf-8"))

    return page


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(tail=st.text(min_size=4, max_size=20))
def test_no_record_ever_carries_the_carriers_secret(tail: str) -> None:
    secret = "ks-" + tail  # the prefix keeps it out of the waybills and paths by chance
    client, _ = make_client("yto", *[_echo(secret)] * 3, secret=secret, max_attempts=2)
    with capture() as seen:
        with pytest.raises(KsCarriersError):
            client.track(YTO_WAYBILL)
        with pytest.raises(OutcomeUnknownError):
            client.intercept(YTO_WAYBILL, reason="refund", idempotency_key="k-1")
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    assert [r.levelname for r in seen] == ["DEBUG", "WARNING", "DEBUG", "INFO", "DEBUG", "INFO"]
    assert "***" in fields(seen[0])["body"]
    leaked = [
        formatter.format(r) + repr(fields(r))
        for r in seen
        if _leaks(secret, formatter.format(r) + repr(fields(r)))
    ]
    assert leaked == []


def test_one_line_masks_secret_looking_values_and_leaves_other_text_alone() -> None:
    text = '{"app_secret": "abc", "x-dataDigest":"zz==", "receivePhone": 13800138000} sign=f00d&waybill=YT1'
    assert (
        one_line(text) == '{"app_secret": ***, "x-dataDigest":***, "receivePhone": ***} sign=***&waybill=YT1'
    )
    assert one_line("pass phone_tail= with the last 4 digits") == "pass phone_tail= with the last 4 digits"
    assert one_line("idempotency_key='refund-1' is safe") == "idempotency_key='refund-1' is safe"
    assert one_line("a  b\n\tc", secret="b\n\tc") == "a ***"


# -- no last-resort output; the CLI's -v ------------------------------------------------------------


def test_the_kscarriers_logger_has_a_null_handler() -> None:
    assert [h for h in logging.getLogger("kscarriers").handlers if type(h) is logging.NullHandler]


@pytest.mark.parametrize(("keep_null_handler", "printed"), [(True, ""), (False, "retrying x\n")])
def test_without_a_handler_of_the_application_nothing_reaches_stderr(
    keep_null_handler: bool, printed: str
) -> None:
    drop = "" if keep_null_handler else "logging.getLogger('kscarriers').handlers.clear(); "
    code = f"import logging, kscarriers; {drop}logging.getLogger('kscarriers.retry').warning('retrying x')"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stderr == printed


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dict[str, str]]:
    import os

    from kscarriers.cli.app import log_to_stderr

    for name in list(os.environ):
        if name.startswith("KSCARRIERS_"):
            monkeypatch.delenv(name)
    yield {
        "KSCARRIERS_MAX_ATTEMPTS": "1",
        "KSCARRIERS_YTO_APP_KEY": "yto-key",
        "KSCARRIERS_YTO_APP_SECRET": SECRET,
        "KSCARRIERS_YTO_BASE_URL": "http://carrier.test/yto",
        "KSCARRIERS_YTO_EXTRA_CLIENT_ID": "yto-client",
    }
    log_to_stderr(0)  # a -v run leaves a handler on the kscarriers logger: take it off


@pytest.mark.parametrize(("flags", "lines"), [([], 0), (["-v"], 1), (["-vv"], 2)])
def test_the_cli_shows_the_sdks_records_on_stderr_only_with_verbose(
    cli_env: Dict[str, str], flags: List[str], lines: int
) -> None:
    from kscarriers.cli.app import cli
    from kscarriers.cli.settings import load_config
    from kscarriers.testing import register_answers

    with responses.RequestsMock() as rsps:
        register_answers(
            rsps,
            load_config(config_file=None, base_url=None, environ=cli_env),
            "yto",
            "intercept",
            "http_502_html",
        )
        result = CliRunner().invoke(
            cli,
            [*flags, "intercept", YTO_WAYBILL, "--reason", "refund", "--idempotency-key", "k-1"],
            env=cli_env,
        )
    assert result.exit_code == 5
    logged = [
        line for line in result.stderr.splitlines() if re.match(r"kscarriers: (DEBUG|INFO|WARNING) ", line)
    ]
    assert len(logged) == lines, result.stderr
    if lines:
        assert logged[-1].startswith(
            f"kscarriers: INFO outcome of yto intercept {YTO_WAYBILL} (request k-1) unknown after 1 attempt;"
        )
    assert SECRET not in result.stderr + result.stdout
