"""The request journal: every exchange with a mock carrier, for QA to inspect through the admin API."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Optional

from attrs import evolve, field, frozen

__all__ = ["Journal", "JournalEntry"]


@frozen(kw_only=True)
class JournalEntry:
    """One request to a carrier blueprint and the answer it got.

    Headers are kept as sent (digests are not secrets); an account's ``app_secret`` is never
    stored — :func:`mockserver.carriers._envelope.journal_exchange` masks it if a client leaks it.
    ``decided_by`` is the scenario that chose the answer, or ``"default"``.
    """

    id: int = 0
    time: datetime
    carrier: str
    operation: str
    account: Optional[str] = None
    waybill: Optional[str] = None
    method: str
    path: str
    request_headers: Mapping[str, str] = field(factory=dict, hash=False)
    request_body: str = ""
    response_status: int
    response_body: str = ""
    decided_by: str = "default"
    error: Optional[str] = None

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


class Journal:
    """A thread-safe, bounded, append-only list of :class:`JournalEntry`.

    Args:
        limit: how many entries to keep; the oldest are dropped first.
    """

    def __init__(self, limit: int = 10_000) -> None:
        if limit < 1:
            raise ValueError(f"limit must be >= 1 (got {limit})")
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry] = deque(maxlen=limit)
        self._next_id = 1

    def append(self, entry: JournalEntry) -> JournalEntry:
        """Store ``entry`` under the next id and return the stored entry."""
        with self._lock:
            stored = evolve(entry, id=self._next_id)
            self._next_id += 1
            self._entries.append(stored)
            return stored

    def entries(self) -> list[JournalEntry]:
        """All kept entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def filter(
        self,
        *,
        carrier: Optional[str] = None,
        operation: Optional[str] = None,
        waybill: Optional[str] = None,
        account: Optional[str] = None,
    ) -> list[JournalEntry]:
        """Entries matching every given criterion (``None`` matches anything), oldest first."""
        return [
            e
            for e in self.entries()
            if (carrier is None or e.carrier == carrier)
            and (operation is None or e.operation == operation)
            and (waybill is None or e.waybill == waybill)
            and (account is None or e.account == account)
        ]

    def count(self, **criteria: Optional[str]) -> int:
        """How many entries :meth:`filter` would return for the same criteria."""
        return len(self.filter(**criteria))

    def clear(self, *, carrier: Optional[str] = None, account: Optional[str] = None) -> int:
        """Drop all entries, or only one carrier's / one account's; return how many went."""
        with self._lock:
            keep = [
                e
                for e in self._entries
                if not ((carrier is None or e.carrier == carrier)
                        and (account is None or e.account == account))
            ]
            removed = len(self._entries) - len(keep)
            self._entries.clear()
            self._entries.extend(keep)
            return removed

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
