"""Carriers' wire values: JSON and form bodies, header look-up, China time, epoch milliseconds.

Also the ``receive*`` address fields that ZTO and J&T share for a new delivery address.
"""

from __future__ import annotations

import functools
import json
import operator
import re
import time
from datetime import datetime
from typing import Any, Dict, Mapping, Optional
from urllib.parse import parse_qsl

from ..errors import ResponseFormatError, SignatureError
from ..models import CHINA_TZ, Address

__all__ = [
    "FORM_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "by_time",
    "compact_json",
    "encode_form",
    "epoch_ms",
    "from_epoch_ms",
    "header",
    "json_loads",
    "parse_china_time",
    "parse_form",
    "receive_fields",
]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` builds this encoder per call.
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def compact_json(value: Any) -> str:
    """JSON as carriers expect it: compact, UTF-8 characters kept (never ``\\u`` escapes)."""
    return _COMPACT_JSON.encode(value)


#: Texts ``quote_plus`` leaves as they are (letters, digits and ``_.-~``): most field names and values.
_FORM_SAFE = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


#: What ``quote_plus`` writes for each byte of UTF-8: itself when always safe, ``+`` for a space.
_FORM_BYTES = tuple(
    chr(byte) if _FORM_SAFE(chr(byte)) else "+" if byte == 0x20 else f"%{byte:02X}" for byte in range(256)
)


@functools.lru_cache(maxsize=1024)
def _quoted(text: str) -> str:
    """``text`` quoted byte by byte. Cached: a polled waybill's request has the same content and
    signature each time (only its timestamp, digits, changes)."""
    return "".join(map(_FORM_BYTES.__getitem__, text.encode("utf-8")))


def _form_quote(text: str) -> str:
    """``quote_plus(text, encoding="utf-8")``, one table look-up a byte instead of a Python call."""
    return text if _FORM_SAFE(text) else _quoted(text)


def encode_form(fields: Mapping[str, str]) -> bytes:
    """``application/x-www-form-urlencoded`` body, UTF-8, in the given field order.

    The same bytes as ``urlencode(fields, encoding="utf-8")``, without quoting the texts that
    need none (a third of the cost of building an STO or YTO request).
    """
    return "&".join([f"{_form_quote(key)}={_form_quote(value)}" for key, value in fields.items()]).encode(
        "ascii"
    )


def parse_form(carrier: str, body: bytes) -> Dict[str, str]:
    """Decode a form body; a non-UTF-8 body is a SignatureError (malformed)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureError(carrier=carrier, reason="malformed", detail="body is not UTF-8") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def header(headers: Mapping[str, str], name: str) -> Optional[str]:
    """A header's value looked up without regard to case, or None."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def json_loads(text: str) -> Any:
    """``json.loads``, reporting a document nested too deeply to decode as ValueError too.

    The C decoder recurses once per nesting level; a hostile or broken answer such as
    ``[[[[…]]]]`` raises RecursionError, which callers would otherwise let escape.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


#: The shape nearly every carrier time has: read without ``strptime`` (a tenth of its cost).
_PLAIN_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")


@functools.lru_cache(maxsize=4096)
def _plain_time(text: str) -> Optional[datetime]:
    """``text`` of the plain shape as an aware datetime, or None for any other text.

    Exactly what strptime gives for this shape; an impossible date or time (month 13, second
    60) is None, and strptime then refuses it as before. Cached: a polled parcel's scans come
    back with the same times, and a datetime is immutable.
    """
    plain = _PLAIN_TIME.fullmatch(text)
    if plain is None:
        return None
    year, month, day, hour, minute, second = map(int, plain.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=CHINA_TZ)
    except ValueError:
        return None


def parse_china_time(carrier: str, value: Any, *, where: str) -> datetime:
    """Parse ``yyyy-MM-dd HH:mm:ss`` in China time (UTC+8) into an aware datetime.

    Also ``yyyy-MM-ddTHH:mm:ss``, ``yyyy-MM-dd HH:mm`` and epoch milliseconds.
    """
    if type(value) is str and len(value) == 19:  # the plain shape, already stripped: a cache hit
        plain = _plain_time(value)
        if plain is not None:
            return plain
    if isinstance(value, str):
        text = value.strip()
        plain = _plain_time(text) if len(text) == 19 else None  # only short texts are cached
        if plain is not None:
            return plain
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                return datetime.strptime(value.strip(), fmt).replace(tzinfo=CHINA_TZ)
            except ValueError:
                continue
        if value.strip().isdigit():
            return from_epoch_ms(carrier, value, where=where)
    elif isinstance(value, int) and not isinstance(value, bool):
        return from_epoch_ms(carrier, value, where=where)
    raise ResponseFormatError(carrier=carrier, code="BAD_TIME", message=f"{where} is not a time: {value!r}")


#: The key events are sorted by: their time (a C getter, not a Python call per event).
by_time = operator.attrgetter("time")


@functools.lru_cache(maxsize=4096)
def _epoch_ms_time(millis: int) -> datetime:
    """Cached, like :func:`_plain_time`: a polled parcel's scans come back with the same times."""
    return datetime.fromtimestamp(millis / 1000, tz=CHINA_TZ)


def from_epoch_ms(carrier: str, value: Any, *, where: str) -> datetime:
    """Epoch milliseconds (int or digit string) as an aware datetime in China time."""
    try:
        return _epoch_ms_time(int(value))
    except (TypeError, ValueError, OverflowError, OSError):
        raise ResponseFormatError(
            carrier=carrier, code="BAD_TIME", message=f"{where} is not epoch ms: {value!r}"
        ) from None


def epoch_ms() -> int:
    """Now, in epoch milliseconds (carriers' ``timestamp`` fields)."""
    return int(time.time() * 1000)


def receive_fields(address: Address) -> Dict[str, str]:
    """A new delivery address in the ``receive*`` field names ZTO and J&T share."""
    return {
        "receiveUsername": address.name,
        "receivePhone": address.phone,
        "receiveProvince": address.province,
        "receiveCity": address.city,
        "receiveDistrict": address.district,
        "receiveAddress": address.detail,
    }
