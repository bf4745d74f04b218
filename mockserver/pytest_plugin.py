"""pytest fixtures for the mock carrier server (loaded through the ``pytest11`` entry point).

Fixtures:
    mockserver_config: settings for ``mock_app`` (override it in a conftest to change them).
    mock_clock: a :class:`~mockserver.clock.ManualClock` shared by ``mock_app``.
    mock_app / mock_client: an in-process app and its Flask test client (closed after the test).
    mockserver_live: a real waitress server on a free loopback port, started once per session
        and reset (state, journal, clock position kept) before each test that uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from attrs import frozen

__all__ = ["LiveMockServer"]


@frozen(kw_only=True)
class LiveMockServer:
    """A running mock server: ``url`` is its base URL, ``app`` the Flask app behind it."""

    url: str
    app: Any
    clock: Any

    def reset(self) -> None:
        """Forget all state and the journal, as ``POST /__admin/reset`` does."""
        self.app.extensions["mockserver"].reset_all()


@pytest.fixture
def mockserver_config() -> dict[str, Any]:
    """Settings passed to ``create_app`` by ``mock_app``; override to change them."""
    return {"CLOCK": "manual", "TESTING": True}


@pytest.fixture
def mock_clock() -> Any:
    from mockserver.clock import ManualClock

    return ManualClock()


@pytest.fixture
def mock_app(mockserver_config: dict[str, Any], mock_clock: Any) -> Iterator[Any]:
    from mockserver.app import close_app, create_app

    app = create_app(mockserver_config, clock=mock_clock)
    try:
        yield app
    finally:
        close_app(app)  # its push workers and ticker must not outlive the test


@pytest.fixture
def mock_client(mock_app: Any) -> Any:
    return mock_app.test_client()


@pytest.fixture(scope="session")
def _mockserver_live_session() -> Iterator[LiveMockServer]:
    from mockserver.app import close_app, create_app
    from mockserver.clock import ManualClock
    from mockserver.serving import serve_in_thread

    clock = ManualClock()
    app = create_app({"CLOCK": "manual"}, clock=clock)
    url, stop = serve_in_thread(app)
    try:
        yield LiveMockServer(url=url, app=app, clock=clock)
    finally:
        stop()
        close_app(app)


@pytest.fixture
def mockserver_live(_mockserver_live_session: LiveMockServer) -> LiveMockServer:
    _mockserver_live_session.reset()
    return _mockserver_live_session
