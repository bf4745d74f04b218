"""Receiving pushes: the signed form payload, the addressed account, dedupe keys, the JSON ack."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ..errors import SignatureError
from ..models import PushAck
from ..signing import b64_md5, digests_match, is_base64
from ._codec import JSON_CONTENT_TYPE, compact_json, json_loads

__all__ = ["check_account", "dedupe_key", "json_ack", "verified_form_json"]


def verified_form_json(
    carrier: str, form: Mapping[str, str], *, field: str, digest_field: str, secret: str
) -> Any:
    """The JSON in ``form[field]``, once ``form[digest_field]`` proves it was signed with ``secret``.

    The digest is ``base64(md5(form[field] + secret))`` over the text exactly as received and
    is compared in constant time. Raises SignatureError with reason ``missing_header``,
    ``bad_encoding``, ``mismatch`` or ``malformed`` (signed, but not JSON).
    """
    text = form.get(field)
    digest = form.get(digest_field)
    if text is None or digest is None:
        missing = field if text is None else digest_field
        raise SignatureError(carrier=carrier, reason="missing_header", detail=missing)
    if not is_base64(digest):
        raise SignatureError(carrier=carrier, reason="bad_encoding", detail=digest_field)
    if not digests_match(b64_md5(text, secret), digest):
        raise SignatureError(carrier=carrier, reason="mismatch")
    try:
        return json_loads(text)
    except ValueError:
        raise SignatureError(carrier=carrier, reason="malformed", detail=f"{field} is not JSON") from None


def check_account(carrier: str, sent: Optional[str], *accepted: str) -> None:
    """Refuse a push addressed to another account: SignatureError ``unknown_account``.

    A push that names no account (``sent`` absent or empty) is not refused for that.
    """
    if sent and sent not in accepted:
        raise SignatureError(carrier=carrier, reason="unknown_account", detail=sent)


def dedupe_key(carrier: str, *parts: Any) -> str:
    """A stable key for one pushed event: the same fields give the same key on re-delivery."""
    return "|".join([carrier, *(str(p).strip() for p in parts)])


def json_ack(body: Mapping[str, Any], *, status: int = 200) -> PushAck:
    """A push acknowledgement whose body is compact JSON (what every carrier here expects)."""
    return PushAck(status=status, content_type=JSON_CONTENT_TYPE, body=compact_json(body).encode("utf-8"))
