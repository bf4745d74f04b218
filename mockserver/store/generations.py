"""Write counters per account: a cheap way to ask a store "did anything change since I looked?"."""

from __future__ import annotations

import threading

__all__ = ["Generations"]


class Generations:
    """How many times each account's world (not its push records) was written, in this process.

    The push scheduler compares the number it saw at its last look with the current one, and
    rescans an account only when it changed or something the account has falls due. Push
    records are left out on purpose: only the scheduler writes them, and it knows when it did.
    A store is opened by one process at a time (SQLite files are locked), so counting in memory
    sees every write.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}
        self._everything = 0

    def bump(self, carrier: str, app_key: str) -> None:
        """Count a write to one account."""
        with self._lock:
            key = (carrier, app_key)
            self._counts[key] = self._counts.get(key, 0) + 1

    def bump_all(self) -> None:
        """Count a write to every account (a whole reset)."""
        with self._lock:
            self._everything += 1

    def of(self, carrier: str, app_key: str) -> int:
        """A number that grows with every write to the account (and every whole reset)."""
        with self._lock:
            return self._everything + self._counts.get((carrier, app_key), 0)
