"""Test doubles for the SDK side: the shipped scripted transport and a sleep recorder."""

from __future__ import annotations

from typing import List

from kscarriers.testing import ScriptedTransport
from kscarriers.transport import HttpResponse

# The scripted transport the SDK ships for its users' tests is the one the project's tests use too.
__all__ = ["ScriptedTransport", "SleepRecorder", "json_response"]


class SleepRecorder:
    """A sleep that records how long it was asked to wait, and never waits."""

    def __init__(self) -> None:
        self.calls: List[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def json_response(body: str, status: int = 200, **headers: str) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers={"Content-Type": "application/json", **headers},
        body=body.encode("utf-8"),
    )
