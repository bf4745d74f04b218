"""The shared services of one mock server app, kept in ``app.extensions["mockserver"]``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Callable, Optional

from attrs import define
from flask import Flask, current_app

from mockserver.clock import Clock
from mockserver.config import ConfigError
from mockserver.deciders import Decider
from mockserver.journal import Journal
from mockserver.pushes import PushScheduler
from mockserver.scenarios import ScenarioEngine
from mockserver.simulator import Simulator
from mockserver.store import Store

__all__ = ["Services", "get_services"]


@define
class Services:
    """Everything the blueprints and the admin API share, built by :func:`mockserver.create_app`.

    ``carriers`` are the slugs of the mounted mock carriers, in mounting order. ``scenarios`` is
    the app's scenario engine and ``decider`` (by default backed by it) is consulted by every
    carrier blueprint; ``pushes`` is the push scheduler; ``sleep`` is how a slow-response
    scenario waits (injectable so that tests never sleep).
    """

    config: Mapping[str, Any]
    carriers: tuple[str, ...]
    store: Store
    clock: Clock
    journal: Journal
    simulator: Simulator
    scenarios: ScenarioEngine
    decider: Decider
    pushes: PushScheduler
    sleep: Callable[[float], None] = time.sleep

    def seed_accounts(self) -> None:
        """Register the configured accounts (and demo accounts) that do not exist yet."""
        configured = list(self.config.get("ACCOUNTS", []))
        for index, item in enumerate(configured):
            if item["carrier"] not in self.carriers:
                raise ConfigError(
                    key=f"ACCOUNTS[{index}].carrier", reason=f"unknown carrier {item['carrier']!r}"
                )
        wanted: list[Mapping[str, Any]] = []
        if self.config.get("DEMO_ACCOUNTS", True):
            wanted += [
                {"carrier": slug, "app_key": f"{slug}-demo", "app_secret": f"{slug}-demo-secret"}
                for slug in self.carriers
            ]
        for item in wanted + configured:
            if self.store.get_account(item["carrier"], item["app_key"]) is None:
                self.simulator.register_account(
                    item["carrier"],
                    item["app_key"],
                    item["app_secret"],
                    auto_parcels=bool(item.get("auto_parcels", True)),
                    extra=item.get("extra") or {},
                )

    def reset_all(self) -> None:
        """Forget all state and journal entries, then register the configured accounts again."""
        with self.store.atomic():
            self.store.reset()
            self.journal.clear()
            self.scenarios.reset()
            self.seed_accounts()


def get_services(app: Optional[Flask] = None) -> Services:
    """The :class:`Services` of ``app`` (default: the current app)."""
    target = app if app is not None else current_app
    return target.extensions["mockserver"]  # type: ignore[no-any-return]
