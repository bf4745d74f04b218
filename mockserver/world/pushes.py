"""Pushes in the simulated world: an account's callback, a queued push and its delivery attempts.

They are immutable and serialise to JSON-ready dicts (``to_dict``/``from_dict``), so that any
:class:`~mockserver.store.Store` can keep them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Optional

from attrs import field, frozen

from mockserver.world._conversion import aware as _aware
from mockserver.world._conversion import optional_aware as _optional_aware

__all__ = ["Attempt", "Callback", "PushRecord", "PushState"]

#: How many characters of a subscriber's answer an attempt keeps.
RESPONSE_SNIPPET = 500


def _time(text: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(text) if text else None


class PushState(str, Enum):
    """Where a push is in its life: waiting, acknowledged, given up on, or dropped by a scenario."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    DROPPED = "dropped"


@frozen(kw_only=True)
class Callback:
    """The URL an account's pushes go to.

    ``since`` is when it was registered: intercept results settled before then are not pushed.
    """

    carrier: str
    app_key: str
    url: str
    since: datetime = field(converter=_aware)

    def to_dict(self) -> dict[str, Any]:
        return {
            "carrier": self.carrier,
            "app_key": self.app_key,
            "url": self.url,
            "since": self.since.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Callback:
        return cls(
            carrier=data["carrier"],
            app_key=data["app_key"],
            url=data["url"],
            since=datetime.fromisoformat(data["since"]),
        )


@frozen(kw_only=True)
class Attempt:
    """One delivery attempt: when (mock time), the HTTP status and answer, or the error.

    ``status`` is ``None`` when no answer came (connection error, timeout); ``acked`` says
    whether the carrier module's ``is_push_ack`` accepted the answer.
    """

    time: datetime = field(converter=_aware)
    status: Optional[int] = None
    response: str = ""
    error: Optional[str] = None
    acked: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "status": self.status,
            "response": self.response,
            "error": self.error,
            "acked": self.acked,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attempt:
        return cls(
            time=datetime.fromisoformat(data["time"]),
            status=data.get("status"),
            response=data.get("response") or "",
            error=data.get("error"),
            acked=bool(data.get("acked")),
        )


def _attempts(value: Iterable[Attempt]) -> tuple[Attempt, ...]:
    return tuple(value)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _headers(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@frozen(kw_only=True)
class PushRecord:
    """One HTTP request to a subscriber, signed as the carrier would, and what became of it.

    Attributes:
        id: unique id; ``seq`` orders the account's pushes (delivery order within a due time).
        kind: ``trace`` or ``intercept``.
        waybills: the waybills it carries; ``intercept_id`` the intercept it reports, if any.
        url, headers, body: the request to send (``body`` is UTF-8 text).
        state: see :class:`PushState`; ``due_at`` is when the next attempt may start.
        copy: 1 for the original, 2.. for scenario duplicates of the same content.
        decided_by: the scenario stub that shaped it, or ``"default"``.
        attempts: every delivery attempt, oldest first.
    """

    id: str
    seq: int
    carrier: str
    app_key: str
    kind: str
    waybills: tuple[str, ...] = field(converter=_strings)
    url: str
    headers: Mapping[str, str] = field(converter=_headers, hash=False)
    body: str
    state: PushState
    created_at: datetime = field(converter=_aware)
    due_at: Optional[datetime] = field(converter=_optional_aware)
    intercept_id: Optional[str] = None
    copy: int = 1
    decided_by: str = "default"
    attempts: tuple[Attempt, ...] = field(factory=tuple, converter=_attempts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "carrier": self.carrier,
            "app_key": self.app_key,
            "kind": self.kind,
            "waybills": list(self.waybills),
            "url": self.url,
            "headers": dict(self.headers),
            "body": self.body,
            "state": self.state.value,
            "created_at": self.created_at.isoformat(),
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "intercept_id": self.intercept_id,
            "copy": self.copy,
            "decided_by": self.decided_by,
            "attempts": [attempt.to_dict() for attempt in self.attempts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PushRecord:
        return cls(
            id=data["id"],
            seq=int(data["seq"]),
            carrier=data["carrier"],
            app_key=data["app_key"],
            kind=data["kind"],
            waybills=data.get("waybills") or (),
            url=data["url"],
            headers=data.get("headers") or {},
            body=data["body"],
            state=PushState(data["state"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            due_at=_time(data.get("due_at")),
            intercept_id=data.get("intercept_id"),
            copy=int(data.get("copy", 1)),
            decided_by=data.get("decided_by") or "default",
            attempts=tuple(Attempt.from_dict(item) for item in data.get("attempts") or ()),
        )
