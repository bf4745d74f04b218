"""What the push scheduler decides per event: a plan from the scenario's push outcome, and the requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Optional, cast

from attrs import frozen

from mockserver.carriers import carrier_module
from mockserver.carriers._push import CarrierPushes, PushRequest
from mockserver.scenarios import PushOutcome, ScenarioRequest
from mockserver.world import Account, InterceptRecord, Scan

__all__ = ["Event", "Held", "Plan", "build_requests", "decide_push", "pushes_of"]


def pushes_of(slug: str) -> CarrierPushes:
    """The push half of the carrier module of ``slug``."""
    return cast(CarrierPushes, carrier_module(slug))


@frozen(kw_only=True)
class Event:
    """Something to push: a newly visible scan of a subscribed waybill, or a settled intercept."""

    waybill: str
    time: datetime
    scan: Optional[Scan] = None
    record: Optional[InterceptRecord] = None


@frozen(kw_only=True)
class Plan:
    """How one event is pushed: a scenario's :class:`~mockserver.scenarios.PushOutcome`, or the defaults."""

    delay: float
    drop: bool = False
    copies: int = 1
    out_of_order: bool = False
    batch: int = 1
    decided_by: str = "default"


@frozen(kw_only=True)
class Held:
    """An event waiting for its scenario batch to fill up (since ``since``, mock time)."""

    event: Event
    plan: Plan
    since: datetime


def decide_push(engine: Any, account: Account, waybill: str, default_delay: float) -> Plan:
    """Ask the scenario engine (if any) how to push an event of ``waybill`` to ``account``.

    A push outcome without a delay keeps the configured default delay.
    """
    default = Plan(delay=default_delay)
    if engine is None:
        return default
    decision = engine.decide(
        ScenarioRequest(carrier=account.carrier, operation="push", waybill=waybill, account=account.app_key)
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
    )


def build_requests(account: Account, events: Sequence[Event]) -> list[PushRequest]:
    """The carrier's signed requests for ``events``, in their order.

    Scans go to ``build_trace_pushes`` together, so a carrier that batches (J&T) sends one
    request for all of them and the others one request each.
    """
    module = pushes_of(account.carrier)
    built = [module.build_intercept_push(account, e.record) for e in events if e.record is not None]
    items = [(e.waybill, e.scan) for e in events if e.scan is not None]
    return built + (module.build_trace_pushes(account, items) if items else [])
