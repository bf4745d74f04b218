"""How a ZOP request is signed: the signed text (JSON or form mode) and the account's digest options.

The official SDK (``ZTO-Express/zopsdk-java`` ``ZopClient.execute`` and ``ZopDigestUtil.digest``)
signs ``[x-timestamp] + text + app_secret``, where ``text`` is the raw JSON body (``setBody``) or,
in form mode (``addParam``/``setData``), the *decoded* ``k1=v1&k2=v2…`` string in the order the
pairs are sent (the SDK builds the signed string and the URL-encoded body in one loop over its
parameter map). The digest is MD5, SHA-256 or HmacSHA256, Base64 or lowercase hex, as set per
application in the ZOP console; the default is Base64 of MD5.

The mock reads the console settings from the account's ``extra`` (docs/carriers/zto.md,
"Signing options"):

    ======================  ===================================  ===========
    key                     values                               default
    ======================  ===================================  ===========
    ``zop_sign``            ``md5``, ``sha256``, ``hmac_sha256`` ``md5``
    ``zop_sign_encoding``   ``base64``, ``hex``                  ``base64``
    ``zop_sign_timestamp``  ``true``, ``false``                  ``false``
    ======================  ===================================  ===========

HmacSHA256 is keyed with the console's separate "加密key" in the real platform; the mock has one
secret per account, so its HmacSHA256 key is the account's app secret (an ``extra`` value would
be shown by the admin API).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any, Callable

from attrs import frozen

__all__ = [
    "ALGORITHMS",
    "ENCODINGS",
    "SignOptions",
    "SignSettingError",
    "form_signed_text",
    "sign_options",
]

_Digest = Callable[[bytes, bytes], bytes]

#: ``zop_sign`` value -> raw digest of (message, secret).
ALGORITHMS: Mapping[str, _Digest] = {
    "md5": lambda message, secret: hashlib.md5(message).digest(),
    "sha256": lambda message, secret: hashlib.sha256(message).digest(),
    "hmac_sha256": lambda message, secret: hmac.new(secret, message, hashlib.sha256).digest(),
}

#: ``zop_sign_encoding`` value -> text of a raw digest.
ENCODINGS: Mapping[str, Callable[[bytes], str]] = {
    "base64": lambda raw: base64.b64encode(raw).decode("ascii"),
    "hex": lambda raw: raw.hex(),
}

_FLAGS = {"true": True, "false": False}


class SignSettingError(ValueError):
    """An account's ``zop_sign*`` setting has a value the mock does not know; names the setting."""

    def __init__(self, *, key: str, value: object, allowed: Sequence[str]) -> None:
        self.key = key
        super().__init__(f"account setting {key}={value!r} is not one of {', '.join(allowed)}")


def _choice(extra: Mapping[str, Any], key: str, allowed: Sequence[str], default: str) -> str:
    value = extra.get(key, default)
    if value not in allowed:
        raise SignSettingError(key=key, value=value, allowed=allowed)
    return str(value)


@frozen(kw_only=True)
class SignOptions:
    """One account's ZOP digest settings (the ZOP console's per-application choice)."""

    algorithm: str = "md5"
    encoding: str = "base64"
    timestamp: bool = False

    def digest(self, text: bytes, secret: str, timestamp: str = "") -> str:
        """The ``x-dataDigest`` of ``text`` (``[timestamp] + text + secret``, as ``ZopDigestUtil``)."""
        key = secret.encode("utf-8")
        message = (timestamp.encode("utf-8") if self.timestamp else b"") + text + key
        return ENCODINGS[self.encoding](ALGORITHMS[self.algorithm](message, key))


#: The settings of an account that names none of them (checked on every request).
_DEFAULT_OPTIONS = SignOptions()
_SETTINGS = ("zop_sign", "zop_sign_encoding", "zop_sign_timestamp")


def sign_options(extra: Mapping[str, Any]) -> SignOptions:
    """The account's :class:`SignOptions`; raises :class:`SignSettingError` on an unknown value."""
    if not any(key in extra for key in _SETTINGS):
        return _DEFAULT_OPTIONS
    flag = _choice(extra, "zop_sign_timestamp", tuple(_FLAGS), "false")
    return SignOptions(
        algorithm=_choice(extra, "zop_sign", tuple(ALGORITHMS), "md5"),
        encoding=_choice(extra, "zop_sign_encoding", tuple(ENCODINGS), "base64"),
        timestamp=_FLAGS[flag],
    )


def form_signed_text(pairs: Sequence[tuple[str, str]]) -> bytes:
    """What form mode signs: the decoded ``k=v`` pairs joined by ``&``, in the order sent (UTF-8)."""
    return "&".join(f"{key}={value}" for key, value in pairs).encode("utf-8")
