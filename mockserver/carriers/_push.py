"""What a carrier module provides for outbound pushes: signed requests and its ack rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from attrs import field, frozen

from mockserver.world import Account, InterceptRecord, Scan

__all__ = ["CarrierPushes", "PushRequest"]


def _headers(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@frozen(kw_only=True)
class PushRequest:
    """One HTTP POST the mock sends to a subscriber, exactly as the carrier would sign it.

    ``waybills`` and ``kind`` (``trace`` or ``intercept``) describe what it carries, for the
    delivery log; ``body`` is the signed bytes.
    """

    kind: str
    waybills: tuple[str, ...]
    headers: Mapping[str, str] = field(converter=_headers)
    body: bytes


class CarrierPushes(Protocol):
    """The push half of a carrier module (``mockserver.carriers.<slug>``)."""

    def build_trace_pushes(self, account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
        """Pushes for new scans, ``(waybill, scan)`` oldest first.

        A carrier that pushes one event per request (ZTO, YTO, STO) returns one request per
        item; one that batches (J&T) returns one request carrying all of them.
        """
        ...

    def build_intercept_push(self, account: Account, record: InterceptRecord) -> PushRequest:
        """The (modelled) push of an intercept's final result."""
        ...

    def is_push_ack(self, status: int, body: bytes) -> bool:
        """Whether the subscriber's answer acknowledges the push the way the carrier expects."""
        ...
