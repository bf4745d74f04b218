"""Accounts of the simulated carriers and their subscriptions to pushes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Optional

from attrs import field, frozen

from mockserver.world._conversion import aware, optional_aware, plain

__all__ = ["Account", "Subscription"]


def _frozen_mapping(value: Optional[Mapping[str, Any]]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@frozen(kw_only=True)
class Account:
    """Credentials a client signs with, plus the account's simulation settings.

    ``epoch`` anchors auto-generated routes: it is the mock time at which the account was
    registered (or last reset).

    ``clock_offset`` is how many seconds the account's own clock runs ahead of the server's:
    on a server shared by many CI jobs, each job moves its own accounts' time without touching
    anybody else's parcels, intercepts or pushes. A reset puts it back to 0.

    ``team`` is the team whose token registered the account (``None``: only the admin token,
    or the account's own secret, manages it); see ``docs/security.md``.
    """

    carrier: str
    app_key: str
    app_secret: str = field(repr=False)
    epoch: datetime = field(converter=aware)
    auto_parcels: bool = True
    extra: Mapping[str, Any] = field(factory=dict, converter=_frozen_mapping, hash=False)
    clock_offset: float = 0.0
    team: Optional[str] = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.carrier, self.app_key)

    def time_at(self, server_now: datetime) -> datetime:
        """The account's time when the server's clock shows ``server_now``."""
        return server_now + timedelta(seconds=self.clock_offset) if self.clock_offset else server_now

    def public_dict(self) -> dict[str, Any]:
        """The account as the admin API shows it: never the secret."""
        data = self.to_dict()
        del data["app_secret"]
        if data.get("team") is None:
            data.pop("team", None)
        return data

    def to_dict(self) -> dict[str, Any]:
        """Full serialisation (secret included) for stores."""
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            carrier=data["carrier"],
            app_key=data["app_key"],
            app_secret=data["app_secret"],
            epoch=datetime.fromisoformat(data["epoch"]),
            auto_parcels=bool(data.get("auto_parcels", True)),
            extra=data.get("extra") or {},
            clock_offset=float(data.get("clock_offset", 0.0)),
            team=data.get("team"),
        )


@frozen(kw_only=True)
class Subscription:
    """A request to have a waybill's scans pushed to the account's callback.

    ``pushed_until`` is the push scheduler's cursor: scans up to that time have been queued
    (``None``: nothing yet, scans after ``created_at`` are new).
    """

    carrier: str
    app_key: str
    waybill: str
    created_at: datetime = field(converter=aware)
    extra: Mapping[str, Any] = field(factory=dict, converter=_frozen_mapping, hash=False)
    pushed_until: Optional[datetime] = field(default=None, converter=optional_aware)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Subscription:
        pushed = data.get("pushed_until")
        return cls(
            carrier=data["carrier"],
            app_key=data["app_key"],
            waybill=data["waybill"],
            created_at=datetime.fromisoformat(data["created_at"]),
            extra=data.get("extra") or {},
            pushed_until=datetime.fromisoformat(pushed) if pushed else None,
        )
