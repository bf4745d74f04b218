"""Encodings every mock carrier uses: MD5-Base64 signatures, compact JSON, forms and China time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import Any, Callable, Optional
from urllib.parse import unquote_plus, urlencode

from flask import Response

from mockserver.carriers.fields import loads
from mockserver.clock import CHINA_TZ
from mockserver.pushes import PushRequest

__all__ = [
    "AnswerCache",
    "b64_md5",
    "china_time",
    "compact_json",
    "digest_matches",
    "epoch_ms",
    "form_body",
    "form_pairs",
    "form_push",
    "json_object_answer",
    "json_response",
    "json_response_with_data",
]

#: How the carriers post a form: a push to a subscriber, or a request to their gateway.
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


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


class AnswerCache:
    """Answers already rendered and encoded, sent again while what they were made from is the same.

    A track answer is a function of the waybills asked for and their visible scans alone, and
    those scans are frozen values: an answer is kept under who asked for what (``key``) with the
    ``source`` it was rendered from (the scans), and used again only while a new ``source``
    equals that one, so a scan becoming visible, a new route, an intercept or a reset (each a
    different ``source``) renders afresh. For the very same scan objects the comparison is one
    identity check per scan (equal scans that are other objects, say re-read from SQLite, take
    their place after one comparison). At most ``size`` answers are kept (all are forgotten when
    it is full).

    :meth:`response` keeps a whole answer; :meth:`data_json` keeps only the JSON text of an
    answer's ``data``, for carriers whose envelope carries something new each time (a
    ``requestId``), filled in by :func:`json_response_with_data`.

    Args:
        size: how many answers to keep.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._answers: dict[Hashable, tuple[Hashable, Any]] = {}

    def _made(self, key: Hashable, source: Hashable, make: Callable[[], Any]) -> Any:
        found = self._answers.get(key)
        if found is None or found[0] != source:
            found = (source, make())
            if len(self._answers) >= self._size:
                self._answers.clear()
            self._answers[key] = found
        elif found[0] is not source:  # equal scans, other objects: keep these, the next check is identity
            self._answers[key] = found = (source, found[1])
        return found[1]

    def response(self, key: Hashable, source: Hashable, render: Callable[[], Response]) -> Response:
        """The answer ``render()`` gives for ``source``, rendered only if ``key`` last saw another."""

        def encoded() -> tuple[bytes, int, Optional[str]]:
            answer = render()
            return answer.get_data(), answer.status_code, answer.content_type

        body, status, content_type = self._made(key, source, encoded)
        return Response(body, status=status, content_type=content_type)

    def data_json(self, key: Hashable, source: Hashable, render: Callable[[], Any]) -> str:
        """The compact JSON text of ``render()`` for ``source``, rendered only if ``key`` last saw another."""
        text: str = self._made(key, source, lambda: compact_json(render()))
        return text


#: Stands for an envelope's ``data`` until :func:`json_response_with_data` puts the JSON text there.
_DATA_SLOT = "@@mockserver-data@@"
_DATA_SLOT_JSON = compact_json(_DATA_SLOT)


def json_response_with_data(envelope: Mapping[str, Any], data_json: str, status: int = 200) -> Response:
    """:func:`json_response` of ``envelope`` with its ``data`` given as JSON text already.

    The bytes are those :func:`json_response` gives for the envelope with the decoded data in
    its ``data`` key (a key the envelope has keeps its place; the envelope's own texts are
    the carrier's fixed words and a request id, never the slot's).
    """
    text = compact_json({**envelope, "data": _DATA_SLOT}).replace(_DATA_SLOT_JSON, data_json, 1)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: as json_response, in ASCII escapes
        body = json.dumps(json.loads(text), separators=(",", ":")).encode("ascii")
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def form_body(fields: Mapping[str, str]) -> str:
    """URL-encode form fields (UTF-8), as carriers post pushes."""
    return urlencode(list(fields.items()))


def form_pairs(raw: bytes) -> list[tuple[str, str]]:
    """The decoded ``(name, value)`` pairs of a URL-encoded form body, in the order sent.

    ``+`` is a space and ``%XX`` a UTF-8 byte (Java ``URLEncoder``, PHP ``http_build_query``);
    empty segments (``a=1&&b=2``) are skipped and a segment without ``=`` has an empty value.

    Raises:
        ValueError: the body or an escaped name or value is not UTF-8.
    """
    text = raw.decode("utf-8")  # UnicodeDecodeError is a ValueError
    pairs: list[tuple[str, str]] = []
    for segment in text.split("&"):
        if segment:
            name, _, value = segment.partition("=")
            pairs.append((unquote_plus(name, errors="strict"), unquote_plus(value, errors="strict")))
    return pairs


def china_time(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in China time (UTC+8)."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of ``moment``."""
    return int(moment.timestamp() * 1000)


def form_push(
    kind: str, waybill: str, fields: Mapping[str, str], *, content_type: str = FORM_CONTENT_TYPE
) -> PushRequest:
    """A push of one waybill's ``kind`` (``trace``/``intercept``) posted as the form ``fields``."""
    return PushRequest(
        kind=kind,
        waybills=(waybill,),
        headers={"Content-Type": content_type},
        body=form_body(fields).encode("ascii"),
    )


def json_object_answer(status: int, body: bytes) -> Optional[dict[str, Any]]:
    """A subscriber's answer to a push when it is HTTP 200 and a JSON object, else ``None``.

    What every carrier's ``is_push_ack`` reads before its own rule.
    """
    if status != 200:
        return None
    try:
        answer = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None
