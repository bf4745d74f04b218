"""Test doubles for the SDK side: a scripted transport and a sleep recorder."""

from __future__ import annotations

from typing import Callable, List, Union

from kscarriers.config import Timeouts
from kscarriers.transport import HttpRequest, HttpResponse

Step = Union[HttpResponse, BaseException, Callable[[HttpRequest], HttpResponse]]


class ScriptedTransport:
    """Answers each request with the next scripted step (a response, an error, or a function)."""

    def __init__(self, *steps: Step) -> None:
        self.steps: List[Step] = list(steps)
        self.requests: List[HttpRequest] = []

    def send(self, request: HttpRequest, *, timeouts: Timeouts) -> HttpResponse:
        self.requests.append(request)
        if not self.steps:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        step = self.steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return step(request)
        return step


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
