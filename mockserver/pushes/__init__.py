"""The push pipeline: what the mock carriers push to subscribers, when, and how it is delivered.

:mod:`.plan` holds the carriers' signed push requests and a plan per event (a scenario's push
outcome: delay, drop, copies, order, batch); :mod:`.scheduler` turns newly visible scans and
settled intercepts into queued pushes on the mock clock; :mod:`.delivery` sends one push and
reads the answer (ack, retry with backoff, give up); :mod:`.faults` signs pushes wrongly on a
scenario's say and models push outages; :mod:`.targets` says where a push may go (the
callback URL policy); :mod:`.callbacks` checks and sets callback URLs and builds an app's
scheduler. No Flask: the admin routes are in :mod:`mockserver.admin`.
See ``docs/callbacks.md``.
"""

from __future__ import annotations

from mockserver.pushes.callbacks import build_scheduler, callback_policy, callback_url, set_callback
from mockserver.pushes.delivery import PushSettings, Sender, requests_sender
from mockserver.pushes.faults import Outage, stamped_carriers
from mockserver.pushes.plan import CarrierPushes, PushRequest
from mockserver.pushes.scheduler import PushScheduler

__all__ = [
    "CarrierPushes",
    "Outage",
    "PushRequest",
    "PushScheduler",
    "PushSettings",
    "Sender",
    "build_scheduler",
    "callback_policy",
    "callback_url",
    "requests_sender",
    "set_callback",
    "stamped_carriers",
]
