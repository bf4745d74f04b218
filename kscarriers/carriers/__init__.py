"""What a carrier plug-in provides: the CarrierAdapter protocol and the CodeBook of its raw codes."""

from __future__ import annotations

import re
from typing import Any, ClassVar, FrozenSet, Mapping, Optional, Pattern, Protocol, Tuple

from attrs import field, frozen

from ..config import CarrierConfig
from ..errors import ValidationError
from ..models import (
    InterceptFailure,
    InterceptRequest,
    InterceptResult,
    InterceptStatus,
    Operation,
    PushAck,
    PushEvent,
    SubscribeResult,
    TrackingStatus,
    TrackingSubStatus,
    TrackResult,
)
from ..transport import HttpRequest, HttpResponse

__all__ = ["CarrierAdapter", "CodeBook", "StatusTable", "check_phone_tail"]

_PHONE_TAIL = re.compile(r"[0-9]{4}")


def check_phone_tail(value: Any) -> Optional[str]:
    """``phone_tail`` as given, or None; anything but 4 ASCII digits is a ValidationError.

    ASCII only: ``str.isdigit`` and ``\\d`` also take ``٣`` or ``²``, which no carrier reads.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not _PHONE_TAIL.fullmatch(value):
        raise ValidationError(
            field="phone_tail",
            reason="must be the last 4 digits (0-9) of the sender's or receiver's phone, as a string",
        )
    return value


#: Raw scan codes of one carrier table to the normalised status pair.
StatusTable = Mapping[str, Tuple[TrackingStatus, TrackingSubStatus]]


def _tables(value: Mapping[str, StatusTable]) -> Mapping[str, StatusTable]:
    return dict(value)


@frozen(kw_only=True)
class CodeBook:
    """Every raw code a carrier's tables know, with what it normalises to.

    ``docs/status-codes.md`` is generated from the code books of the registered carriers, and
    adapters read refusals from ``intercept_failures``.

    Args:
        scan_tables: tracking tables by label: ``""`` for the scan codes themselves, or a label
            the document puts before each code (``"push"`` for ZTO's push actions, ``"node"``
            and ``"problem"`` for J&T).
        intercept_failures: refusal codes of an intercept or cancel to the normalised failure.
        intercept_states: intercept states (status query or result push) to the normalised one.
    """

    scan_tables: Mapping[str, StatusTable] = field(converter=_tables)
    intercept_failures: Mapping[str, InterceptFailure]
    intercept_states: Mapping[str, InterceptStatus]


class CarrierAdapter(Protocol):
    """What a carrier plug-in implements. Adapters do no I/O: the client sends requests.

    Class attributes:
        name: the carrier slug (``zto``); equals the entry-point name.
        display_name: human name.
        waybill_patterns: regular expressions a waybill of this carrier matches.
        operations: the operations this carrier offers; the others raise
            :class:`~kscarriers.UnsupportedOperationError`.
        intercept_takes_request_id: whether the carrier dedupes intercepts by a request id we
            send, which makes resending an intercept safe.
        code_book: the carrier's raw codes and what they normalise to.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    waybill_patterns: ClassVar[Tuple[Pattern[str], ...]]
    operations: ClassVar[FrozenSet[Operation]]
    intercept_takes_request_id: ClassVar[bool]
    code_book: ClassVar[CodeBook]

    def __init__(self, config: CarrierConfig) -> None: ...

    def build_track(self, waybill: str, *, phone_tail: Optional[str] = None) -> HttpRequest:
        """The request that queries a waybill's scans.

        ``phone_tail`` (4 digits, already checked) is sent by carriers that verify the querier
        with a phone's last four digits (ZTO ``mobilePhone``) and ignored by the others. The
        client passes it only when the caller gave one, so an adapter written before it existed
        keeps working for calls without it.
        """
        ...

    def parse_track(self, waybill: str, response: HttpResponse) -> TrackResult:
        """The normalised history, or raise a CarrierError."""
        ...

    def build_subscribe(
        self, waybill: str, *, callback_url: Optional[str], phone_tail: Optional[str] = None
    ) -> HttpRequest:
        """The request that subscribes to pushes for a waybill (``phone_tail`` as for track)."""
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
