"""Signature helpers shared by the carriers: Base64 of a raw digest, and constant-time checks."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Union

__all__ = ["b64_md5", "digests_match", "is_base64"]

Bytes = Union[bytes, str]


def b64_md5(*parts: Bytes) -> str:
    """Base64 of the raw 16-byte MD5 of the concatenated parts (UTF-8 for str parts).

    All four carriers sign this way: ``base64(md5(payload + secret))`` over the exact bytes
    sent, never the hex digest.
    """
    joined = b"".join([p.encode("utf-8") if isinstance(p, str) else p for p in parts])
    return binascii.b2a_base64(hashlib.md5(joined).digest(), newline=False).decode("ascii")


def digests_match(expected_b64: str, received: str) -> bool:
    """Compare a Base64 digest we computed with one we received, in constant time.

    Surrounding whitespace is ignored; a value that is not valid Base64 raises
    :class:`binascii.Error` for the caller to report as bad encoding. Only the canonical
    encoding matches: the last character of a Base64 MD5 carries four unused bits that the
    decoder ignores, so without that check ``…kQ==`` and ``…kR==`` would both verify.
    """
    text = received.strip()
    want = base64.b64decode(expected_b64, validate=True)
    got = base64.b64decode(text, validate=True)
    canonical = base64.b64encode(got).decode("ascii") == text
    return hmac.compare_digest(want, got) and canonical


def is_base64(value: str) -> bool:
    """Whether ``value`` decodes as strict Base64."""
    try:
        base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
