"""Signature helpers: Base64 of the raw MD5, constant-time comparison."""

from __future__ import annotations

import base64
import binascii
import hashlib

import pytest

from kscarriers.signing import b64_md5, digests_match, is_base64


def test_b64_md5_is_base64_of_the_raw_digest_not_the_hex():
    expected = base64.b64encode(hashlib.md5(b"payload" + "秘密".encode()).digest()).decode()
    assert b64_md5("payload", "秘密") == expected
    assert b64_md5(b"payload", "秘密") == expected


def test_digests_match_compares_decoded_values():
    value = b64_md5("a")
    assert digests_match(value, value)
    assert digests_match(value, f" {value} ")
    assert not digests_match(value, b64_md5("b"))


def test_bad_base64_is_detected():
    assert not is_base64("not base64!!")
    with pytest.raises(binascii.Error):
        digests_match(b64_md5("a"), "%%%")


def test_non_canonical_base64_of_the_right_digest_does_not_match():
    # Found by fuzzing: a single changed character in the padding bits still decoded to the
    # same 16 bytes, so a tampered digest header verified.
    value = b64_md5("a")  # "DMF1ucDxtqgxw5niaXcmYQ==": "Q" carries 4 unused bits
    tampered = value[:21] + chr(ord(value[21]) + 1) + value[22:]
    assert base64.b64decode(tampered) == base64.b64decode(value)
    assert not digests_match(value, tampered)
