"""Push faults and outages, carrier-neutral: a wrong secret, a body changed after signing, an old
timestamp, and a receiver that is down (or a carrier that holds pushes) for a while of mock time.

The carrier modules only build correctly signed pushes. A ``bad_signature`` push is built by the
same builder with a wrong secret; a ``tampered_body`` push is a correct one whose signed JSON
field is changed afterwards; a ``stale_timestamp`` push has the header named by the carrier's
``PUSH_TIMESTAMP_HEADER`` (J&T: ``timestamp``, epoch milliseconds) moved into the past. A carrier
without that attribute pushes no timestamp, and the scenario engine refuses to make its pushes
stale.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, urlencode

from attrs import evolve, frozen

from mockserver.pushes.plan import CarrierPushes, PushRequest
from mockserver.scenarios import OUTAGE_MODES
from mockserver.world import Account, Attempt

__all__ = [
    "OUTAGE_MODES",
    "WRONG_SECRET",
    "Outage",
    "faulty_requests",
    "outage_attempt",
    "stale",
    "stamped_carriers",
    "tamper",
    "timestamp_header",
]

#: The secret a ``bad_signature`` push is signed with (never any account's real secret).
WRONG_SECRET = "mockserver-wrong-secret"

#: What a tampered string value gets appended.
TAMPER_MARK = " (tampered)"


def timestamp_header(carrier: CarrierPushes) -> Optional[str]:
    """The push header in which ``carrier`` sends a timestamp, or ``None`` if its pushes carry none."""
    name = getattr(carrier, "PUSH_TIMESTAMP_HEADER", None)
    return name if isinstance(name, str) and name else None


def stamped_carriers(carriers: Iterable[tuple[str, CarrierPushes]]) -> tuple[str, ...]:
    """The slugs of the ``(slug, pushes)`` whose pushes carry a timestamp (what ``stale_timestamp`` needs)."""
    return tuple(slug for slug, pushes in carriers if timestamp_header(pushes) is not None)


def wrong_account(account: Account) -> Account:
    """``account`` with a secret that is not its own."""
    secret = WRONG_SECRET if account.app_secret != WRONG_SECRET else WRONG_SECRET + "-2"
    return evolve(account, app_secret=secret)


def _tamper_json(value: Any) -> tuple[Any, bool]:
    """``value`` with its last string leaf changed (depth first); ``False`` if it has none."""
    if isinstance(value, str):
        return value + TAMPER_MARK, True
    if isinstance(value, dict):
        items = list(value.items())
        for index in range(len(items) - 1, -1, -1):
            changed, done = _tamper_json(items[index][1])
            if done:
                return {**value, items[index][0]: changed}, True
        return value, False
    if isinstance(value, list):
        for index in range(len(value) - 1, -1, -1):
            changed, done = _tamper_json(value[index])
            if done:
                return [*value[:index], changed, *value[index + 1 :]], True
        return value, False
    return value, False


def _json_field(text: str) -> Optional[Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, (dict, list)) else None


def tamper(request: PushRequest) -> PushRequest:
    """``request`` with its signed content changed after signing; the signature is left as it was.

    The carriers post forms whose signed field is JSON (ZTO ``data``, YTO ``logistics_interface``,
    STO ``content``, J&T ``bizContent``): the last string in that JSON gets ``" (tampered)"``
    appended, so the push still parses but its digest no longer matches. A body that is no such
    form gets a trailing space (JSON and forms still parse; the digest does not match either).
    """
    try:
        text = request.body.decode("ascii")
        fields = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        fields = []
    for index, (name, value) in enumerate(fields):
        data = _json_field(value)
        if data is None:
            continue
        changed, done = _tamper_json(data)
        if not done:
            changed = {**changed, "tampered": True} if isinstance(changed, dict) else [*changed, "tampered"]
        fields[index] = (name, json.dumps(changed, ensure_ascii=False, separators=(",", ":")))
        return evolve(request, body=urlencode(fields).encode("ascii"))
    return evolve(request, body=request.body + b" ")


def _shifted(stamp: str, seconds: float) -> str:
    value = stamp.strip()
    if value.isascii() and value.isdigit():
        scale = 1000 if len(value) >= 13 else 1  # epoch milliseconds, else epoch seconds
        return str(max(0, int(value) - int(seconds * scale)))
    moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    return (moment - timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def stale(request: PushRequest, header: str, seconds: float) -> PushRequest:
    """``request`` with its ``header`` timestamp moved ``seconds`` into the past (signature untouched).

    The timestamp may be epoch milliseconds, epoch seconds or ``yyyy-MM-dd HH:mm:ss``.

    Raises:
        ValueError: if the push has no such header or its value is in none of these forms.
    """
    wanted = header.lower()
    names = [name for name in request.headers if name.lower() == wanted]
    if not names:
        raise ValueError(f"the push has no {header!r} header to make stale")
    headers = dict(request.headers)
    headers[names[0]] = _shifted(headers[names[0]], seconds)
    return evolve(request, headers=headers)


def faulty_requests(
    fault: Optional[str],
    stale_seconds: float,
    carrier: CarrierPushes,
    account: Account,
    build: Callable[[Account], Sequence[PushRequest]],
) -> list[PushRequest]:
    """The requests ``build`` makes for ``account``, with ``fault`` applied (``None``: as built).

    Raises:
        ValueError: a ``stale_timestamp`` fault for a carrier whose pushes carry no timestamp.
    """
    if fault == "bad_signature":
        return list(build(wrong_account(account)))
    built = list(build(account))
    if fault == "tampered_body":
        return [tamper(request) for request in built]
    if fault == "stale_timestamp":
        header = timestamp_header(carrier)
        if header is None:
            raise ValueError(f"carrier {account.carrier!r} pushes no timestamp to make stale")
        return [stale(request, header, stale_seconds) for request in built]
    return built


@frozen(kw_only=True)
class Outage:
    """A push outage of one account, on that account's mock clock.

    Attributes:
        carrier, app_key: the account.
        mode: ``unreachable`` (every attempt fails as if the receiver were down; retried with
            backoff) or ``held`` (nothing is sent until it ends).
        since: when it started; ``until``: when pushes flow again.
        source: ``"admin"`` or the id of the scenario stub that started it.
        epoch: the account's epoch when it started; a reset of the account (a new epoch) ends it.
    """

    carrier: str
    app_key: str
    mode: str
    since: datetime
    until: datetime
    source: str = "admin"
    epoch: Optional[datetime] = None

    def active(self, now: datetime) -> bool:
        """Whether the outage is on at ``now``."""
        return self.since <= now < self.until

    def to_dict(self) -> dict[str, Any]:
        return {
            "carrier": self.carrier,
            "app_key": self.app_key,
            "mode": self.mode,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "source": self.source,
        }


def outage_attempt(outage: Outage, now: datetime) -> Attempt:
    """The attempt recorded for a push that could not reach an ``unreachable`` receiver."""
    return Attempt(
        time=now,
        error=f"receiver unreachable: push outage until {outage.until.isoformat()} ({outage.source})",
    )
