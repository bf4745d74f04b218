"""Time sources for the mock carriers: a manual clock for tests and a (speedable) system clock."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional, Protocol, runtime_checkable

__all__ = ["CHINA_TZ", "UTC", "Clock", "ManualClock", "SystemClock", "ensure_aware"]

UTC = timezone.utc
#: Carriers render their times in China Standard Time (UTC+8, no daylight saving).
CHINA_TZ = timezone(timedelta(hours=8), "CST")

#: Where a ManualClock starts when no start is given: a fixed instant keeps tests reproducible.
DEFAULT_MANUAL_START = datetime(2025, 1, 6, 2, 0, 0, tzinfo=UTC)


def ensure_aware(value: datetime, *, name: str = "time") -> datetime:
    """Return ``value`` converted to UTC, refusing naive datetimes.

    Args:
        value: the datetime to check.
        name: what to call the value in the error message.

    Raises:
        ValueError: if ``value`` has no timezone.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()})")
    return value.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the mock's current time as a timezone-aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current (virtual) time, timezone-aware, in UTC."""
        ...


class ManualClock:
    """A clock that only moves when told to, for tests and QA sessions.

    Example:
        >>> clock = ManualClock(datetime(2025, 1, 1, tzinfo=UTC))
        >>> clock.advance(90)
        >>> clock.now().isoformat()
        '2025-01-01T00:01:30+00:00'
    """

    def __init__(self, start: Optional[datetime] = None) -> None:
        self._lock = threading.Lock()
        self._now = ensure_aware(start if start is not None else DEFAULT_MANUAL_START, name="start")

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and return the new time.

        Raises:
            ValueError: if ``seconds`` is negative (use :meth:`set` to jump anywhere).
        """
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0 (got {seconds})")
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            return self._now

    def set(self, value: datetime) -> datetime:
        """Jump to ``value`` (forwards or backwards) and return it.

        Moving backwards does not undo what already happened (a resolved intercept stays resolved).

        Raises:
            ValueError: if ``value`` is naive.
        """
        aware = ensure_aware(value)
        with self._lock:
            self._now = aware
            return aware

    def __repr__(self) -> str:
        return f"ManualClock({self.now().isoformat()!r})"


class SystemClock:
    """Real time, optionally sped up: virtual time = start + real elapsed seconds * speed.

    Args:
        speed: how many virtual seconds pass per real second (``> 0``); 60 turns an hour into a minute.
        start: the virtual time at construction; defaults to the real current time.
        monotonic: the real elapsed-time source, injectable for tests.
    """

    def __init__(
        self,
        speed: float = 1.0,
        *,
        start: Optional[datetime] = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0 (got {speed})")
        self.speed = float(speed)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._start = ensure_aware(start, name="start") if start is not None else datetime.now(UTC)
        self._t0 = monotonic()

    def now(self) -> datetime:
        with self._lock:
            elapsed = self._monotonic() - self._t0
            return self._start + timedelta(seconds=elapsed * self.speed)

    def __repr__(self) -> str:
        return f"SystemClock(speed={self.speed}, now={self.now().isoformat()!r})"
