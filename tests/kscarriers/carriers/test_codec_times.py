"""Carrier times: the fast reading of ``yyyy-MM-dd HH:mm:ss`` agrees with strptime on every input."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from kscarriers.carriers._codec import from_epoch_ms, parse_china_time
from kscarriers.errors import ResponseFormatError
from kscarriers.models import CHINA_TZ

FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


def by_strptime(text):
    """The reading before the fast path: the formats in turn, then epoch milliseconds."""
    for fmt in FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=CHINA_TZ)
        except ValueError:
            continue
    return "refused"


def read(text):
    try:
        return parse_china_time("zto", text, where="t")
    except ResponseFormatError:
        return "refused"


FIELDS = {
    "year": ["0000", "0001", "2024", "9999"],
    "month": ["00", "01", "02", "12", "13", "1"],
    "day": ["00", "01", "28", "29", "30", "31", "32", " 1"],
    "clock": ["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "12:00:61", "7:5:3"],
}


def test_plain_times_read_exactly_as_strptime_reads_them_impossible_ones_refused_alike():
    texts = [f"{y}-{m}-{d} {c}" for y, m, d, c in itertools.product(*FIELDS.values())]
    differ = [text for text in texts if read(text) != by_strptime(text)]
    assert differ == [] and any(read(text) == "refused" for text in texts)


@pytest.mark.parametrize(
    "text",
    [
        " 2024-02-29 08:09:10\n",
        "2024-02-29T08:09:10",
        "2024-02-29 08:09",
        "2024-02-29  08:09:10",
        "２０２４-02-29 08:09:10",
        "٢٠٢٤-02-29 08:09:10",
        "2024-02-29 08:09:10.5",
    ],
)
def test_other_shapes_still_go_through_strptime(text):
    assert read(text) == by_strptime(text)


def test_a_plain_time_read_twice_is_the_same_aware_china_time():
    first, again = read("2026-01-02 03:04:05"), read("2026-01-02 03:04:05")
    assert first == again == datetime(2026, 1, 2, 3, 4, 5, tzinfo=CHINA_TZ)
    assert again.tzinfo is CHINA_TZ


def test_a_padded_plain_time_reads_as_the_bare_one():
    assert read(" 2026-01-02 03:04:05\t") == read("2026-01-02 03:04:05") == by_strptime("2026-01-02 03:04:05")


@pytest.mark.parametrize("value", [1735977294000, "1735977294000", 0, -1000, 1735977294000.9])
def test_epoch_milliseconds_read_as_fromtimestamp_reads_them_twice_alike(value):
    want = datetime.fromtimestamp(int(value) / 1000, tz=CHINA_TZ)
    first, again = from_epoch_ms("zto", value, where="t"), from_epoch_ms("zto", value, where="t")
    assert first == again == want and again.tzinfo is CHINA_TZ


@pytest.mark.parametrize("value", ["soon", None, 10**30, "1.5"])
def test_bad_epoch_milliseconds_are_refused_every_time(value):
    for _ in range(2):
        with pytest.raises(ResponseFormatError, match="t is not epoch ms"):
            from_epoch_ms("zto", value, where="t")
