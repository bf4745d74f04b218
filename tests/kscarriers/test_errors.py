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
