"""Headless Chromium against a live mock server, through Playwright's driver (never its own browsers).

Playwright comes with the ``test`` extra; the browser is the machine's Chromium (Debian's
``chromium``, or ``KSCARRIERS_CHROMIUM=/path``). Without either, every test here is skipped and
says which is missing. Every request a page makes is checked: one to another origin is refused
and fails the test, since CI machines are offline and the dashboard must not need the network.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any, Callable, Dict, List
from urllib.parse import urlsplit

import pytest

from kscarriers import CarrierConfig, Client, ClientConfig, Credentials
from mockserver.app import close_app, create_app
from mockserver.serving import serve_in_thread

#: The QA account of the browser tests.
ACCOUNT = {"carrier": "zto", "app_key": "qa-story", "app_secret": "qa-story-secret-秘"}

#: Where ``KSCARRIERS_SCREENSHOTS`` (a folder, e.g. docs/img) puts the pages' screenshots.
SCREENSHOTS = os.environ.get("KSCARRIERS_SCREENSHOTS", "")

_LAUNCH_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Chromium's own background traffic would be refused by an offline machine, many times over.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The Chromium to drive, or "" when this machine has none."""
    given = os.environ.get("KSCARRIERS_CHROMIUM", "")
    if given:
        return given if os.path.exists(given) else ""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return ""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    executable = chromium_path()
    if not executable:
        given = os.environ.get("KSCARRIERS_CHROMIUM", "")
        pytest.skip(
            f"KSCARRIERS_CHROMIUM={given} does not exist"
            if given
            else "no Chromium on this machine (apt-get install chromium, or set KSCARRIERS_CHROMIUM)"
        )
    with sync_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=executable, headless=True, args=_LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def live() -> Iterator[str]:
    """A mock server on a loopback port with a manual clock; its base URL."""
    app = create_app({"CLOCK": "manual", "RESULT_DELAY_SECONDS": 1800, "PUSH_TIMEOUT_SECONDS": 5})
    url, stop = serve_in_thread(app)
    try:
        yield url
    finally:
        stop()
        close_app(app)


@pytest.fixture
def page(browser: Any, live: str) -> Iterator[Any]:
    """A fresh browser page; any request it makes outside ``live``'s origin fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    foreign: List[str] = []
    origin = urlsplit(live).netloc

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        context.close()
    assert not foreign, f"pages loaded from outside the server: {foreign}"


def _sdk_client(live: str) -> Client:
    credentials = Credentials(app_key=ACCOUNT["app_key"], app_secret=ACCOUNT["app_secret"])
    config = ClientConfig(carriers={"zto": CarrierConfig(credentials=credentials, base_url=f"{live}/zto")})
    return Client(config, sleep=lambda seconds: None)


@pytest.fixture
def account() -> Dict[str, str]:
    """The QA account of the browser tests (not registered yet)."""
    return dict(ACCOUNT)


@pytest.fixture
def sdk(live: str) -> Iterator[Client]:
    """The shop's SDK client for the QA account, against the live server."""
    with _sdk_client(live) as client:
        yield client


def _headers(environ: Dict[str, Any]) -> Dict[str, str]:
    found = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        found["Content-Type"] = environ["CONTENT_TYPE"]
    return found


@pytest.fixture
def receiver(live: str) -> Iterator[str]:
    """The shop's push endpoint: the SDK verifies and parses each push and sends its ack."""
    client = _sdk_client(live)

    def app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> List[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        message = client.parse_push("zto", _headers(environ), body)
        start_response(f"{message.ack.status} OK", [("Content-Type", message.ack.content_type)])
        return [message.ack.body]

    url, stop = serve_in_thread(app)
    try:
        yield f"{url}/push/zto"
    finally:
        stop()
        client.close()


@pytest.fixture
def screenshot() -> Callable[..., None]:
    """``screenshot(page, name)``: the page as ``<KSCARRIERS_SCREENSHOTS>/<name>.png`` when that is set."""

    def take(page: Any, name: str, *, full_page: bool = True) -> None:
        if SCREENSHOTS:
            page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=full_page)

    return take
