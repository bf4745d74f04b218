"""pytest fixtures for the mock carrier server (loaded through the ``pytest11`` entry point).

Fixtures:
    mockserver_config: settings for ``mock_app`` and ``mockserver_live`` (override it in a
        conftest to change them).
    mock_clock: a :class:`~mockserver.clock.ManualClock` shared by ``mock_app``.
    mock_app / mock_client: an in-process app and its Flask test client (closed after the test).
    mockserver_live: a real waitress server on a free loopback port, one per distinct
        ``mockserver_config`` (and per pytest-xdist worker), reset before each test that uses it:
        state, journal and scenarios are forgotten and a manual clock goes back to where it
        started. With ``--mockserver-url URL`` (or ``MOCKSERVER_URL``) it is a server somebody
        else runs, shared with other jobs: nothing global is reset there, so use
        ``mockserver_accounts``. Its admin calls send the admin (or team) token when one is
        configured: ``--mockserver-token TOKEN`` (or ``MOCKSERVER_ADMIN_TOKEN``) for a server
        somebody else runs, ``ADMIN_TOKEN`` in ``mockserver_config`` for one started here.
    mockserver_accounts: accounts of this test alone, one per carrier, with fresh app keys,
        deleted after the test; their clocks are their own (``LiveMockServer.advance``).

The mock server needs Flask and waitress (the ``kscarriers[mock]`` extra). Without them this
plugin still loads, silently: ``mock_clock`` works, ``mockserver_live`` and
``mockserver_accounts`` work against ``--mockserver-url``, and the fixtures that would start a
server in this process fail with a one-line message saying what to install.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Callable, Optional
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from attrs import field, frozen

__all__ = ["LiveMockServer", "MockAccount", "MockServerError"]

#: The environment variable that attaches the live fixtures to a running server.
URL_VARIABLE = "MOCKSERVER_URL"
#: The environment variable holding the token the admin calls send (the server's own setting).
TOKEN_VARIABLE = "MOCKSERVER_ADMIN_TOKEN"


try:  # loaded with the plugin, once, so that in-process pytester runs share one Flask
    import mockserver.app
    import mockserver.serving  # noqa: F401
except ImportError as exc:  # the kscarriers[mock] extra is not installed
    if (exc.name or "").split(".")[0] not in ("flask", "werkzeug", "waitress"):
        raise
    #: The mock server's dependency that is not installed, or None.
    MISSING: Optional[str] = exc.name
else:
    MISSING = None


def _require_mock_extra() -> None:
    """Fail the test in one line when the server cannot run here."""
    if MISSING is not None:
        pytest.fail(
            f"the mock server needs Flask and waitress ({MISSING} is not installed): "
            "pip install 'kscarriers[mock]'",
            pytrace=False,
        )


class MockServerError(RuntimeError):
    """An admin call to the live mock server was refused; ``status`` and ``answer`` say why."""

    def __init__(self, method: str, path: str, status: int, answer: Any) -> None:
        super().__init__(f"{method} {path} answered {status}: {answer}")
        self.status = status
        self.answer = answer


@frozen(kw_only=True)
class MockAccount:
    """An account on the mock server: what an SDK client needs to sign requests as it."""

    carrier: str
    app_key: str
    app_secret: str = field(repr=False)
    base_url: str

    def __str__(self) -> str:
        return f"{self.carrier}/{self.app_key}"


@frozen(kw_only=True)
class LiveMockServer:
    """A running mock server.

    ``url`` is its base URL. ``app`` and ``clock`` are the Flask app and its manual clock when
    the server runs in this process, ``None`` when attached to an external one. ``token`` is
    sent as ``Authorization: Bearer`` with every admin call, when given (never shown).
    """

    url: str
    app: Any = None
    clock: Any = None
    start: Optional[datetime] = None
    token: Optional[str] = field(default=None, repr=False)

    @property
    def external(self) -> bool:
        """Whether somebody else runs this server (nothing global may be reset on it)."""
        return self.app is None

    def admin(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        """Call the admin API (``path`` below ``/__admin``) and return the JSON answer.

        Raises:
            MockServerError: the server answered 4xx or 5xx.
        """
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = Request(f"{self.url}/__admin{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urlopen(request, timeout=30) as answer:
                return json.loads(answer.read() or b"null")
        except HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            try:
                detail: Any = json.loads(text)
            except ValueError:
                detail = text
            raise MockServerError(method, path, exc.code, detail) from None

    def reset(self) -> None:
        """Forget all state, journal and scenarios, and put a manual clock back to its start.

        Raises:
            MockServerError: on an external server, which other jobs share.
        """
        if self.external:
            raise MockServerError("POST", "/reset", 409, "a shared server is never reset whole")
        self.app.extensions["mockserver"].reset_all()
        if self.start is not None and hasattr(self.clock, "set"):
            self.clock.set(self.start)

    def new_account(self, carrier: str, *, app_key: Optional[str] = None, **settings: Any) -> MockAccount:
        """Register an account with a fresh app key (or ``app_key``); ``settings`` as the API takes."""
        key = app_key or f"pytest-{_worker()}-{uuid.uuid4().hex[:12]}"
        secret = f"{key}-secret"
        self.admin(
            "POST", "/accounts", {"carrier": carrier, "app_key": key, "app_secret": secret, **settings}
        )
        return MockAccount(carrier=carrier, app_key=key, app_secret=secret, base_url=f"{self.url}/{carrier}")

    def delete_account(self, account: MockAccount) -> None:
        """Forget ``account`` and everything it did."""
        self.admin("DELETE", f"/accounts/{account.carrier}/{account.app_key}")

    def advance(self, seconds: float, account: Optional[MockAccount] = None) -> Any:
        """Move ``account``'s own clock forward (or, without one, the whole server's manual clock)."""
        scope = {"carrier": account.carrier, "app_key": account.app_key} if account else {}
        return self.admin("POST", "/clock/advance", {"seconds": seconds, **scope})

    def carriers(self) -> list[str]:
        """The carriers the server simulates."""
        return list(self.admin("GET", "/health")["carriers"])


def _worker() -> str:
    """The pytest-xdist worker id (``gw0`` …), or ``main`` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver", "mock carrier server")
    group.addoption(
        "--mockserver-url",
        default=None,
        help=f"use the mock server running at this URL for mockserver_live (env {URL_VARIABLE})",
    )
    group.addoption(
        "--mockserver-token",
        default=None,
        help=f"admin or team token the live fixtures send to that server (env {TOKEN_VARIABLE})",
    )


