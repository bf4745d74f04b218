"""Write counters per account and waybill: a cheap way to ask a store "what changed since I looked?"."""

from __future__ import annotations

import threading
from typing import Optional

__all__ = ["Generations"]


class Generations:
    """How many times each account's world (not its push records) was written, in this process.

    Writes that concern one waybill (its parcel, intercepts, subscription) are counted for that
    waybill; the others (the account itself, its callback, a reset) for the whole account. The
    push scheduler keeps the numbers it saw and looks again only at what changed or fell due.
    Push records are left out on purpose: only the scheduler writes them, and it knows when it
    did. A store is opened by one process at a time (SQLite files are locked), so counting in
    memory sees every write.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wide: dict[tuple[str, str], int] = {}
        self._total: dict[tuple[str, str], int] = {}  # every write, so that it never goes back
        self._waybills: dict[tuple[str, str], dict[str, int]] = {}
        self._everything = 0

    def bump(self, carrier: str, app_key: str, waybill: Optional[str] = None) -> None:
        """Count a write to one waybill of an account, or (``waybill=None``) to the whole account."""
        key = (carrier, app_key)
        with self._lock:
            self._total[key] = self._total.get(key, 0) + 1
            if waybill is None:
                self._wide[key] = self._wide.get(key, 0) + 1
                self._waybills.pop(key, None)  # everything is new again; forget the old counts
            else:
                counts = self._waybills.setdefault(key, {})
                counts[waybill] = counts.get(waybill, 0) + 1

    def bump_all(self) -> None:
        """Count a write to every account (a whole reset)."""
        with self._lock:
            self._everything += 1
            self._waybills.clear()

    def of(self, carrier: str, app_key: str) -> int:
        """A number that grows with every write to the account (and every whole reset)."""
        key = (carrier, app_key)
        with self._lock:
            return self._everything + self._total.get(key, 0)

    def detail(self, carrier: str, app_key: str) -> tuple[int, dict[str, int]]:
        """The account-wide count and a copy of the per-waybill counts."""
        key = (carrier, app_key)
        with self._lock:
            return self._everything + self._wide.get(key, 0), dict(self._waybills.get(key, {}))
