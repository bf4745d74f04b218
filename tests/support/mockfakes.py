"""Test doubles for the mock server side (the SDK's are in ``ksfakes``)."""

from __future__ import annotations

from typing import Optional

from mockserver.deciders import Decision, DecisionRequest


class FixedDecider:
    """A Decider that gives every request the same ``decision`` and keeps what it was asked."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self.seen: list[DecisionRequest] = []

    def decide(self, request: DecisionRequest) -> Optional[Decision]:
        self.seen.append(request)
        return self.decision