@pytest.fixture
def mockserver_config() -> dict[str, Any]:
    """Settings passed to ``create_app`` by ``mock_app`` and ``mockserver_live``; override to change them."""
    return {"CLOCK": "manual", "TESTING": True}


@pytest.fixture
def mock_clock() -> Any:
    from mockserver.clock import ManualClock

    return ManualClock()


@pytest.fixture
def mock_app(mockserver_config: dict[str, Any], mock_clock: Any) -> Iterator[Any]:
    _require_mock_extra()
    from mockserver.app import close_app, create_app

    app = create_app(mockserver_config, clock=mock_clock)
    try:
        yield app
    finally:
        close_app(app)  # its push workers and ticker must not outlive the test


@pytest.fixture
def mock_client(mock_app: Any) -> Any:
    return mock_app.test_client()


class _LiveServers:
    """The session's live servers, one per distinct config; all stopped at the session's end."""

    def __init__(self) -> None:
        self._servers: dict[str, LiveMockServer] = {}
        self._stops: list[Callable[[], None]] = []

    def get(self, config: Mapping[str, Any]) -> LiveMockServer:
        key = repr(sorted(config.items(), key=lambda item: item[0]))
        if key not in self._servers:
            self._servers[key] = self._start(config)
        return self._servers[key]

    def _start(self, config: Mapping[str, Any]) -> LiveMockServer:
        from mockserver.app import close_app, create_app
        from mockserver.clock import ManualClock
        from mockserver.serving import serve_in_thread

        settings = dict(config)
        manual = settings.get("CLOCK", "manual") == "manual"
        clock = ManualClock() if manual else None
        app = create_app(settings, clock=clock)
        url, stop = serve_in_thread(app)

        def stop_and_close() -> None:
            stop()
            close_app(app)

        self._stops.append(stop_and_close)
        token = settings.get("ADMIN_TOKEN")
        return LiveMockServer(
            url=url, app=app, clock=clock, start=clock.now() if clock else None, token=token or None
        )

    def close(self) -> None:
        for stop in reversed(self._stops):
            stop()


@pytest.fixture(scope="session")
def _mockserver_live_servers(pytestconfig: pytest.Config) -> Iterator[Optional[_LiveServers]]:
    if pytestconfig.getoption("mockserver_url") or os.environ.get(URL_VARIABLE):
        yield None
        return
    _require_mock_extra()
    servers = _LiveServers()
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
def mockserver_live(
    _mockserver_live_servers: Optional[_LiveServers],
    mockserver_config: dict[str, Any],
    pytestconfig: pytest.Config,
) -> LiveMockServer:
    """A live server for this test: reset, its manual clock back at its start."""
    if _mockserver_live_servers is None:
        url = pytestconfig.getoption("mockserver_url") or os.environ[URL_VARIABLE]
        token = pytestconfig.getoption("mockserver_token") or os.environ.get(TOKEN_VARIABLE)
        return LiveMockServer(url=str(url).rstrip("/"), token=token or None)
    server = _mockserver_live_servers.get(mockserver_config)
    server.reset()
    return server


@pytest.fixture
def mockserver_accounts(mockserver_live: LiveMockServer) -> Iterator[dict[str, MockAccount]]:
    """One fresh account per carrier, for this test alone; deleted afterwards."""
    accounts = {slug: mockserver_live.new_account(slug) for slug in mockserver_live.carriers()}
    try:
        yield accounts
    finally:
        for account in accounts.values():
            try:
                mockserver_live.delete_account(account)
            except MockServerError as exc:
                if exc.status != 404:  # a test may have deleted it itself
                    raise
