"""Test helpers for mock-server pushes: a recording sender and per-carrier push decoding (hashlib only).

Independent of both packages' push code: the formats below come from docs/carriers/*.md.
Every carrier signs its push as ``base64(md5(text + secret))``; what ``text`` is and where the
digest travels differs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qs

#: One well-formed waybill per carrier.
WAYBILLS: Dict[str, str] = {
    "zto": "73100130019486",
    "yto": "YT2600227881409",
    "sto": "777031922725111",
    "jt": "JT2099306666983",
}
#: A second waybill per carrier.
OTHER_WAYBILLS: Dict[str, str] = {
    "zto": "73100196611386",
    "yto": "YT2600227881410",
    "sto": "777031922725112",
    "jt": "JT2099306666984",
}

#: carrier -> (form field holding the signed text, where the digest is, its name)
SIGNED: Dict[str, Tuple[str, str, str]] = {
    "zto": ("data", "form", "data_digest"),
    "yto": ("logistics_interface", "form", "data_digest"),
    "sto": ("content", "form", "data_digest"),
    "jt": ("bizContent", "header", "digest"),
}

#: The acknowledgement each carrier expects from a subscriber.
ACKS: Dict[str, bytes] = {
    "zto": json.dumps({"status": True, "message": "成功", "statusCode": "SYS000"}).encode(),
    "yto": json.dumps({"success": True, "code": "0", "message": "成功"}).encode(),
    "sto": json.dumps({"success": True, "errorCode": "", "errorMsg": ""}).encode(),
    "jt": json.dumps({"code": "1", "msg": "success", "data": "SUCCESS"}).encode(),
}


def b64_md5(text: str, secret: str) -> str:
    return base64.b64encode(hashlib.md5((text + secret).encode("utf-8")).digest()).decode()


class Sent:
    """One push as the subscriber received it."""

    def __init__(self, url: str, headers: Mapping[str, str], body: bytes) -> None:
        self.url = url
        self.headers = dict(headers)
        self.body = body
        self.form = {k: v[0] for k, v in parse_qs(body.decode("ascii"), keep_blank_values=True).items()}

    def signed_text(self, carrier: str) -> str:
        field, _, _ = SIGNED[carrier]
        return self.form[field]

    def digest(self, carrier: str) -> str:
        _, where, name = SIGNED[carrier]
        source = self.form if where == "form" else {k.lower(): v for k, v in self.headers.items()}
        return source[name if where == "form" else name.lower()]

    def verifies(self, carrier: str, secret: str) -> bool:
        return b64_md5(self.signed_text(carrier), secret) == self.digest(carrier)

    def data(self, carrier: str) -> Any:
        return json.loads(self.signed_text(carrier))

    def events(self, carrier: str) -> int:
        """How many scans/results this push carries (J&T batches trace pushes in an array)."""
        data = self.data(carrier)
        if isinstance(data, list):
            return sum(len(item.get("details") or [None]) for item in data)
        return 1


class RecordingSender:
    """A sender that records each push and answers from a script (default: the carrier's ack).

    ``answers`` is consumed first: each item is ``(status, body)`` or an exception to raise.
    """

    def __init__(self, carrier: str) -> None:
        self.carrier = carrier
        self.sent: List[Sent] = []
        self.answers: List[Any] = []
        self.lock = threading.Lock()

    def __call__(
        self, url: str, headers: Mapping[str, str], body: bytes, timeout: float
    ) -> Tuple[int, bytes]:
        with self.lock:
            self.sent.append(Sent(url, headers, body))
            answer = self.answers.pop(0) if self.answers else (200, ACKS[self.carrier])
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]


def routing_sender(
    routes: Mapping[str, Callable[[str, Mapping[str, str], bytes, float], Tuple[int, bytes]]],
) -> Callable[[str, Mapping[str, str], bytes, float], Tuple[int, bytes]]:
    """A sender that hands each push to the sender registered for its URL."""

    def send(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> Tuple[int, bytes]:
        return routes[url](url, headers, body, timeout)

    return send


def find(items: List[Any], **wanted: Any) -> Optional[Any]:
    for item in items:
        if all(item.get(k) == v for k, v in wanted.items()):
            return item
    return None
