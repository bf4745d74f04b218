"""The CarrierAdapter protocol: pure request builders and response parsers, one per carrier."""

from __future__ import annotations

from typing import ClassVar, FrozenSet, Mapping, Optional, Pattern, Protocol, Tuple

from ..config import CarrierConfig
from ..models import (
    InterceptRequest,
    InterceptResult,
    Operation,
    PushAck,
    PushEvent,
    SubscribeResult,
    TrackResult,
)
from ..transport import HttpRequest, HttpResponse

__all__ = ["CarrierAdapter"]


class CarrierAdapter(Protocol):
    """What a carrier plug-in implements. Adapters do no I/O: the client sends requests.

    Class attributes:
        name: the carrier slug (``zto``); equals the entry-point name.
        display_name: human name.
        waybill_patterns: regular expressions a waybill of this carrier matches.
        operations: the operations this carrier offers.
        intercept_takes_request_id: whether the carrier dedupes intercepts by a request id we
            send, which makes resending an intercept safe.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    waybill_patterns: ClassVar[Tuple[Pattern[str], ...]]
    operations: ClassVar[FrozenSet[Operation]]
    intercept_takes_request_id: ClassVar[bool]

    def __init__(self, config: CarrierConfig) -> None: ...

    def build_track(self, waybill: str) -> HttpRequest:
        """The request that queries a waybill's scans."""
        ...

    def parse_track(self, waybill: str, response: HttpResponse) -> TrackResult:
        """The normalised history, or raise a CarrierError."""
        ...

    def build_subscribe(self, waybill: str, *, callback_url: Optional[str]) -> HttpRequest:
        """The request that subscribes to pushes for a waybill."""
        ...

    def parse_subscribe(self, waybill: str, response: HttpResponse) -> SubscribeResult:
        """The subscription answer, or raise a CarrierError."""
        ...

    def build_intercept(self, request: InterceptRequest) -> HttpRequest:
        """The request that asks the carrier to stop a parcel."""
        ...

    def parse_intercept(self, request: InterceptRequest, response: HttpResponse) -> InterceptResult:
        """The intercept answer: a refusal is a FAILED result, not an exception."""
        ...

    def build_cancel_intercept(self, waybill: str, *, request_id: str, reason: str) -> HttpRequest:
        """The request that withdraws an intercept (carriers without cancel raise)."""
        ...

    def parse_cancel_intercept(self, waybill: str, response: HttpResponse) -> InterceptResult:
        """CANCELLED, or FAILED with NO_INTERCEPT_TO_CANCEL."""
        ...

    def build_intercept_status(self, waybill: str) -> HttpRequest:
        """The request that asks for the intercept's state (carriers without it raise)."""
        ...

    def parse_intercept_status(self, waybill: str, response: HttpResponse) -> InterceptResult:
        """The intercept's current state."""
        ...

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> Tuple[PushEvent, ...]:
        """Verify a push's signature over the raw body and normalise its events."""
        ...

    def push_ack(self, *, ok: bool) -> PushAck:
        """The exact answer the carrier expects (``ok=False``: ask it to push again)."""
        ...
