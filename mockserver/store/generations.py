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
        # Per account: each waybill's latest write, numbered in the account's count of writes
        # (``_total``), in the order of those writes, so that the waybills written since a given
        # number are the last few entries.
        self._waybills: dict[tuple[str, str], dict[str, int]] = {}
        self._everything = 0

    def bump(self, carrier: str, app_key: str, waybill: Optional[str] = None) -> None:
        """Count a write to one waybill of an account, or (``waybill=None``) to the whole account."""
        key = (carrier, app_key)
        with self._lock:
            number = self._total[key] = self._total.get(key, 0) + 1
            if waybill is None:
                self._wide[key] = self._wide.get(key, 0) + 1
                self._waybills.pop(key, None)  # everything is new again; forget the old counts
            else:
                latest = self._waybills.setdefault(key, {})
                latest.pop(waybill, None)  # to the end: the entries stay in the order of the writes
                latest[waybill] = number

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

    def detail(self, carrier: str, app_key: str, since: int = 0) -> tuple[int, dict[str, int]]:
        """The account-wide count, and the number of the latest write of each waybill written
        after the account's write number ``since`` (every written waybill for ``0``).

        Costs what was written since, not what was ever written: the waybills are kept in the
        order of their latest writes and read from the newest back.
        """
        key = (carrier, app_key)
        with self._lock:
            latest = self._waybills.get(key, {})
            written: dict[str, int] = {}
            for waybill in reversed(latest):
                number = latest[waybill]
                if number <= since:
                    break
                written[waybill] = number
            return self._everything + self._wide.get(key, 0), written
