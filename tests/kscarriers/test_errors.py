"""The error hierarchy: constructors as documented, messages, retryable flags, redaction."""

from __future__ import annotations

import pytest

from kscarriers import errors


def test_carrier_error_str_names_carrier_code_and_request():
    err = errors.NotFoundError(carrier="zto", code="E1002", message="waybill not found", request_id="r-123")
    assert str(err) == "[zto] E1002: waybill not found (request r-123)"
    assert "NotFoundError(carrier='zto'" in repr(err)


POSITIONAL_MESSAGE = {
    "KsCarriersError",
    "ConfigurationError",
    "TransportError",
    "ConnectError",
    "TimeoutError",
}
ERRORS = sorted(
    name for name in errors.__all__ if isinstance(getattr(errors, name), type) and name != "redact"
)


@pytest.mark.parametrize("name", ERRORS)
def test_constructors_take_keywords_only_but_where_the_module_says(name):
    import inspect

    params = inspect.signature(getattr(errors, name)).parameters.values()
    positional = [p.name for p in params if p.kind not in (p.KEYWORD_ONLY, p.VAR_KEYWORD)]
    assert positional == (["message"] if name in POSITIONAL_MESSAGE else [])


def test_constructors_are_keyword_only():
    with pytest.raises(TypeError):
        errors.CarrierError("zto", "E1", "x")  # type: ignore[misc]
    with pytest.raises(TypeError):
        errors.ValidationError("waybill", "bad")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("cls", "retryable"),
    [
        (errors.CarrierError, False),
        (errors.AuthenticationError, False),
        (errors.NotFoundError, False),
        (errors.RateLimitError, True),
        (errors.CarrierServerError, True),
    ],
)
def test_default_retryable_flag_per_class(cls, retryable):
    assert cls(carrier="zto", code="X", message="m").retryable is retryable


def test_validation_error_is_a_value_error_with_field_and_reason():
    err = errors.ValidationError(field="waybill", reason="must not be empty")
    assert isinstance(err, ValueError)
    assert (err.field, err.reason, str(err)) == ("waybill", "must not be empty", "waybill: must not be empty")


def test_raw_payload_is_redacted_before_it_is_stored():
    raw = {
        "app_secret": "s3cret",
        "nested": {"receivePhone": "13800000000", "billCode": "7310"},
        "list": [{"x-dataDigest": "abc"}],
    }
    err = errors.CarrierError(carrier="zto", code="S211", message="签名错误", raw=raw)
    assert err.raw == {
        "app_secret": "***",
        "nested": {"receivePhone": "***", "billCode": "7310"},
        "list": [{"x-dataDigest": "***"}],
    }
    assert "s3cret" not in repr(err) and "s3cret" not in str(err)


def test_transport_errors_say_whether_the_request_may_have_been_sent():
    assert errors.TimeoutError("t").maybe_sent is True
    assert errors.ConnectError("c", maybe_sent=False).maybe_sent is False


def test_outcome_unknown_is_not_retryable_and_carries_request_id():
    err = errors.OutcomeUnknownError(
        carrier="yto", operation="intercept", waybill="YT1", request_id="abc", cause="timeout"
    )
    assert err.retryable is False and err.request_id == "abc" and "abc" in str(err)


@pytest.mark.parametrize("slug", ["zto", "yto", "sto", "jt"])
@pytest.mark.parametrize("pad", [20, 190, 195])
def test_a_carrier_page_that_echoes_the_secret_never_shows_it_in_the_error(slug: str, pad: int) -> None:
    # A 5xx page quoting the request: the error quotes the page's first 200 characters, so the
    # secret may come whole or cut off at the end of the quote.
    from kscarriers import CarrierConfig, Client, ClientConfig, Credentials, KsCarriersError, RetryPolicy
    from kscarriers.testing import ScriptedTransport
    from kscarriers.transport import HttpResponse

    secret = "TOPSECRET-0123456789abcdef"
    page = HttpResponse(status=500, headers={}, body=("x" * pad + secret + " more").encode())
    waybills = {
        "zto": "73100130019486",
        "yto": "YT2600227881409",
        "sto": "777031922725111",
        "jt": "JT2099306666983",
    }
    config = ClientConfig(
        carriers={
            slug: CarrierConfig(
                credentials=Credentials(app_key="k", app_secret=secret, extra={"client_id": "c"}),
                base_url=f"http://{slug}.test",
            )
        },
        retry=RetryPolicy(max_attempts=1),
    )
    client = Client(config, transport=ScriptedTransport(page), sleep=lambda s: None)
    with pytest.raises(KsCarriersError) as caught:
        client.track(waybills[slug], slug)
    for text in (str(caught.value), repr(caught.value)):
        assert "TOPSECRET" not in text and "0123456789abcdef" not in text
