"""Time sources for the mock carriers: a manual clock for tests and a (speedable) system clock."""

from __future__ import annotations

import threading
import time
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, Protocol, Union, runtime_checkable

__all__ = [
    "CHINA_TZ",
    "MAX_SPEED",
    "UTC",
    "Clock",
    "ClockModeError",
    "ManualClock",
    "SwitchableClock",
    "SystemClock",
    "ensure_aware",
]

UTC = timezone.utc
#: Carriers render their times in China Standard Time (UTC+8, no daylight saving).
CHINA_TZ = timezone(timedelta(hours=8), "CST")

#: The fastest a system clock may run (virtual seconds per real second, about 11.6 days): a
#: faster one overflows ``datetime`` within hours and then cannot even tell the time.
MAX_SPEED = 1_000_000.0

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
        self._listeners: list[Union[weakref.WeakMethod[Any], Callable[[], Any]]] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def add_listener(self, listener: Callable[[datetime], None]) -> None:
        """Call ``listener(new_time)`` after every :meth:`advance` and :meth:`set`.

        A bound method is held weakly, so an app that is gone stops listening by itself.
        """
        ref: Union[weakref.WeakMethod[Any], Callable[[], Any]]
        if hasattr(listener, "__self__"):
            ref = weakref.WeakMethod(listener)
        else:
            ref = lambda: listener  # noqa: E731 - a strong "reference" with the weakref interface
        with self._lock:
            self._listeners.append(ref)

    def _notify(self, moment: datetime) -> None:
        with self._lock:
            self._listeners = [ref for ref in self._listeners if ref() is not None]
            listeners = [ref() for ref in self._listeners]
        for listener in listeners:
            if listener is not None:
                listener(moment)

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward and return the new time.

        Raises:
            ValueError: if ``seconds`` is negative (use :meth:`set` to jump anywhere), or
                would move the clock past the year 9999; the clock does not move then.
        """
        if not seconds >= 0:
            raise ValueError(f"seconds must be >= 0 (got {seconds})")
        with self._lock:
            try:
                self._now = self._now + timedelta(seconds=seconds)
            except OverflowError:
                raise ValueError(
                    f"advancing {seconds:g} s from {self._now.isoformat()} goes past "
                    f"the last time a clock can show (year 9999)"
                ) from None
            moment = self._now
        self._notify(moment)
        return moment

    def set(self, value: datetime) -> datetime:
        """Jump to ``value`` (forwards or backwards) and return it.

        Moving backwards does not undo what already happened (a resolved intercept stays resolved).

        Raises:
            ValueError: if ``value`` is naive.
        """
        aware = ensure_aware(value)
        with self._lock:
            self._now = aware
        self._notify(aware)
        return aware

    def __repr__(self) -> str:
        return f"ManualClock({self.now().isoformat()!r})"


class SystemClock:
    """Real time, optionally sped up: virtual time = start + real elapsed seconds * speed.

    Args:
        speed: how many virtual seconds pass per real second (``> 0``, at most :data:`MAX_SPEED`);
            60 turns an hour into a minute.
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
        if not 0 < speed <= MAX_SPEED:
            raise ValueError(f"speed must be > 0 and <= {MAX_SPEED:g} (got {speed})")
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


class SwitchableClock:
    """The app's clock: a manual or system clock that can be swapped at runtime, keeping the time.

    Switching mode continues from the current virtual time, so nothing jumps. Listeners added
    with :meth:`add_listener` are called with the new time after every move of a manual clock
    (also when a test moves the wrapped :class:`ManualClock` directly) and after every
    :meth:`switch`, e.g. to wake a scheduler.

    Args:
        inner: the clock to start with (a :class:`ManualClock` keeps being moved by whoever
            holds it, as tests do).
    """

    def __init__(self, inner: Clock) -> None:
        self._lock = threading.Lock()
        self._inner = inner
        self._listeners: list[Callable[[datetime], None]] = []
        self._follow(inner)

    @property
    def current(self) -> Clock:
        """The clock currently telling the time."""
        with self._lock:
            return self._inner

    @property
    def mode(self) -> str:
        """``"manual"``, ``"system"`` or the class name of another clock."""
        inner = self.current
        if isinstance(inner, ManualClock):
            return "manual"
        if isinstance(inner, SystemClock):
            return "system"
        return type(inner).__name__

    @property
    def speed(self) -> Optional[float]:
        """The system clock's speed, or ``None`` for other clocks."""
        inner = self.current
        return inner.speed if isinstance(inner, SystemClock) else None

    def now(self) -> datetime:
        return self.current.now()

    def _manual(self) -> ManualClock:
        inner = self.current
        if not isinstance(inner, ManualClock):
            raise ClockModeError(f"the clock is in {self.mode} mode; switch it to manual first")
        return inner

    def advance(self, seconds: float) -> datetime:
        """Move a manual clock forward (see :meth:`ManualClock.advance`).

        Raises:
            ClockModeError: if the clock is not manual.
        """
        return self._manual().advance(seconds)

    def set(self, value: datetime) -> datetime:
        """Jump a manual clock to ``value`` (see :meth:`ManualClock.set`).

        Raises:
            ClockModeError: if the clock is not manual.
        """
        return self._manual().set(value)

    def switch(self, mode: str, speed: Optional[float] = None) -> Clock:
        """Change to a ``"manual"`` or ``"system"`` clock (at ``speed``) starting from now.

        Raises:
            ValueError: for an unknown mode or a speed out of ``(0, MAX_SPEED]``.
        """
        if mode not in ("manual", "system"):
            raise ValueError(f"mode must be 'manual' or 'system', not {mode!r}")
        with self._lock:
            start = self._inner.now()
            fresh: Clock = (
                ManualClock(start)
                if mode == "manual"
                else SystemClock(1.0 if speed is None else speed, start=start)
            )
            self._inner = fresh
        self._follow(fresh)
        self._notify(start)
        return fresh

    def add_listener(self, listener: Callable[[datetime], None]) -> None:
        """Call ``listener(now)`` after every move of a manual clock and every switch."""
        with self._lock:
            self._listeners.append(listener)

    def _follow(self, inner: Clock) -> None:
        add = getattr(inner, "add_listener", None)
        if callable(add):
            add(self._notify)

    def _notify(self, moment: datetime) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(moment)

    def __repr__(self) -> str:
        return f"SwitchableClock({self.current!r})"


class ClockModeError(RuntimeError):
    """The clock cannot do this in its current mode (e.g. advancing a system clock)."""
