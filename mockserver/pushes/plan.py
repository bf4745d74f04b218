"""What is pushed: the carriers' signed push requests, and a plan per event from a scenario."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Optional, Protocol

from attrs import field, frozen

from mockserver.scenarios import PushOutcome, ScenarioEngine, ScenarioRequest
from mockserver.world import Account, InterceptRecord, Scan

__all__ = [
    "CarrierPushes",
    "Event",
    "Held",
    "Plan",
    "PushRequest",
    "build_requests",
    "decide_push",
    "push_kind",
]


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
    """The push half of a mock carrier (``mockserver.carriers.<slug>``): signed requests and its ack rule."""

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


# A carrier whose pushes carry a timestamp also sets ``PUSH_TIMESTAMP_HEADER`` (J&T:
# ``"timestamp"``); :func:`mockserver.pushes.faults.timestamp_header` reads it. It is not part of
# the protocol because most carriers have none.


@frozen(kw_only=True)
class Event:
    """Something to push: a newly visible scan of a subscribed waybill, or a settled intercept."""

    waybill: str
    time: datetime
    scan: Optional[Scan] = None
    record: Optional[InterceptRecord] = None


@frozen(kw_only=True)
class Plan:
    """How one event is pushed: a scenario's :class:`~mockserver.scenarios.PushOutcome`, or the defaults.

    ``fault`` (with ``stale_seconds``) signs the push wrongly; ``outage`` (with ``outage_until``
    or ``outage_seconds``) starts a push outage of the account when the event is queued.
    """

    delay: float
    drop: bool = False
    copies: int = 1
    out_of_order: bool = False
    batch: int = 1
    decided_by: str = "default"
    fault: Optional[str] = None
    stale_seconds: float = 0.0
    outage: Optional[str] = None
    outage_until: Optional[datetime] = None
    outage_seconds: Optional[float] = None


@frozen(kw_only=True)
class Held:
    """An event waiting for its scenario batch to fill up (since ``since``, mock time)."""

    event: Event
    plan: Plan
    since: datetime


def push_kind(event: Event) -> str:
    """What an event's push carries, as a scenario matches it: ``trace`` or ``intercept_result``."""
    return "intercept_result" if event.record is not None else "trace"


def decide_push(
    engine: Optional[ScenarioEngine],
    account: Account,
    waybill: str,
    default_delay: float,
    kind: str = "trace",
) -> Plan:
    """Ask the scenario engine (if any) how to push an event of ``waybill`` to ``account``.

    ``kind`` is what the push carries (``trace`` or ``intercept_result``, matched by a stub's
    ``push_kind``). A push outcome without a delay keeps the configured default delay.
    """
    default = Plan(delay=default_delay)
    if engine is None:
        return default
    decision = engine.decide(
        ScenarioRequest(
            carrier=account.carrier,
            operation="push",
            waybill=waybill,
            account=account.app_key,
            push_kind=kind,
        )
    )
    if decision is None or not isinstance(decision.outcome, PushOutcome):
        return default
    outcome = decision.outcome
    return Plan(
        delay=outcome.delay_seconds or default_delay,
        drop=outcome.drop,
        copies=outcome.copies,
        out_of_order=outcome.out_of_order,
        batch=outcome.batch,
        decided_by=decision.stub_name or decision.stub_id,
        fault=outcome.fault,
        stale_seconds=outcome.stale_by,
        outage=outcome.outage,
        outage_until=outcome.until,
        outage_seconds=outcome.duration_seconds,
    )


def build_requests(carrier: CarrierPushes, account: Account, events: Sequence[Event]) -> list[PushRequest]:
    """``carrier``'s signed requests for ``events``, in their order.

    Scans go to ``build_trace_pushes`` together, so a carrier that batches (J&T) sends one
    request for all of them and the others one request each.
    """
    built = [carrier.build_intercept_push(account, e.record) for e in events if e.record is not None]
    items = [(e.waybill, e.scan) for e in events if e.scan is not None]
    return built + (carrier.build_trace_pushes(account, items) if items else [])
