"""AdapterBase: raising defaults for the operations a carrier does not offer."""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Dict, FrozenSet

import pytest

from kscarriers import (
    CarrierConfig,
    Credentials,
    HttpRequest,
    HttpResponse,
    InterceptKind,
    InterceptRequest,
    Operation,
    TrackResult,
    UnsupportedOperationError,
)
from kscarriers.carriers._base import AdapterBase

REQUEST = InterceptRequest(waybill="TR1", kind=InterceptKind.RETURN_TO_SENDER, reason="r", request_id="i")
ANSWER = HttpResponse(status=200, body=b"{}")

#: Every optional operation, called the way the client calls it.
CALLS: Dict[str, Callable[[Any], Any]] = {
    "build_subscribe": lambda a: a.build_subscribe("TR1", callback_url=None),
    "parse_subscribe": lambda a: a.parse_subscribe("TR1", ANSWER),
    "build_intercept": lambda a: a.build_intercept(REQUEST),
    "parse_intercept": lambda a: a.parse_intercept(REQUEST, ANSWER),
    "build_cancel_intercept": lambda a: a.build_cancel_intercept("TR1", request_id="i", reason="r"),
    "parse_cancel_intercept": lambda a: a.parse_cancel_intercept("TR1", ANSWER),
    "build_intercept_status": lambda a: a.build_intercept_status("TR1"),
    "parse_intercept_status": lambda a: a.parse_intercept_status("TR1", ANSWER),
    "parse_push": lambda a: a.parse_push({}, b""),
    "push_ack": lambda a: a.push_ack(ok=True),
}
OPERATION_OF = {
    "build_subscribe": "subscribe",
    "parse_subscribe": "subscribe",
    "build_intercept": "intercept",
    "parse_intercept": "intercept",
    "build_cancel_intercept": "cancel_intercept",
    "parse_cancel_intercept": "cancel_intercept",
    "build_intercept_status": "intercept_status",
    "parse_intercept_status": "intercept_status",
    "parse_push": "push",
    "push_ack": "push",
}


class TrackOnly(AdapterBase):
    name: ClassVar[str] = "trackonly"
    operations: ClassVar[FrozenSet[Operation]] = frozenset({Operation.TRACK})

    def build_track(self, waybill: str) -> HttpRequest:
        return HttpRequest(method="GET", url=f"https://t.test/{waybill}")

    def parse_track(self, waybill: str, response: HttpResponse) -> TrackResult:
        return TrackResult(carrier=self.name, waybill=waybill, events=[])


def adapter() -> TrackOnly:
    creds = Credentials(app_key="k", app_secret="never-shown")
    return TrackOnly(CarrierConfig(credentials=creds, base_url="https://t.test"))


@pytest.mark.parametrize("method", sorted(CALLS))
def test_an_operation_the_adapter_does_not_write_raises_unsupported(method: str) -> None:
    with pytest.raises(UnsupportedOperationError) as info:
        CALLS[method](adapter())
    assert (info.value.carrier, info.value.operation) == ("trackonly", OPERATION_OF[method])


def test_what_the_adapter_writes_is_used() -> None:
    assert adapter().build_track("TR1").url == "https://t.test/TR1"
    assert "never-shown" not in repr(adapter())


@pytest.mark.parametrize("operation", [Operation.CANCEL_INTERCEPT, Operation.PUSH, Operation.TRACK])
def test_listing_an_operation_without_writing_it_fails_when_the_class_is_defined(
    operation: Operation,
) -> None:
    with pytest.raises(TypeError, match=operation.value):

        class Boasting(AdapterBase):
            name: ClassVar[str] = "boasting"
            operations: ClassVar[FrozenSet[Operation]] = frozenset({operation})


def test_a_subclass_may_offer_less_than_its_parent() -> None:
    class Fewer(TrackOnly):
        operations: ClassVar[FrozenSet[Operation]] = frozenset()

    assert Fewer.operations == frozenset()
