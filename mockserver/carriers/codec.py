"""Encodings every mock carrier uses: MD5-Base64 signatures, compact JSON, forms and China time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response

from mockserver.clock import CHINA_TZ

__all__ = [
    "b64_md5",
    "china_time",
    "compact_json",
    "digest_matches",
    "epoch_ms",
    "form_body",
    "json_response",
]


def b64_md5(data: bytes) -> str:
    """Base64 of the raw 16-byte MD5 digest of ``data`` (the signature of all four carriers)."""
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def digest_matches(expected: str, given: str) -> bool:
    """Compare two signatures in constant time."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def compact_json(value: Any) -> str:
    """JSON as carriers send it: compact separators, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON answer in UTF-8; a lone surrogate echoed from a request goes out as a ``\\u`` escape."""
    text = compact_json(payload)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # only ASCII escapes can carry a lone surrogate in valid UTF-8
        body = json.dumps(payload, separators=(",", ":")).encode("ascii")
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def form_body(fields: Mapping[str, str]) -> str:
    """URL-encode form fields (UTF-8), as carriers post pushes."""
    return urlencode(list(fields.items()))


def china_time(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in China time (UTC+8)."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of ``moment``."""
    return int(moment.timestamp() * 1000)
