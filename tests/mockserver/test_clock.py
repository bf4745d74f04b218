"""Tests for mockserver.clock: manual and (sped-up) system clocks."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from mockserver.clock import CHINA_TZ, UTC, Clock, ManualClock, SystemClock

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_manual_clock_stands_still_until_advanced() -> None:
    clock = ManualClock(START)
    assert clock.now() == START
    assert clock.advance(90) == START + timedelta(seconds=90)
    assert clock.now() == START + timedelta(seconds=90)


def test_manual_clock_set_converts_any_offset_to_utc() -> None:
    clock = ManualClock(START)
    clock.set(datetime(2025, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    assert clock.now() == datetime(2025, 3, 2, 1, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_manual_clock_refuses_naive_times_and_negative_steps() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2025, 1, 1))
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2025, 1, 1))
    with pytest.raises(ValueError, match=">= 0"):
        clock.advance(-1)


def test_manual_clock_without_start_uses_a_fixed_instant() -> None:
    assert ManualClock().now() == ManualClock().now()


def test_manual_clock_advances_are_not_lost_across_threads() -> None:
    clock = ManualClock(START)

    def work() -> None:
        for _ in range(500):
            clock.advance(1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == START + timedelta(seconds=4000)


def test_system_clock_runs_speed_times_faster_than_real_time() -> None:
    real = [100.0]
    clock = SystemClock(60, start=START, monotonic=lambda: real[0])
    real[0] += 2.5
    assert clock.now() == START + timedelta(minutes=2, seconds=30)


def test_system_clock_defaults_to_real_utc_now() -> None:
    before = datetime.now(timezone.utc)
    now = SystemClock().now()
    assert before <= now <= datetime.now(timezone.utc)


def test_system_clock_refuses_non_positive_speed() -> None:
    with pytest.raises(ValueError, match="speed"):
        SystemClock(0)


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(ManualClock(), Clock)
    assert isinstance(SystemClock(), Clock)
