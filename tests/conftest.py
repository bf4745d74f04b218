"""Shared fixtures for the SDK talking to the mock server (kept here, not in either package).

``ks_client`` is a :class:`kscarriers.Client` configured for every carrier the mock speaks,
sending its requests in-process through :class:`kscarriers.testing.WSGITransport` into
``mock_app`` (the mockserver pytest plugin's fixture), with a sleep that never waits.

The suite builds an app per test in many places; ``url_builders.install()`` has Werkzeug compile
each URL rule's builder once per process instead of once per app (``tests/support/url_builders.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
import url_builders
from ksmock import WAYBILLS, sdk_config, test_account  # noqa: F401 - re-exported for tests

from kscarriers import Client
from kscarriers.testing import WSGITransport

url_builders.install()


@pytest.fixture
def ks_accounts(mock_client: Any) -> Any:
    """Register the test account of every carrier in the mock; returns the admin test client."""
    from mockserver.carriers import carrier_slugs

    for slug in carrier_slugs():
        answer = mock_client.post("/__admin/accounts", json=test_account(slug))
        assert answer.status_code in (200, 201), answer.get_json()
    return mock_client


@pytest.fixture
def ks_sleeps() -> list:
    """The waits the client was asked to make (it never really waits)."""
    return []


@pytest.fixture
def ks_client(mock_app: Any, ks_accounts: Any, ks_sleeps: list) -> Client:
    """A Client for all carriers, wired in-process to ``mock_app``."""
    return Client(sdk_config(), transport=WSGITransport(mock_app), sleep=ks_sleeps.append)
