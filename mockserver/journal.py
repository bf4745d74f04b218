"""The request journal: every exchange with a mock carrier, for QA to inspect through the admin API."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable, Optional

from attrs import evolve, field, frozen

__all__ = ["CRITERIA", "Journal", "JournalEntry", "safe_text"]

#: What entries can be filtered on (``account`` is the app key).
CRITERIA = ("carrier", "operation", "waybill", "account", "decided_by", "status")


def safe_text(value: str) -> str:
    """``value`` with anything UTF-8 cannot encode (a lone surrogate from a JSON ``\\ud800``)
    written as a backslash escape, so that the entry can always be answered and stored."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _optional_text(value: Optional[str]) -> Optional[str]:
    return None if value is None else safe_text(value)


def _headers(value: Mapping[str, str]) -> Mapping[str, str]:
    return {safe_text(k): safe_text(v) for k, v in value.items()}


@frozen(kw_only=True)
class JournalEntry:
    """One request to a carrier blueprint and the answer it got.

    Text that UTF-8 cannot carry (a lone surrogate a client sent as ``\\ud800``) is kept as
    its backslash escape, so one odd request can never break the journal for everybody.
    Headers are kept as sent (digests are not secrets); an account's ``app_secret`` is never
    stored — the journal hook of :mod:`mockserver.carriers.exchange` masks it if a client leaks it.
    ``decided_by`` is the scenario that chose the answer, or ``"default"``.
    """

    id: int = 0
    time: datetime
    carrier: str
    operation: str
    account: Optional[str] = field(default=None, converter=_optional_text)
    waybill: Optional[str] = field(default=None, converter=_optional_text)
    method: str
    path: str = field(converter=safe_text)
    request_headers: Mapping[str, str] = field(factory=dict, hash=False, converter=_headers)
    request_body: str = field(default="", converter=safe_text)
    response_status: int
    response_body: str = field(default="", converter=safe_text)
    decided_by: str = field(default="default", converter=safe_text)
    error: Optional[str] = field(default=None, converter=_optional_text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "carrier": self.carrier,
            "operation": self.operation,
            "account": self.account,
            "waybill": self.waybill,
            "method": self.method,
            "path": self.path,
            "request_headers": dict(self.request_headers),
            "request_body": self.request_body,
            "response_status": self.response_status,
            "response_body": self.response_body,
            "decided_by": self.decided_by,
            "error": self.error,
        }

    def mismatches(self, criteria: Mapping[str, Any]) -> list[str]:
        """Every criterion (see :data:`CRITERIA`) this entry fails, in words; empty on a match."""
        found = []
        for name, wanted in criteria.items():
            if wanted is None:
                continue
            got = self.response_status if name == "status" else getattr(self, name)
            if got != wanted:
                found.append(f"{name}: wanted {wanted!r}, got {got!r}")
        return found


class Journal:
    """A thread-safe, bounded, append-only list of :class:`JournalEntry`.

    Appending wakes :meth:`wait_for` callers (a condition variable, no polling).

    Args:
        limit: how many entries to keep; the oldest are dropped first.
    """

    def __init__(self, limit: int = 10_000) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1 (got {limit})")
        self._lock = threading.Condition()
        self._entries: deque[JournalEntry] = deque(maxlen=limit)
        self._next_id = 1

    def append(self, entry: JournalEntry) -> JournalEntry:
        """Store ``entry`` under the next id and return the stored entry."""
        with self._lock:
            stored = evolve(entry, id=self._next_id)
            self._next_id += 1
            self._entries.append(stored)
            self._lock.notify_all()
            return stored

    def entries(self) -> list[JournalEntry]:
        """All kept entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def filter(self, **criteria: Any) -> list[JournalEntry]:
        """Entries matching every given criterion (``None`` matches anything), oldest first.

        Args:
            criteria: any of :data:`CRITERIA`: ``carrier``, ``operation``, ``waybill``,
                ``account`` (app key), ``decided_by`` (stub id or ``"default"``), ``status``
                (HTTP status of the answer).

        Raises:
            TypeError: for an unknown criterion.
        """
        _check_criteria(criteria)
        return [e for e in self.entries() if not e.mismatches(criteria)]

    def count(self, **criteria: Any) -> int:
        """How many entries :meth:`filter` would return for the same criteria."""
        return len(self.filter(**criteria))

    def wait_for(self, predicate: Callable[[int], bool], timeout: float, **criteria: Any) -> tuple[bool, int]:
        """Block until ``predicate(count of matching entries)`` holds, or ``timeout`` seconds pass.

        Returns:
            ``(reached, count)``: whether the predicate held, and the count at that moment.
        """
        _check_criteria(criteria)

        def matching() -> int:
            return sum(1 for e in self._entries if not e.mismatches(criteria))

        with self._lock:
            reached = self._lock.wait_for(lambda: predicate(matching()), timeout=timeout)
            return bool(reached), matching()

    def clear(self, *, carrier: Optional[str] = None, account: Optional[str] = None) -> int:
        """Drop all entries, or only one carrier's / one account's; return how many went."""
        with self._lock:
            keep = [
                e
                for e in self._entries
                if not (
                    (carrier is None or e.carrier == carrier) and (account is None or e.account == account)
                )
            ]
            removed = len(self._entries) - len(keep)
            self._entries.clear()
            self._entries.extend(keep)
            return removed

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _check_criteria(criteria: Mapping[str, Any]) -> None:
    unknown = sorted(set(criteria) - set(CRITERIA))
    if unknown:
        raise TypeError(f"unknown journal criteria {unknown}; known: {', '.join(CRITERIA)}")
